/// @file read_only.hpp
/// @brief Chapter 03's exercise function: make one mount read-only, and nothing else about it.
///
/// Defined in exercises/03-mount-namespace/read_only.cpp (the stub you fill in) or
/// solutions/03-mount-namespace/read_only.cpp. Called for `--read-only` (the container's "/")
/// and for docker's read-only paths (/proc/sys, /proc/sysrq-trigger, ...), each first bound
/// onto itself so that it is a mount of its own; chapter 08 calls it for a read-only cgroup
/// mount and chapter 09 for an OCI bundle's "ro" mounts.
#pragma once

#include <string>

namespace dockling::ch03 {

/// Exercise: makes the mount whose root `target_fd` refers to read-only.
///
/// `target_fd` is a descriptor (O_PATH is enough) of the root directory of a mount in the
/// caller's mount namespace; `name` is its path as the container sees it, for messages only.
///
/// When it returns, that mount is read-only and nothing else has changed:
/// - its other per-mount flags are what they were: nosuid, nodev and noexec, and its atime
///   mode (noatime, nodiratime, relatime or strictatime). Dropping nosuid from /proc/sys
///   would quietly loosen the container; and where the kernel has *locked* a flag (a mount
///   that came into a user namespace with it, see mount_namespaces(7)), changing it fails
///   with EPERM;
/// - only this mount changes: not the filesystem under it (another mount of the same tmpfs
///   or of the host's proc stays writable), and not the mounts below it (a tmpfs mounted
///   under a read-only root stays writable: `--read-only --tmpfs /run`).
///
/// @throws SysError naming the failing call and `name`, e.g. `mount("/proc/sys"): Invalid
///         argument` when `target_fd` is not the root of a mount.
void remount_read_only(int target_fd, const std::string& name);

}  // namespace dockling::ch03
