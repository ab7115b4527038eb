#include "in_root.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include <fmt/format.h>

#include "dockling/error.hpp"

namespace dockling::ch03 {

namespace {

/// openat2(2) has no glibc wrapper in Debian 12's glibc 2.36.
int openat2_in_root(int root_fd, const std::string& path, int extra_flags, int access = O_PATH) {
  open_how how{};
  how.flags = static_cast<__u64>(access | O_CLOEXEC | extra_flags);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  // Relative to root_fd: with RESOLVE_IN_ROOT a leading "/" means root_fd anyway.
  size_t start = path.find_first_not_of('/');
  std::string relative = start == std::string::npos ? "." : path.substr(start);
  long fd;
  do {
    fd = ::syscall(SYS_openat2, root_fd, relative.c_str(), &how, sizeof how);
  } while (fd < 0 && (errno == EINTR || errno == EAGAIN));  // EAGAIN: a rename raced the walk
  return static_cast<int>(fd);
}

}  // namespace

UniqueFd open_in_root(int root_fd, const std::string& path, int extra_flags) {
  return UniqueFd(check(openat2_in_root(root_fd, path, extra_flags), "openat2", path));
}

UniqueFd open_in_root_if_exists(int root_fd, const std::string& path, int extra_flags) {
  int fd = openat2_in_root(root_fd, path, extra_flags);
  if (fd < 0 && errno == ENOENT) return UniqueFd();
  return UniqueFd(check(fd, "openat2", path));
}

namespace {

/// make_directories_in_root(), counting the symbolic links followed so far (a loop ends at 40,
/// as the kernel's ELOOP does).
UniqueFd make_directories(int root_fd, const std::string& path, unsigned mode, int links) {
  std::filesystem::path so_far = "/";
  UniqueFd dir = open_in_root(root_fd, "/", O_DIRECTORY);
  for (const auto& part : std::filesystem::path(path).lexically_normal().relative_path()) {
    if (part.empty() || part == ".") continue;
    std::filesystem::path parent = so_far;
    so_far /= part;
    UniqueFd next = open_in_root_if_exists(root_fd, so_far, O_DIRECTORY);
    if (!next) {
      // mkdirat in the parent we resolved (never follows a link in the last component),
      // then resolve again: another process may have won the race, which is fine.
      if (::mkdirat(dir.get(), part.c_str(), mode) != 0 && errno != EEXIST) throw_sys("mkdir", so_far.string());
      next = open_in_root_if_exists(root_fd, so_far, O_DIRECTORY);
    }
    if (!next) {
      // A symbolic link to where nothing is yet (docker's VOLUME /data with /data -> /srv/x):
      // make its target, read as the root sees it.
      char target[4096];
      ssize_t length = ::readlinkat(dir.get(), part.c_str(), target, sizeof target - 1);
      if (length < 0) throw_sys("mkdir", so_far.string());
      if (++links > 40) throw SysError("mkdir", so_far.string(), ELOOP);
      std::filesystem::path link(std::string(target, static_cast<size_t>(length)));
      so_far = link.is_absolute() ? link : parent / link;
      next = make_directories(root_fd, so_far.string(), mode, links);
    }
    dir = std::move(next);
  }
  return dir;
}

}  // namespace

UniqueFd make_directories_in_root(int root_fd, const std::string& path, unsigned mode) {
  return make_directories(root_fd, path, mode, 0);
}

std::optional<std::string> read_file_in_root(const std::filesystem::path& root, const std::string& path) {
  UniqueFd root_fd(check(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC), "open", root.string()));
  int fd = openat2_in_root(root_fd.get(), path, O_NOCTTY, O_RDONLY);
  if (fd < 0 && errno == ENOENT) return std::nullopt;
  UniqueFd file(check(fd, "openat2", root.string() + path));
  std::string text;
  char buffer[8192];
  ssize_t n;
  while ((n = ::read(file.get(), buffer, sizeof buffer)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_sys("read", root.string() + path);
    text.append(buffer, static_cast<size_t>(n));
  }
  return text;
}

std::string fd_path(int fd) { return fmt::format("/proc/self/fd/{}", fd); }

void mount_on(int target_fd, const std::string& name, const std::string& source, const std::string& fstype,
              unsigned long flags, const std::string& data) {
  std::string target = fd_path(target_fd);
  check(::mount(source.c_str(), target.c_str(), fstype.empty() ? nullptr : fstype.c_str(), flags,
                data.empty() ? nullptr : data.c_str()),
        "mount", name);
}

}  // namespace dockling::ch03
