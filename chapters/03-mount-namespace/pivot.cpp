#include "pivot.hpp"

#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dockling/error.hpp"

namespace dockling::ch03 {

void pivot_into(const std::string& rootfs) {
  // pivot_root(2) wants the new root to be a mount point: bind the directory onto itself.
  // MS_REC carries along whatever is already mounted below it.
  check(::mount(rootfs.c_str(), rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr), "mount", rootfs);
  check(::chdir(rootfs.c_str()), "chdir", rootfs);
  // pivot_root(".", "."): the new root becomes "/", and the old root is stacked on top of it,
  // at ".". No put_old directory has to be made (and removed) inside the rootfs.
  check(::syscall(SYS_pivot_root, ".", "."), "pivot_root", ".");
  // The old root is now the top mount at "."; detach it, with everything below it. Lazily
  // (MNT_DETACH): it is busy, our own executable still lives there.
  check(::umount2(".", MNT_DETACH), "umount2", ".");
  check(::chdir("/"), "chdir", "/");
}

}  // namespace dockling::ch03
