/// @file oci_command.hpp
/// @brief `ch09-security oci run --bundle DIR ID` and `oci spec`, and the binary's main.
#pragma once

#include <string>

#include "oci_spec.hpp"
#include "step.hpp"

namespace dockling::ch09 {

/// The namespaces of a bundle that no chapter step makes on its own: a new network namespace
/// (only a loopback, down, as runc gives), joining one by path, and a cgroup namespace
/// rooted at the container's cgroup. Takes the network slot until chapter 04 lands.
class OciNamespaceStep : public Step {
 public:
  /// @param namespaces the bundle's namespaces that this step makes or joins
  explicit OciNamespaceStep(std::vector<OciNamespace> namespaces) : namespaces_(std::move(namespaces)) {}
  std::string_view name() const override { return "oci-namespaces"; }
  Slot slot() const override { return Slot::network; }
  int clone_flags() const override;
  void in_child(Container& container) override;

 private:
  std::vector<OciNamespace> namespaces_;
};

/// Runs the bundle in DIR in the foreground as container `id`; returns the command's exit code.
int run_bundle(const std::string& dir, const std::string& id);

/// Writes DIR/config.json from default_spec(); refuses to overwrite one.
void write_spec(const std::string& dir);

}  // namespace dockling::ch09
