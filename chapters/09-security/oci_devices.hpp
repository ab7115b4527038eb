/// @file oci_devices.hpp
/// @brief An OCI bundle's linux.devices: device nodes made in the container's /dev.
///
/// As root of the host's user namespace the child makes each node with mknod(2). In a user
/// namespace of its own the kernel refuses that, and the child binds the host's node of the
/// same path instead, as runc does: a copy opened before pivot_root, attached after.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "dockling/fd.hpp"
#include "spec.hpp"

namespace dockling::ch09 {

/// A bundle's devices, made in the child in two halves around pivot_root.
class OciDevices {
 public:
  /// @param devices in config.json's order
  explicit OciDevices(std::vector<DeviceNode> devices) : devices_(std::move(devices)) {}

  /// Before pivot_root: in a user namespace, detached copies of the host's nodes.
  /// @throws Error naming config.json, linux.devices and the path when the host lacks one.
  void open_sources();

  /// After pivot_root and the /dev tmpfs: makes each node (replacing one already there),
  /// with its mode, owner and group; or attaches the host's copy in a user namespace.
  void make_all(int root_fd);

 private:
  std::vector<DeviceNode> devices_;
  std::vector<UniqueFd> host_nodes_;  ///< per device, in a user namespace
};

}  // namespace dockling::ch09
