/// @file step.hpp
/// @brief A step of a container start: what one runtime chapter adds to the pipeline.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string_view>

#include <CLI/CLI.hpp>

#include "container.hpp"

namespace dockling {

/// The fixed order of the steps of a container start: the one place it is written down.
/// Hooks run in this order (after_exit in reverse). A later chapter's step that takes the
/// same slot replaces the earlier one: chapter 03's pivot_root takes chapter 01's chroot's.
enum class Slot {
  image,     ///< 10: the image (its store commands; its config gives defaults later flags override)
  volumes,   ///< 13: -v, --mount: volumes made, once the image's root is there to copy from
  user,      ///< 07: the user namespace owns every other namespace, so it comes first
  cgroups,   ///< 08: the child joins its cgroup before it runs anything
  network,   ///< 04: veth and addresses, set up from the parent
  pid,       ///< 02: the PID namespace (and --init)
  process,   ///< 03: the command's environment (-e, --env-file) and working directory (-w)
  root,      ///< 01 chroot, 03 mount namespace + pivot_root: after this, only the new root is seen
  uts,       ///< 05: hostname and domain name
  ipc,       ///< 06: the IPC namespace, and its /dev/mqueue inside the new root
  seal,      ///< 03: masked and read-only paths, a read-only root: after every mount
  terminal,  ///< 03: -t, a pseudo-terminal from the container's own devpts: after every mount
  security,  ///< 07 the -u user; 09 capabilities, no_new_privs, seccomp: last, just before exec
};

/// One step of the pipeline. Every hook has an empty default: a step overrides what it needs.
class Step {
 public:
  virtual ~Step() = default;

  /// A short name for -v output, e.g. "chroot".
  virtual std::string_view name() const = 0;
  /// Where the step stands in the order.
  virtual Slot slot() const = 0;

  /// Adds the step's flags to the `run` command (e.g. --hostname).
  virtual void add_flags(CLI::App& run) { (void)run; }
  /// Once `run`'s flags are parsed: writes the step's part of the spec from them (steps in
  /// slot order, so a later one sees what earlier ones wrote). Bad flags throw here, before
  /// anything exists. Not called when the spec comes from elsewhere (an OCI bundle).
  virtual void to_spec(ContainerSpec& spec) { (void)spec; }
  /// Right after this step's to_spec(), before the next step's: for a step that must make
  /// something under the state root that later steps read while they write their part
  /// (chapter 10: the container's root, mounted from its image, whose /etc/passwd chapter
  /// 07 reads). What it made is undone by after_exit() once before_clone() has run, and by
  /// the step itself when the start fails earlier.
  virtual void prepare(ContainerSpec& spec, const StateRoot& root) {
    (void)spec;
    (void)root;
  }
  /// Adds subcommands beside `run` and flags of the whole binary (chapter 04: `network
  /// prune`). run_command() does the work when one of them was chosen.
  virtual void add_commands(CLI::App& app) { (void)app; }
  /// When the chosen subcommand is not `run`: does it if it is one of this step's and
  /// returns its exit code; nullopt when it is not this step's. `root` is the state root
  /// (--root, DOCKLING_ROOT).
  virtual std::optional<int> run_command(const StateRoot& root) {
    (void)root;
    return std::nullopt;
  }
  /// CLONE_NEW* flags the child must be created with.
  virtual int clone_flags(const ContainerSpec& spec) const {
    (void)spec;
    return 0;
  }
  /// In the parent, before the child exists (check flags, prepare files).
  virtual void before_clone(Container& container) { (void)container; }
  /// In the parent, once the child exists and waits (write its uid map, move its veth).
  virtual void after_clone(Container& container, pid_t child) {
    (void)container;
    (void)child;
  }
  /// In the child, before exec (set the hostname, enter the root). Throw on failure: the
  /// parent prints the message.
  virtual void in_child(Container& container) { (void)container; }
  /// In the child, right after the root step's in_child (pivot_root and, from chapter 03 on,
  /// /proc, /sys and /dev): "/" is the container's root. For a step of an earlier slot that
  /// mounts inside the new root what it prepared before (chapter 08: /sys/fs/cgroup).
  virtual void in_root(Container& container) { (void)container; }
  /// In the child, after every in_child hook, once the command has been found, right before
  /// execve(2). A step that forks here (an init) must close container.sync_fd in the process
  /// that will not exec, or the parent never learns that the command started.
  virtual void before_exec(Container& container) { (void)container; }
  /// In the parent, once the command has started (its execve(2) succeeded), while it runs
  /// (an OCI bundle's poststart hooks). Must not throw: the container is running.
  virtual void after_start(Container& container, pid_t child) noexcept {
    (void)container;
    (void)child;
  }
  /// In the parent, after the child ended or failed to start: undo what before_clone and
  /// after_clone set up. Must be safe to call when they did not run. Must not throw.
  virtual void after_exit(Container& container) noexcept { (void)container; }
};

}  // namespace dockling
