// Chapter 01 exercise: write enter_root, then grade it with
//   sudo scripts/grade 1
// The contract is in chapters/01-chroot/chroot.hpp: read it to the end, the errors included.
// Man pages: chroot(2), chdir(2), path_resolution(7), fcntl(2) (FD_CLOEXEC), proc(5)
// (/proc/self/fd).
//
// Pitfalls the tests catch (each test's failure message says which):
// - chroot(2) moves "/" and nothing else. Where is the working directory afterwards, and
//   where does `..` lead from there? Do not count on the caller to fix it: the tests call
//   enter_root directly, from a working directory outside the new root.
// - `rootfs` may be relative, to the working directory the caller had.
// - A directory descriptor without close-on-exec survives execve(2). Which descriptors are
//   open is a question only the host's /proc can answer: ask it while you can still see it.
//   Whatever you open to find out is a descriptor too.
// - "Nothing changed" on failure: check what can be checked before the first change.
#include "chroot.hpp"

#include <unistd.h>

#include "dockling/error.hpp"

namespace dockling::ch01 {

void enter_root(const std::string& rootfs) {
  (void)rootfs;
  throw NotImplemented("ch01::enter_root", "exercises/01-chroot/chroot.cpp");
}

}  // namespace dockling::ch01
