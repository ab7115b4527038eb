/// @file container_mounts.hpp
/// @brief The filesystems a container expects inside its root: /proc, /sys, /dev and its
/// friends, docker's masked and read-only paths, --tmpfs mounts and a read-only root.
///
/// Everything here runs in the child, in its own mount namespace, after pivot_into(): "/"
/// is the container's root. Nothing is unmounted by hand: the mounts live in the namespace,
/// and the namespace dies with the container's last process.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "dockling/fd.hpp"
#include "spec.hpp"

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

/// True when this process runs in a user namespace other than the host's (chapter 07): its
/// /proc/self/uid_map is not the identity map of every id. There mknod(2) is refused, and
/// proc and sysfs may only be mounted by the owner of a PID resp. network namespace.
bool in_user_namespace();

/// A detached copy (open_tree(2) with OPEN_TREE_CLONE, plus `flags` such as AT_RECURSIVE) of
/// the mount tree at `path`: mounted nowhere until attach_mount_tree() attaches it, even in
/// another mount namespace. Empty when `path` does not exist.
UniqueFd copy_mount_tree(const char* path, unsigned flags);
/// Attaches the detached tree `tree` (move_mount(2)) onto what `target_fd` refers to; `name`
/// is the target for error messages.
void attach_mount_tree(const UniqueFd& tree, int target_fd, const std::string& name);

/// What a container in a user namespace borrows from the host where the kernel does not let
/// it make its own, as runc does: detached copies (open_tree(2) with OPEN_TREE_CLONE) of the
/// host's /proc, /sys and device nodes. Empty (nothing borrowed) when default-constructed.
struct HostTrees {
  /// A new proc of the container's PID namespace, made detached (fsopen, fsmount) while the
  /// host's /proc is still in the mount namespace: the kernel lets a user namespace mount a
  /// proc only where one is fully visible already (mount_too_revealing), which after
  /// pivot_root there is not. Empty when refused (a PID namespace it does not own).
  UniqueFd new_proc;
  /// A new sysfs of the container's network namespace, made the same way; empty when
  /// refused (a network namespace it does not own, e.g. the host's).
  UniqueFd new_sys;
  UniqueFd proc;  ///< recursive copy of /proc: used when mounting a new proc is refused
  UniqueFd sys;   ///< recursive read-only copy of /sys: used when mounting sysfs is refused
  UniqueFd mqueue;  ///< copy of /dev/mqueue: used when mounting mqueue is refused (the IPC
                   ///< namespace is the host's, e.g. --ipc host, so not ours to mount)
  std::vector<std::pair<std::string, UniqueFd>> devices;  ///< {"null", copy of /dev/null}, ...

  /// Takes the copies. Call it in the container's own mount namespace, before pivot_root
  /// detaches the host's tree.
  static HostTrees capture();
};

/// Mounts a fresh proc at /proc (nosuid, nodev, noexec): `host.new_proc` when it holds one,
/// else a new mount; where that is refused (EPERM) and `host` holds a copy of the host's
/// /proc, attaches the copy instead.
void mount_proc(int root_fd, const HostTrees& host = {});
/// Mounts sysfs at /sys, read-only unless `read_only` is false (--privileged):
/// `host.new_sys` when it holds one, else a new mount; where that is refused (EPERM) and
/// `host` holds a copy of the host's /sys, attaches the copy instead.
void mount_sys(int root_fd, bool read_only = true, const HostTrees& host = {});
/// Builds /dev: a tmpfs with null, zero, full, random, urandom and tty, a new devpts instance
/// at /dev/pts with /dev/ptmx pointing into it, /dev/shm, /dev/mqueue, and the symbolic
/// links fd, stdin, stdout and stderr into /proc/self/fd. Needs /proc first. The device
/// nodes are made with mknod(2), or bind-mounted from `host.devices` when it has them; where
/// mounting mqueue is refused, `host.mqueue` is bound instead.
void mount_dev(int root_fd, const HostTrees& host = {});
/// Mounts one --tmpfs, creating its mount point if missing.
void mount_tmpfs(int root_fd, const TmpfsMount& tmpfs);
/// Hides `paths` (docker's: kMaskedPaths): an empty read-only tmpfs on a directory,
/// /dev/null on a file. Paths that do not exist are skipped.
void mask_paths(int root_fd, const std::vector<std::string>& paths);
/// Makes `paths` (docker's: kReadOnlyPaths) read-only (bind each onto itself, remount
/// read-only); missing ones are skipped.
void make_paths_read_only(int root_fd, const std::vector<std::string>& paths);

/// A --tmpfs of the spec (type "tmpfs") as the flags and data mount(2) takes.
/// @throws Error as parse_tmpfs does.
TmpfsMount tmpfs_of(const MountSpec& mount);

}  // namespace dockling::ch03
