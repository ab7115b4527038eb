// Chapter 03 exercise: write remount_read_only, then grade it with
//   sudo scripts/grade 3
// The contract is in chapters/03-mount-namespace/read_only.hpp. Man pages: mount(2) (the
// section "Remounting an existing mount"), statvfs(3), mount_namespaces(7) (locked mounts),
// proc(5) (/proc/self/fd), and, for another way, mount_setattr(2).
//
// Pitfalls the tests catch (each failure says which flag or mount it found changed):
// - A remount sets a mount's flags as a whole: a flag you do not pass is a flag you clear.
//   What the mount has now, you must find out first.
// - What statvfs(3) reports and what mount(2) takes are two families of constants; do not
//   rely on them being equal.
// - A remount of the filesystem and a remount of one mount are two different requests: one
//   of them also freezes every other place the same filesystem is mounted.
// - In a user namespace the kernel locks the flags a mount came in with: the tests run your
//   function there too, where clearing nosuid is not quietly accepted but refused (EPERM).
// - mount(2) wants a path, you are given a descriptor (in_root.hpp has helpers).
#include "read_only.hpp"

#include "dockling/error.hpp"

namespace dockling::ch03 {

void remount_read_only(int target_fd, const std::string& name) {
  (void)target_fd;
  (void)name;
  throw NotImplemented("ch03::remount_read_only", "exercises/03-mount-namespace/read_only.cpp");
}

}  // namespace dockling::ch03
