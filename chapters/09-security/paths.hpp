/// @file paths.hpp
/// @brief The host's devices, made again in a --privileged container's /dev.
///
/// Everything here runs in the child after the root step: "/" is the container's root.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace dockling::ch09 {

/// A device node of the host, to be made again in the container's /dev.
struct HostDevice {
  std::string path;  ///< e.g. "/dev/loop0", "/dev/net/tun"
  mode_t mode = 0;   ///< type and permission bits
  dev_t rdev = 0;    ///< major and minor
  uid_t uid = 0;     ///< owner
  gid_t gid = 0;     ///< group
};

/// The host's character and block devices under /dev (one level of subdirectories deep;
/// not /dev/pts, /dev/shm, /dev/mqueue). Read in the parent, before the host's tree is gone.
std::vector<HostDevice> host_devices();

/// Makes the nodes in the container's /dev that are not there yet (docker --privileged).
void create_devices(const std::vector<HostDevice>& devices);

}  // namespace dockling::ch09
