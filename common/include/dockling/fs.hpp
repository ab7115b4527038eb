/// @file fs.hpp
/// @brief Small file helpers that throw SysError naming the path.
#pragma once

#include <sys/types.h>

#include <string>

namespace dockling {

/// Reads the whole file at `path`; throws SysError("open", path) and friends.
std::string read_file(const std::string& path);
/// Replaces the contents of `path` with `data` (O_WRONLY|O_CREAT|O_TRUNC, mode 0644).
void write_file(const std::string& path, const std::string& data);
/// True when `path` exists (without following a final symbolic link).
bool path_exists(const std::string& path);
/// True when `path` is a directory (following symbolic links, as chroot(2) does).
bool is_directory(const std::string& path);
/// The mount namespace this process is in, as /proc/self/ns/mnt names it (device and inode);
/// false when there is no /proc to ask. Two processes share it when both numbers are equal.
bool mount_namespace_of_self(dev_t& dev, ino_t& ino);
/// `bytes` random bytes from getrandom(2) as lowercase hex (2 × bytes characters).
std::string random_hex(std::size_t bytes);

}  // namespace dockling
