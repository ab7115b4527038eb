#include "cgroup_mount.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "cgroup.hpp"
#include "container_mounts.hpp"
#include "dockling/error.hpp"
#include "dockling/log.hpp"
#include "in_root.hpp"

namespace dockling::ch08 {

namespace {

using ch03::attach_mount_tree;
using ch03::copy_mount_tree;
using ch03::mount_on;
using ch03::open_in_root;
using ch03::remount_read_only;

/// mount_setattr(2) on a detached tree or a mount, by its fd.
void set_attributes(int fd, mount_attr attr, unsigned flags, const std::string& name) {
  check(::mount_setattr(fd, "", AT_EMPTY_PATH | flags, &attr, sizeof attr), "mount_setattr", name);
}

/// The mount_setattr(2) attributes of MS_* flags.
mount_attr attributes_of(unsigned long flags) {
  mount_attr attr{};
  if (flags & MS_RDONLY) attr.attr_set |= MOUNT_ATTR_RDONLY;
  if (flags & MS_NOSUID) attr.attr_set |= MOUNT_ATTR_NOSUID;
  if (flags & MS_NODEV) attr.attr_set |= MOUNT_ATTR_NODEV;
  if (flags & MS_NOEXEC) attr.attr_set |= MOUNT_ATTR_NOEXEC;
  if (flags & MS_NODIRATIME) attr.attr_set |= MOUNT_ATTR_NODIRATIME;
  for (auto [flag, attribute] : {std::pair{MS_NOATIME, MOUNT_ATTR_NOATIME}, std::pair{MS_STRICTATIME, MOUNT_ATTR_STRICTATIME},
                                 std::pair{MS_RELATIME, MOUNT_ATTR_RELATIME}}) {
    if (flags & flag) {
      attr.attr_set |= attribute;
      attr.attr_clr |= MOUNT_ATTR__ATIME;  // the atime modes are one field
    }
  }
  return attr;
}

/// "cpu,cpuacct" for /sys/fs/cgroup/cpu,cpuacct/dockling/ID: the container's cgroups lie
/// below their hierarchy's directory by the parent's names (one, or more for "lab/t1/host2")
/// and their own.
std::string hierarchy_of(const std::string& directory) {
  std::string parent = cgroup_parent();
  std::filesystem::path hierarchy = std::filesystem::path(directory).parent_path();
  for (auto names = std::count(parent.begin(), parent.end(), '/') + 1; names > 0; --names)
    hierarchy = hierarchy.parent_path();
  return hierarchy.filename().string();
}

}  // namespace

CgroupMount CgroupMount::capture(CgroupVersion version, const std::vector<std::string>& directories) {
  CgroupMount view;
  view.version_ = version;
  if (version == CgroupVersion::v2) return view;
  for (const auto& dir : directories) {
    UniqueFd copy = copy_mount_tree(dir.c_str(), 0);
    if (!copy) continue;  // removed meanwhile: nothing to show
    // The host's cgroup mounts are usually shared (systemd): their copy joins the peer group.
    mount_attr slave{};
    slave.propagation = MS_SLAVE;
    set_attributes(copy.get(), slave, 0, dir);
    view.hierarchies_.emplace_back(hierarchy_of(dir), std::move(copy));
  }
  return view;
}

void CgroupMount::mount(int root_fd, const std::string& destination, unsigned long flags, const std::string& data) {
  UniqueFd target = open_in_root(root_fd, destination, O_DIRECTORY);
  if (version_ == CgroupVersion::v2) {
    log::debug("child: cgroup2 on {}", destination);
    mount_on(target.get(), destination, "cgroup2", "cgroup2", flags, data);
    return;
  }
  log::debug("child: tmpfs on {} with the container's cgroup in {} hierarchies", destination, hierarchies_.size());
  mount_on(target.get(), destination, "tmpfs", "tmpfs", flags & ~MS_RDONLY, "mode=755");
  UniqueFd tmpfs = open_in_root(root_fd, destination, O_DIRECTORY);  // the tmpfs, not what lies under it
  for (auto& [hierarchy, tree] : hierarchies_) {
    std::string path = destination + "/" + hierarchy;
    check(::mkdirat(tmpfs.get(), hierarchy.c_str(), 0755), "mkdir", path);
    UniqueFd dir(check(::openat(tmpfs.get(), hierarchy.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), "open", path));
    set_attributes(tree.get(), attributes_of(flags), 0, path);  // read-only before it is ever seen
    attach_mount_tree(tree, dir.get(), path);
    // "cpu" → "cpu,cpuacct", "cpuacct" → "cpu,cpuacct": the names programs look for.
    if (hierarchy.find(',') == std::string::npos) continue;
    size_t start = 0;
    while (start <= hierarchy.size()) {
      size_t comma = std::min(hierarchy.find(',', start), hierarchy.size());
      std::string part = hierarchy.substr(start, comma - start);
      if (::symlinkat(hierarchy.c_str(), tmpfs.get(), part.c_str()) != 0 && errno != EEXIST)
        throw_sys("symlink", destination + "/" + part);
      start = comma + 1;
    }
  }
  hierarchies_.clear();
  if (flags & MS_RDONLY) remount_read_only(tmpfs.get(), destination);
}


}  // namespace dockling::ch08
