/// @file in_root.hpp
/// @brief Paths inside the container's root, resolved without leaving it, and mounts on them.
///
/// A rootfs is data, and data can lie: its /proc may be a symbolic link to /etc, or to
/// /proc/1/root/etc. openat2(2) with RESOLVE_IN_ROOT resolves a path as if the given directory
/// were "/" (absolute links and ".." stop there), and RESOLVE_NO_MAGICLINKS refuses the
/// /proc/PID/root style links that jump anywhere. We mount on the file descriptor it returns
/// (through /proc/self/fd/N), so the mount lands exactly where the check was made.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "dockling/fd.hpp"
#include "read_only.hpp"  // remount_read_only, the chapter's exercise

namespace dockling::ch03 {

/// Opens `path` (absolute, inside the root) with O_PATH, resolving it under `root_fd` with
/// RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS. `extra_flags` may add O_DIRECTORY or O_NOFOLLOW.
/// @throws SysError("openat2", path) when it does not exist or would leave the root.
UniqueFd open_in_root(int root_fd, const std::string& path, int extra_flags = 0);

/// Like open_in_root, but returns an empty UniqueFd when `path` does not exist.
UniqueFd open_in_root_if_exists(int root_fd, const std::string& path, int extra_flags = 0);

/// Creates the directory `path` and its missing parents inside the root (like mkdir -p),
/// each component resolved under `root_fd` as open_in_root does; a symbolic link to a path
/// that does not exist yet makes that path (inside the root). Returns an O_PATH fd to it.
UniqueFd make_directories_in_root(int root_fd, const std::string& path, unsigned mode = 0755);

/// The contents of the file `path` (absolute, inside the root directory `root`), resolved as
/// open_in_root does: a rootfs's /etc/passwd that is a link to the host's /etc/shadow stays
/// inside the rootfs. nullopt when it does not exist. Usable from the parent, before clone.
/// @throws SysError naming the path for any other failure.
std::optional<std::string> read_file_in_root(const std::filesystem::path& root, const std::string& path);

/// /proc/self/fd/N: a name for an fd that mount(2) accepts as a source or target. Needs a
/// mounted /proc.
std::string fd_path(int fd);

/// mount(2) onto what `target_fd` refers to. `name` (the path inside the container) is used
/// in the error message.
void mount_on(int target_fd, const std::string& name, const std::string& source, const std::string& fstype,
              unsigned long flags, const std::string& data = {});

}  // namespace dockling::ch03
