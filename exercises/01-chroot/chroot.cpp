// Chapter 01 exercise: fill in enter_root, then grade it with
//   sudo scripts/grade 1
// Its contract is in chapters/01-chroot/chroot.hpp.
#include "chroot.hpp"

#include <unistd.h>

#include "dockling/error.hpp"

namespace dockling::ch01 {

void enter_root(const std::string& rootfs) {
  // TODO:
  // 1. Make rootfs the root directory: check(::chroot(rootfs.c_str()), "chroot", rootfs);
  //    check() throws a SysError naming the call and its argument when it returns -1.
  // 2. chroot does not move the working directory. Move it into the new root: chdir("/").
  //    What could a process do if you forgot? (The README's escape shows it.)
  (void)rootfs;
  throw NotImplemented("ch01::enter_root", "exercises/01-chroot/chroot.cpp");
}

}  // namespace dockling::ch01
