// Chapter 01 exercise, solved.
#include "chroot.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "dockling/error.hpp"

namespace dockling::ch01 {

namespace {

/// The descriptors this process has open, read from /proc/self/fd while the host's /proc is
/// still "/proc" (before the chroot). The directory stream used to read them is left out.
std::vector<int> open_descriptors() {
  DIR* dir = ::opendir("/proc/self/fd");  // opendir opens with O_CLOEXEC
  if (dir == nullptr) throw_sys("opendir", "/proc/self/fd");
  std::vector<int> fds;
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    int fd = std::atoi(entry->d_name);
    if (fd != ::dirfd(dir)) fds.push_back(fd);
  }
  ::closedir(dir);
  return fds;
}

/// Throws when a directory descriptor would survive execve(2).
void refuse_inherited_directories() {
  for (int fd : open_descriptors()) {
    int flags = ::fcntl(fd, F_GETFD);
    if (flags < 0 || (flags & FD_CLOEXEC)) continue;  // closed meanwhile, or closed at exec
    struct stat st;
    if (::fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    char target[PATH_MAX] = {};
    std::string link = fmt::format("/proc/self/fd/{}", fd);
    ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
    throw Error(fmt::format("fd {} is an open directory ({}) that the command would inherit: fchdir to it "
                            "leads out of the root (open it with O_CLOEXEC, or close it)",
                            fd, n > 0 ? std::string(target, static_cast<size_t>(n)) : "?"));
  }
}

}  // namespace

void enter_root(const std::string& rootfs) {
  refuse_inherited_directories();
  // chroot(2) changes what "/" means, not the working directory: it may still be outside
  // (and `..` from there climbs to the host's real root). A relative rootfs is resolved
  // against the working directory by chroot itself, so it must come first.
  check(::chroot(rootfs.c_str()), "chroot", rootfs);
  check(::chdir("/"), "chdir", "/");
}

}  // namespace dockling::ch01
