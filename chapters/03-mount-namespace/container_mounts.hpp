/// @file container_mounts.hpp
/// @brief The filesystems a container expects inside its root: /proc, /sys, /dev and its
/// friends, docker's masked and read-only paths, --tmpfs mounts and a read-only root.
///
/// Everything here runs in the child, in its own mount namespace, after pivot_into(): "/"
/// is the container's root. Nothing is unmounted by hand: the mounts live in the namespace,
/// and the namespace dies with the container's last process.
#pragma once

#include <string>
#include <vector>

namespace dockling::ch03 {

/// Docker's masked paths: hidden from the container (files under /dev/null, directories
/// under an empty read-only tmpfs). Each one leaks or pokes at the host's kernel.
extern const std::vector<std::string> kMaskedPaths;
/// Docker's read-only paths: visible, but no write reaches the host's kernel through them.
extern const std::vector<std::string> kReadOnlyPaths;

/// One `--tmpfs PATH[:OPTIONS]`.
struct TmpfsMount {
  std::string path;     ///< absolute, inside the container
  unsigned long flags;  ///< MS_* flags: docker's default noexec,nosuid,nodev, changed by OPTIONS
  std::string data;     ///< the tmpfs options that are not flags, e.g. "size=64m,mode=1777"
};

/// Parses `PATH[:OPTIONS]` as docker's --tmpfs does: OPTIONS is a comma-separated list of
/// flags (ro, rw, exec, noexec, suid, nosuid, dev, nodev) and tmpfs options (size=, mode=, ...).
/// @throws Error (exit 125) when PATH is not absolute.
TmpfsMount parse_tmpfs(const std::string& spec);

/// Makes every mount of this mount namespace private (MS_REC | MS_PRIVATE on "/"): from now
/// on, nothing mounted or unmounted here propagates to the host, and nothing comes back.
/// Safe to call more than once; any step that mounts before the root step must call it first.
void make_mounts_private();

/// Mounts a fresh proc at /proc (nosuid, nodev, noexec).
void mount_proc(int root_fd);
/// Mounts sysfs at /sys, read-only.
void mount_sys(int root_fd);
/// Builds /dev: a tmpfs with null, zero, full, random, urandom and tty, a new devpts instance
/// at /dev/pts with /dev/ptmx pointing into it, /dev/shm, /dev/mqueue, and the symbolic
/// links fd, stdin, stdout and stderr into /proc/self/fd. Needs /proc first.
void mount_dev(int root_fd);
/// Mounts one --tmpfs, creating its mount point if missing.
void mount_tmpfs(int root_fd, const TmpfsMount& tmpfs);
/// Hides kMaskedPaths; paths that do not exist are skipped.
void mask_paths(int root_fd);
/// Makes kReadOnlyPaths read-only (bind each onto itself, remount read-only); missing ones
/// are skipped.
void make_paths_read_only(int root_fd);

}  // namespace dockling::ch03
