#include "dockling/fd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "dockling/error.hpp"

namespace dockling {

void UniqueFd::reset(int fd) noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Pipe make_pipe() {
  int fds[2];
  check(::pipe2(fds, O_CLOEXEC), "pipe2");
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

UniqueFd open_fd(const std::string& path, int flags, int mode) {
  return UniqueFd(check(::open(path.c_str(), flags | O_CLOEXEC, mode), "open", path));
}

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_sys("write");
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

std::string read_all(int fd) {
  std::string out;
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_sys("read");
    }
    if (n == 0) return out;
    out.append(buffer, static_cast<size_t>(n));
  }
}

}  // namespace dockling
