// Chapter 01 exercise, solved.
#include "chroot.hpp"

#include <unistd.h>

#include "dockling/error.hpp"

namespace dockling::ch01 {

void enter_root(const std::string& rootfs) {
  check(::chroot(rootfs.c_str()), "chroot", rootfs);
  check(::chdir("/"), "chdir", "/");
}

}  // namespace dockling::ch01
