/// @file paths.hpp
/// @brief Changing chapter 03's masked and read-only paths, and the host's devices, for
/// --privileged and for an OCI bundle's maskedPaths and readonlyPaths.
///
/// Everything here runs in the child after the root step: "/" is the container's root.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace dockling::ch09 {

/// Takes away what chapter 03 mounted on `path` (a mask or a read-only bind): umount2 with
/// MNT_DETACH. A path with nothing mounted on it is left alone.
void unmount_path(const std::string& path);

/// Hides `path`: an empty read-only tmpfs on a directory, /dev/null on a file. Missing: skipped.
void mask_path(const std::string& path);

/// Makes `path` read-only (a read-only bind mount of itself). Missing: skipped.
void make_path_read_only(const std::string& path);

/// Remounts /sys read-write (a privileged container may write to sysfs).
void remount_sys_read_write();

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
