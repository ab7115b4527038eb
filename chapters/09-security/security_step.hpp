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
#include "paths.hpp"
#include "pipeline.hpp"
#include "seccomp_profile.hpp"
#include "step.hpp"
#include "user_switch_step.hpp"
#include "ulimits.hpp"

namespace dockling::ch09 {

/// The last step; it takes chapter 07's user switch's slot. In the child, after every other
/// step: ulimits, closes every inherited fd, loads the seccomp filter, becomes the `-u` user
/// (its groups, HOME) and drops the capabilities (the filter first unless no_new_privs is
/// set: without no_new_privs, loading a filter needs CAP_SYS_ADMIN), so that an --init and
/// the command both run confined. The inheritable and ambient sets end up empty, as docker's
/// since 20.10.14 (CVE-2022-24769). Just before exec: the working
/// directory must be inside the root.
class SecurityStep : public Step {
 public:
  std::string_view name() const override { return "security"; }
  Slot slot() const override { return Slot::security; }
  void add_flags(CLI::App& run) override;
  /// Adds `oci run --bundle DIR ID` and `oci spec` beside `run`.
  void add_commands(CLI::App& app) override;
  /// Runs the `oci` subcommand when it was chosen.
  std::optional<int> run_command() override;
  void before_clone(Container& container) override;
  void in_child(Container& container) override;
  void before_exec(Container& container) override;

  /// For an OCI bundle: the exact capability sets, instead of docker's rules.
  void set_capabilities(CapabilitySets sets) { fixed_caps_ = sets; }
  /// For an OCI bundle: its linux.seccomp (nullopt: none, unconfined).
  void set_seccomp(std::optional<SeccompProfile> profile) {
    oci_seccomp_ = true;
    profile_ = std::move(profile);
  }
  /// For an OCI bundle: no_new_privs from process.noNewPrivileges.
  void set_no_new_privs(bool on) { oci_no_new_privs_ = on; }
  /// For an OCI bundle: its process.user (groups: its additionalGids, as written).
  void set_user(ch07::ExecUser user) { user_ = std::move(user); }
  /// For an OCI bundle: its maskedPaths and readonlyPaths, in place of docker's.
  void set_paths(std::vector<std::string> masked, std::vector<std::string> read_only) {
    masked_ = std::move(masked);
    read_only_ = std::move(read_only);
  }

  /// For an OCI bundle: work to do in the child inside the new root, once /proc, /sys and
  /// /dev are there and chapter 03's read-only paths (/proc/sys, ...) are taken away, before
  /// the bundle's masked and read-only paths: its mounts, devices and sysctls.
  void set_in_root(std::function<void()> work) { in_root_ = std::move(work); }

  /// The capabilities the container ends up with (valid after before_clone).
  CapabilitySet capabilities() const { return caps_; }

 private:
  // The oci subcommands and their arguments.
  CLI::App* oci_run_ = nullptr;
  CLI::App* oci_spec_ = nullptr;
  std::string bundle_dir_ = ".";
  std::string bundle_id_;

  // Flags as typed.
  std::vector<std::string> cap_add_, cap_drop_, security_opts_, ulimit_specs_;
  ch07::UserFlags user_flags_;
  bool privileged_ = false;
  // Resolved in before_clone.
  CapabilitySet caps_ = 0;
  bool no_new_privs_ = false;
  std::optional<SeccompProfile> profile_;
  std::vector<Ulimit> ulimits_;
  std::vector<HostDevice> devices_;
  // Set by an OCI bundle.
  std::optional<CapabilitySets> fixed_caps_;
  bool oci_seccomp_ = false;
  bool oci_no_new_privs_ = false;
  std::optional<ch07::ExecUser> user_;
  std::optional<std::vector<std::string>> masked_, read_only_;
  std::function<void()> in_root_;
};

/// Closes every fd above 2 but `keep` (the sync socket, CLOEXEC already): nothing the runtime
/// opened reaches the container, not even as /proc/self/fd/N (CVE-2024-21626).
void close_inherited_fds(int keep);

/// Checks that the working directory is inside the root: getcwd(3) fails (or does not start
/// with "/") for a directory that pivot_root left outside.
/// @throws Error naming `workdir`.
void check_workdir_inside_root(const std::string& workdir);

/// Chapter 09's steps: chapter 08's, plus security.
Steps steps();

}  // namespace dockling::ch09
