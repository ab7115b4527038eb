/// @file fd.hpp
/// @brief RAII ownership of file descriptors, and pipes.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace dockling {

/// Owns one file descriptor and closes it when destroyed. Move-only.
class UniqueFd {
 public:
  UniqueFd() = default;
  /// Takes ownership of `fd` (-1 means none).
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  /// Takes over `other`'s descriptor.
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  /// Closes the held descriptor and takes over `other`'s.
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  /// The descriptor, still owned.
  int get() const noexcept { return fd_; }
  /// True when a descriptor is held.
  explicit operator bool() const noexcept { return fd_ >= 0; }
  /// Gives up ownership and returns the descriptor.
  int release() noexcept { return std::exchange(fd_, -1); }
  /// Closes the held descriptor (if any) and takes `fd`.
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

/// Both ends of a pipe(2).
struct Pipe {
  UniqueFd read;   ///< the read end
  UniqueFd write;  ///< the write end
};

/// Creates a pipe with O_CLOEXEC set on both ends.
Pipe make_pipe();

/// Opens `path` with `flags` (O_CLOEXEC is always added); throws SysError naming the path.
UniqueFd open_fd(const std::string& path, int flags, int mode = 0);

/// Writes all of `data` to `fd`, retrying on EINTR and short writes; throws SysError.
void write_all(int fd, std::string_view data);

/// Reads from `fd` until end of file; throws SysError.
std::string read_all(int fd);

}  // namespace dockling
