/// @file oci_mounts.hpp
/// @brief An OCI bundle's own mounts (config.json `mounts`, the spec's root.mounts): bind mounts, a second tmpfs,
/// proc, sysfs, mqueue or devpts elsewhere, and the cgroup filesystem.
///
/// A bind mount's source lies on the host, its destination inside the container's root. The
/// child opens every source while it still sees the host's tree (open_tree(2) with
/// OPEN_TREE_CLONE: a detached copy, mounted nowhere yet) and attaches the copies once
/// pivot_root has made the rootfs "/", at destinations resolved with chapter 03's openat2
/// helpers, so that a symbolic link in the rootfs cannot send a mount outside it.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "cgroup_mount.hpp"
#include "dockling/fd.hpp"
#include "spec.hpp"

namespace dockling::ch09 {

/// How one of the spec's mounts is made: its options read into mount(2) flags.
struct OciMount {
  std::string field;          ///< "mounts[3]", for messages
  std::string destination;    ///< absolute, inside the container
  std::string type;           ///< "bind" for every bind mount, else the filesystem type
  std::string source;         ///< bind: the host's path (absolute); else what mount(2) gets
  unsigned long set = 0;      ///< MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, atime flags asked for
  unsigned long cleared = 0;  ///< rw, suid, dev, exec: flags a bind must not keep from its source
  unsigned long propagation = 0;  ///< MS_PRIVATE, MS_SLAVE, ... (| MS_REC); 0: none asked for
  bool recursive = false;     ///< rbind: the source's submounts come along
  std::string data;           ///< the filesystem's own options, e.g. "size=64m,mode=1777"
};

/// Reads mounts[i] of config.json into the spec's form, as runc reads it: type "bind", or
/// any type (or none) with a "bind"/"rbind" option, is a bind mount (type "bind"); a
/// relative source is relative to `bundle_dir`.
/// @throws Error naming config.json and the field, e.g. `config.json: mounts[2].destination: ...`.
MountSpec read_mount(const nlohmann::json& entry, const std::string& field, const std::filesystem::path& bundle_dir);

/// The flags of one mount: the options ro, rw, nosuid, suid, nodev, dev, noexec, exec, the
/// atime ones and the propagation ones (private, rprivate, shared, rshared, slave, rslave,
/// unbindable, runbindable) become flags; the rest is passed to the filesystem.
OciMount mount_plan(const MountSpec& mount);

/// A bundle's mounts, made in the child in two halves around pivot_root.
class OciMounts {
 public:
  /// @param mounts in the order they are made (config.json's)
  explicit OciMounts(const std::vector<MountSpec>& mounts);

  /// Before pivot_root, in the container's mount namespace, once it is in its cgroup (the
  /// cgroups step's `dockling/<container_id>`): detached copies of each bind source
  /// (recursive for rbind) and, for a cgroup mount on cgroup v1, of the container's own
  /// directory in each controller's hierarchy.
  /// @throws Error naming config.json, the mount and the source that cannot be opened.
  void open_sources(const std::string& container_id);

  /// After pivot_root ("/" is the container's root), in config.json's order: creates each
  /// destination that is missing (a directory, or an empty file for a file source) and
  /// mounts on it. A cgroup mount is chapter 08's view of the container's own cgroup
  /// (ch08::CgroupMount): cgroup2 on v2; on v1 a tmpfs holding read-only (if asked) binds
  /// of the container's own cgroup in each hierarchy, as runc makes it.
  void mount_all(int root_fd);
  /// Like mount_all(), for the one mount at `index` (of the constructor's list): for a
  /// caller that interleaves these mounts with its own (chapter 13's volumes).
  void mount(int root_fd, size_t index);

 private:
  void mount_one(int root_fd, size_t index);
  void mount_cgroup(int root_fd, const OciMount& mount);

  std::vector<OciMount> mounts_;
  std::vector<UniqueFd> sources_;  ///< per mount: the detached copy of a bind's source
  ch08::CgroupMount cgroup_;       ///< the container's own cgroup, for a cgroup mount
};

}  // namespace dockling::ch09
