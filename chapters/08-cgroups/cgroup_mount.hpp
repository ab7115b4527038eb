/// @file cgroup_mount.hpp
/// @brief The container's own cgroups at /sys/fs/cgroup, read-only, as docker shows them.
///
/// A container that reads its limits (a JVM sizing its heap, nproc, systemd) looks in
/// /sys/fs/cgroup. It must find its own cgroup there, and nothing above it: the host's
/// cgroup.procs lists every process of the machine. runc's two ways, one per version:
///   - v1: a tmpfs with one directory per hierarchy ("memory", "cpu,cpuacct", ...), each a
///     read-only bind of the container's own cgroup in that hierarchy, and links "cpu" and
///     "cpuacct" to "cpu,cpuacct" where controllers share a hierarchy;
///   - v2: a cgroup namespace (unshare(CLONE_NEWCGROUP) once the child is in its cgroup),
///     then cgroup2, read-only: in a cgroup namespace a new cgroup2 mount's root is the
///     namespace's root, the container's cgroup. /proc/self/cgroup then says "0::/".
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "dockling/fd.hpp"
#include "limits.hpp"

namespace dockling::ch08 {

/// Where a container finds its cgroups.
inline constexpr const char* kContainerCgroupDir = "/sys/fs/cgroup";

/// The container's cgroup as a filesystem inside its root, made in two halves around
/// pivot_root: capture() while the host's tree is still there, mount() in the new root.
class CgroupMount {
 public:
  /// Nothing captured: mount() mounts an empty tmpfs (v1) or cgroup2 (v2).
  CgroupMount() = default;

  /// In the child, in its own mount namespace, once it is in its cgroup and before
  /// pivot_root. v1: a detached copy (open_tree(2) with OPEN_TREE_CLONE) of each of
  /// `directories` (the container's cgroup in each hierarchy, `HIERARCHY/dockling/ID` as
  /// Cgroup::directories() gives them), made a slave so that nothing mounted on it inside
  /// reaches the host. v2: nothing to copy; the caller must be in a cgroup namespace of its
  /// own by the time it mounts.
  /// @throws SysError naming the directory that cannot be copied.
  static CgroupMount capture(CgroupVersion version, const std::vector<std::string>& directories);

  /// After pivot_root: mounts the view on `destination`, an existing directory inside the
  /// root (resolved under `root_fd` without leaving it). `flags` are MS_RDONLY, MS_NOSUID,
  /// MS_NODEV, MS_NOEXEC and the atime ones; `data` goes to cgroup2 (v2). v1 as runc: the
  /// tmpfs (mode=755), then the binds with the same flags, then the tmpfs read-only too if
  /// MS_RDONLY is asked. Uses the copies up: a second call mounts an empty tmpfs.
  /// @throws SysError naming the call and the path inside the container.
  void mount(int root_fd, const std::string& destination, unsigned long flags, const std::string& data = {});

 private:
  CgroupVersion version_ = CgroupVersion::v2;
  std::vector<std::pair<std::string, UniqueFd>> hierarchies_;  ///< v1: {"cpu,cpuacct", copy of its cgroup}
};

}  // namespace dockling::ch08
