#include "oci_devices.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>

#include "container_mounts.hpp"
#include "dockling/error.hpp"
#include "dockling/log.hpp"
#include "in_root.hpp"

namespace dockling::ch09 {

namespace {

[[noreturn]] void refuse(const DeviceNode& device, const SysError& e) {
  throw Error(fmt::format("config.json: linux.devices ({}): {}", device.path, e.what()));
}

}  // namespace

void OciDevices::open_sources() {
  host_nodes_.clear();
  if (devices_.empty() || !ch03::in_user_namespace()) return;
  for (const auto& device : devices_) {
    int fd = ::open_tree(AT_FDCWD, device.path.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
    if (fd < 0) refuse(device, SysError("open_tree", device.path + " (the host's node, bound in a user namespace)", errno));
    host_nodes_.emplace_back(fd);
  }
}

void OciDevices::make_all(int root_fd) {
  for (size_t i = 0; i < devices_.size(); ++i) {
    const DeviceNode& device = devices_[i];
    std::filesystem::path path(device.path);
    try {
      UniqueFd parent = ch03::make_directories_in_root(root_fd, path.parent_path().string());
      std::string name = path.filename().string();
      // Replace what is there (chapter 03's /dev/null, say): the bundle's node wins, as with runc.
      if (::unlinkat(parent.get(), name.c_str(), 0) != 0 && errno != ENOENT) throw_sys("unlink", device.path);
      if (!host_nodes_.empty()) {
        log::debug("child: device {} (the host's, bound)", device.path);
        int file = ::openat(parent.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (file < 0) throw_sys("create", device.path);
        ::close(file);
        UniqueFd target = ch03::open_in_root(root_fd, device.path);
        check(::move_mount(host_nodes_[i].get(), "", target.get(), "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH),
              "move_mount", device.path);
        continue;
      }
      log::debug("child: device {} {:o} {}:{}", device.path, device.mode, major(device.rdev), minor(device.rdev));
      check(::mknodat(parent.get(), name.c_str(), device.mode, device.rdev), "mknod", device.path);
      // mknod's mode passed through the umask: set it exactly.
      check(::fchmodat(parent.get(), name.c_str(), device.mode & 07777, 0), "chmod", device.path);
      check(::fchownat(parent.get(), name.c_str(), device.uid, device.gid, AT_SYMLINK_NOFOLLOW), "chown", device.path);
    } catch (const SysError& e) {
      refuse(device, e);
    }
  }
  host_nodes_.clear();
}

}  // namespace dockling::ch09
