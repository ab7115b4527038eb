// Chapter 03 exercise: fill in pivot_into, then grade it with
//   sudo scripts/grade 3
// Its contract is in chapters/03-mount-namespace/pivot.hpp; the README explains each call.
#include "pivot.hpp"

#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dockling/error.hpp"

namespace dockling::ch03 {

void pivot_into(const std::string& rootfs) {
  // TODO:
  // 1. pivot_root(2) fails with EINVAL unless the new root is a mount point. Make it one by
  //    bind-mounting rootfs onto itself: mount(rootfs, rootfs, nullptr, MS_BIND | MS_REC, nullptr).
  //    (MS_REC: also carry whatever is already mounted below it.) Wrap every call in
  //    check(result, "mount", rootfs) so that a failure names the call and its argument.
  // 2. chdir into rootfs.
  // 3. pivot_root has no glibc wrapper: ::syscall(SYS_pivot_root, new_root, put_old).
  //    Pass "." for both: the new root becomes "/" and the old root is stacked on top of
  //    it, at "." (no put_old directory to create and remove inside the rootfs).
  // 4. The old root (the host's whole tree!) is still reachable at ".". Detach it:
  //    umount2(".", MNT_DETACH). Why MNT_DETACH and not a plain umount? (It is busy.)
  // 5. chdir("/"), so that the working directory is inside the new root.
  (void)rootfs;
  throw NotImplemented("ch03::pivot_into", "exercises/03-mount-namespace/pivot.cpp");
}

}  // namespace dockling::ch03
