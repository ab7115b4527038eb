// Chapter 03 exercise, solved.
#include "read_only.hpp"

#include <sys/mount.h>
#include <sys/statvfs.h>

#include "dockling/error.hpp"
#include "in_root.hpp"

namespace dockling::ch03 {

void remount_read_only(int target_fd, const std::string& name) {
  // A remount with MS_BIND changes the flags of this one mount (without MS_BIND it would
  // reconfigure the filesystem: every mount of it). It sets them all at once: what is not
  // passed is cleared. So read them first, and pass them back with MS_RDONLY added.
  struct statvfs st;
  check(::fstatvfs(target_fd, &st), "statvfs", name);
  // statvfs(3) reports ST_* flags; mount(2) takes MS_* flags. Translate each one.
  unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY;
  if (st.f_flag & ST_NOSUID) flags |= MS_NOSUID;
  if (st.f_flag & ST_NODEV) flags |= MS_NODEV;
  if (st.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  if (st.f_flag & ST_NOATIME) flags |= MS_NOATIME;
  if (st.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
  if (st.f_flag & ST_RELATIME) flags |= MS_RELATIME;
  // Neither noatime nor relatime: strictatime. (With no atime flag at all the kernel would
  // keep the mount's own, but saying it leaves nothing to chance.)
  if (!(st.f_flag & (ST_NOATIME | ST_RELATIME))) flags |= MS_STRICTATIME;
  // mount(2) takes a path, not a descriptor: /proc/self/fd/N names the mount target_fd holds.
  mount_on(target_fd, name, "", "", flags);
}

}  // namespace dockling::ch03
