#include "idmapped_root.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <csignal>
#include <cstring>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "dockling/process.hpp"

namespace dockling::ch07 {

UniqueFd make_user_namespace(const IdMaps& maps, const std::optional<IdMapHelpers>& helpers) {
  int ready[2];
  check(::pipe2(ready, O_CLOEXEC), "pipe2");
  UniqueFd read_end(ready[0]), write_end(ready[1]);
  long pid = ::syscall(SYS_clone, static_cast<unsigned long>(CLONE_NEWUSER | SIGCHLD), nullptr, nullptr, nullptr, 0);
  if (pid < 0) throw_sys("clone", "CLONE_NEWUSER");
  if (pid == 0) {
    // The helper only has to exist while its maps are written and its namespace is opened:
    // it waits for end-of-file on the pipe (or for SIGKILL).
    write_end.reset();
    char byte;
    [[maybe_unused]] ssize_t n = ::read(read_end.get(), &byte, 1);
    ::_exit(0);
  }
  Child helper(static_cast<pid_t>(pid));  // killed and reaped when we leave, in any way
  if (helpers)
    write_id_maps_with_helpers(*helpers, helper.pid(), maps);
  else
    write_id_maps(helper.pid(), maps);
  std::string path = fmt::format("/proc/{}/ns/user", pid);
  return UniqueFd(check(::open(path.c_str(), O_RDONLY | O_CLOEXEC), "open", path));
}

UniqueFd idmapped_copy(const std::string& rootfs, int userns_fd, std::string& why_not) {
  int fd = ::open_tree(AT_FDCWD, rootfs.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
  if (fd < 0) {
    if (errno != ENOSYS) throw_sys("open_tree", rootfs);
    why_not = "the kernel has no open_tree(2) (added in Linux 5.2)";
    return UniqueFd();
  }
  UniqueFd tree(fd);
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_IDMAP;
  attr.userns_fd = static_cast<__u64>(userns_fd);
  if (::mount_setattr(tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0) {
    // ENOSYS: before Linux 5.12. EINVAL: this filesystem cannot be id-mapped (ext4, xfs and
    // btrfs can; tmpfs since 6.3, overlayfs since 5.19).
    why_not = fmt::format("mount_setattr(\"{}\", MOUNT_ATTR_IDMAP): {}", rootfs, std::strerror(errno));
    return UniqueFd();
  }
  return tree;
}

void attach_root(const UniqueFd& tree, const std::string& rootfs) {
  check(::move_mount(tree.get(), "", AT_FDCWD, rootfs.c_str(), MOVE_MOUNT_F_EMPTY_PATH), "move_mount", rootfs);
}

}  // namespace dockling::ch07
