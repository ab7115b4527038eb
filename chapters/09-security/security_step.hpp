/// @file security_step.hpp
/// @brief The security step of chapter 09: capabilities, no_new_privs, seccomp, --ulimit,
/// --privileged, and a clean process (no leaked fds, a working directory inside the root).
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "capabilities.hpp"
#include "oci_cli.hpp"
#include "paths.hpp"
#include "pipeline.hpp"
#include "seccomp_profile.hpp"
#include "seccomp_program.hpp"
#include "step.hpp"
#include "user_switch_step.hpp"
#include "ulimits.hpp"

namespace dockling::ch09 {

/// The last step; it takes chapter 07's user switch's slot. Flags → spec: --cap-add,
/// --cap-drop, --privileged (every capability, no seccomp, no masked or read-only paths, /sys
/// writable, the host's devices: it edits the plan, nothing is undone later),
/// --security-opt, --ulimit, and chapter 07's -u and --group-add. In the child, after every
/// other step: rlimits, closes every inherited fd, loads the seccomp filter, becomes the
/// spec's user and drops the capabilities (the filter first unless no_new_privs is set:
/// without no_new_privs, loading a filter needs CAP_SYS_ADMIN), so that an --init and the
/// command both run confined. The inheritable and ambient sets end up empty unless an OCI
/// bundle asks for them, as docker's since 20.10.14 (CVE-2022-24769).
class SecurityStep : public Step {
 public:
  std::string_view name() const override { return "security"; }
  Slot slot() const override { return Slot::security; }
  void add_flags(CLI::App& run) override;
  void to_spec(ContainerSpec& spec) override;
  /// Adds `oci run|spec|create|start|state|kill|delete|list` beside `run`.
  void add_commands(CLI::App& app) override;
  /// Runs the `oci` subcommand when it was chosen.
  std::optional<int> run_command(const StateRoot& root) override;
  void before_clone(Container& container) override;
  void in_child(Container& container) override;
  void before_exec(Container& container) override;

 private:
  OciCommands oci_;  ///< the oci subcommands and their arguments

  // Flags as typed.
  std::vector<std::string> cap_add_, cap_drop_, security_opts_, ulimit_specs_;
  bool privileged_ = false;
  ch07::UserFlags user_flags_;
  // From the spec, in before_clone: in the parent, where files and /dev are the host's.
  std::optional<SeccompProgram> program_;  ///< compiled, or read from the cache
  std::vector<HostDevice> devices_;
};

/// Closes every fd above 2 but those in `keep` (the sync socket and the run directory, both
/// CLOEXEC: gone at exec): nothing the runtime opened reaches the container, not even as
/// /proc/self/fd/N (CVE-2024-21626). -1 in `keep` is ignored.
void close_inherited_fds(std::vector<int> keep);

/// Checks that the working directory is inside the root: getcwd(3) fails (or does not start
/// with "/") for a directory that pivot_root left outside.
/// @throws Error naming `workdir`.
void check_workdir_inside_root(const std::string& workdir);

/// Chapter 09's steps: chapter 08's, plus security.
Steps steps();

}  // namespace dockling::ch09
