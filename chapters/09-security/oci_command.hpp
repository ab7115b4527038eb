/// @file oci_command.hpp
/// @brief `ch09-security oci run --bundle DIR ID` and `oci spec`, and the binary's main.
#pragma once

#include <filesystem>
#include <string>

#include "dockling/state.hpp"
#include "oci_spec.hpp"
#include "pipeline.hpp"
#include "step.hpp"

namespace dockling::ch09 {

/// What a bundle asks for that no chapter step does on its own. The namespaces: a new network
/// namespace (only a loopback, down, as runc gives), joining one by path, and a cgroup
/// namespace rooted at the container's cgroup. It takes the network slot (a bundle brings no
/// bridge), so its in_child runs before pivot_root: it opens the sources of the bundle's
/// mounts there. in_root() (run by OciRootStep, after the root step) does the rest.
class OciNamespaceStep : public Step {
 public:
  /// @param bundle the bundle's namespaces, mounts, sysctls and root.readonly
  explicit OciNamespaceStep(const OciBundle& bundle)
      : namespaces_(bundle.namespaces), mounts_(bundle.mounts), devices_(bundle.devices), sysctl_(bundle.sysctl),
        hooks_(bundle.hooks),
        bundle_dir_(bundle.bundle_dir), annotations_(bundle.annotations) {}
  std::string_view name() const override { return "oci-namespaces"; }
  Slot slot() const override { return Slot::network; }
  int clone_flags(const ContainerSpec& spec) const override;
  /// linux.resources.unified: writes each file into the container's cgroup v2; then runs the
  /// prestart and createRuntime hooks (one failing stops the start).
  void after_clone(Container& container, pid_t child) override;
  /// The poststart hooks (a failure is a warning).
  void after_start(Container& container, pid_t child) noexcept override;
  /// The poststop hooks, when the container was created: its record says so (a failure is a
  /// warning).
  void after_exit(Container& container) noexcept override;
  void in_child(Container& container) override;
  /// In the child, inside the new root, with /proc mounted and /proc/sys writable, before
  /// the masked and read-only paths: the bundle's mounts, its devices, its sysctls, then the
  /// startContainer hooks.
  void in_root();

 private:
  void write_unified(const Container& container);

  std::vector<OciNamespace> namespaces_;
  OciMounts mounts_;
  OciDevices devices_;
  std::vector<std::pair<std::string, std::string>> sysctl_;
  OciHooks hooks_;
  std::string bundle_dir_;
  nlohmann::json annotations_;
  std::string id_;        ///< the container's id, for the startContainer hooks' state
};

/// The bundle's mounts, devices and sysctls, in the new root before chapter 03 seals it:
/// OciNamespaceStep::in_root in the mounts slot.
class OciRootStep : public Step {
 public:
  /// @param namespaces the bundle's namespace step, in the same pipeline: it opened the
  /// mounts' sources before pivot_root, and mounts them now
  explicit OciRootStep(OciNamespaceStep& namespaces) : namespaces_(namespaces) {}
  std::string_view name() const override { return "oci-mounts"; }
  Slot slot() const override { return Slot::mounts; }
  void in_child(Container&) override { namespaces_.in_root(); }

 private:
  OciNamespaceStep& namespaces_;
};

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
  Steps steps;       ///< chapter 09's steps and the bundle's own (namespaces, mounts, hooks)
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
