#include "dockling/fs.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <cerrno>
#include <vector>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "dockling/fd.hpp"

namespace dockling {

std::string read_file(const std::string& path) {
  UniqueFd fd = open_fd(path, O_RDONLY);
  try {
    return read_all(fd.get());
  } catch (const SysError& e) {
    throw SysError(e.call(), path, e.error_number());
  }
}

void write_file(const std::string& path, const std::string& data) {
  UniqueFd fd = open_fd(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  try {
    write_all(fd.get(), data);
  } catch (const SysError& e) {
    throw SysError(e.call(), path, e.error_number());
  }
}

bool path_exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

bool is_directory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool mount_namespace_of_self(dev_t& dev, ino_t& ino) {
  struct stat st {};
  if (::stat("/proc/self/ns/mnt", &st) != 0) return false;
  dev = st.st_dev;
  ino = st.st_ino;
  return true;
}

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> buffer(bytes);
  std::size_t filled = 0;
  while (filled < bytes) {
    ssize_t n = ::getrandom(buffer.data() + filled, bytes - filled, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_sys("getrandom");
    }
    filled += static_cast<std::size_t>(n);
  }
  std::string hex;
  hex.reserve(2 * bytes);
  for (unsigned char byte : buffer) hex += fmt::format("{:02x}", byte);
  return hex;
}

}  // namespace dockling
