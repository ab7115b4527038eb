/// @file oci_command.hpp
/// @brief `ch09-security oci run --bundle DIR ID` and `oci spec`, and the binary's main.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "dockling/state.hpp"
#include "mount_step.hpp"
#include "oci_devices.hpp"
#include "oci_mounts.hpp"
#include "oci_spec.hpp"
#include "pipeline.hpp"
#include "step.hpp"

namespace dockling::ch09 {

/// A bundle's network: a namespace of its own with a loopback (linux.namespaces lists
/// network), or the host's. Nothing of chapter 04's bridge, addresses and /etc files: a
/// bundle brings its own. A namespace joined by path replaces the new one later
/// (BundleRootStep).
class BundleNetworkStep : public Step {
 public:
  std::string_view name() const override { return "oci-network"; }
  Slot slot() const override { return Slot::network; }
  int clone_flags(const ContainerSpec& spec) const override;
};

/// A bundle's root: chapter 03's mount namespace and pivot_root, plus what config.json asks
/// beyond the chapters' flags, all read from the spec. Before pivot_root: the namespaces it
/// joins by path, its cgroup namespace, detached copies of its bind sources, the
/// createContainer hooks. After /proc, /sys and /dev: every one of its mounts in order, its
/// devices; then (in_root) its sysctls and the startContainer hooks. In the parent:
/// linux.resources.unified, and the prestart, createRuntime, poststart and poststop hooks.
class BundleRootStep : public ch03::MountStep {
 public:
  std::string_view name() const override { return "oci-bundle"; }
  /// linux.resources.unified: writes each file into the container's cgroup v2; then runs the
  /// prestart and createRuntime hooks (one failing stops the start).
  void after_clone(Container& container, pid_t child) override;
  /// After the mounts, with /proc/sys writable: the sysctls, then the startContainer hooks.
  void in_root(Container& container) override;
  /// The poststart hooks (a failure is a warning).
  void after_start(Container& container, pid_t child) noexcept override;
  /// The poststop hooks, when the container was created: its record says so (a failure is a
  /// warning).
  void after_exit(Container& container) noexcept override;

 protected:
  void before_pivot(Container& container) override;
  void mount_listed(int root_fd, const Container& container) override;

 private:
  std::optional<OciMounts> mounts_;    ///< in the child: the mounts, their sources opened
  std::optional<OciDevices> devices_;  ///< in the child: the devices, their host nodes opened
};

/// The steps that run a bundle: chapter 09's, with the bundle's network and root steps, and
/// a terminal whose master goes to `console_socket` when one is given.
Steps bundle_steps(const std::string& console_socket);

/// Checks linux.resources.unified against the machine: it needs cgroup v2.
/// @throws Error like runc's "invalid configuration" on cgroup v1 (nothing created yet).
void check_unified(const OciBundle& bundle);

/// Writes one sysctl of the container (after pivot_root, its own /proc mounted): `value` to
/// /proc/sys/KEY with the dots of `key` made slashes.
/// @throws Error naming config.json, linux.sysctl and the key.
void write_sysctl(const std::string& key, const std::string& value);

/// A bundle read and checked, and the pipeline that runs it.
struct BundleContainer {
  OciBundle bundle;  ///< config.json's contents; bundle.spec is the container, with its id
  Steps steps;       ///< bundle_steps()
};

/// Reads the bundle in `dir` as container `id`: warnings printed, what this machine cannot do
/// refused, HOME set as runc does.
/// @throws Error naming config.json's field for a bundle that cannot run.
/// With process.terminal, the command gets a pseudo-terminal: its master goes to the unix
/// socket at `console_socket` when one is given (runc's --console-socket), else the runtime
/// relays it to its own stdin and stdout, as `runc run` in the foreground does.
/// @throws Error for a console socket without process.terminal (runc refuses it too).
BundleContainer load_bundle(const std::filesystem::path& dir, const std::string& id,
                            const std::string& console_socket = {});

/// Runs the bundle in DIR in the foreground as container `id` (state under `root`); returns
/// the command's exit code.
int run_bundle(const StateRoot& root, const std::string& dir, const std::string& id,
               const std::string& console_socket = {});

/// Writes DIR/config.json from default_spec(); refuses to overwrite one.
void write_spec(const std::string& dir);

}  // namespace dockling::ch09
