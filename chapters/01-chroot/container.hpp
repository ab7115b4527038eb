/// @file container.hpp
/// @brief What one `run` asks for: the root, the command, its environment and directory.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace dockling {

/// The container a `run` starts. Filled from the command line, then read and extended by
/// the steps (a step may add environment variables, change the workdir, ...).
struct Container {
  std::string id;                   ///< 64 hex digits, like docker's container ids
  std::filesystem::path rootfs;     ///< the root filesystem directory (absolute)
  std::vector<std::string> argv;    ///< the command and its arguments
  std::vector<std::string> env;     ///< KEY=VALUE, the command's whole environment
  std::string workdir = "/";        ///< the working directory inside the root
  std::string hostname;             ///< set by chapter 05 (-h, default the short id); empty before
  bool user_namespace = false;      ///< set by chapter 07: the child gets a user namespace of its own
  int sync_fd = -1;                 ///< in the child: its end of the socket to the parent
  int cgroup_fd = -1;               ///< set by chapter 08 (v2): the cgroup to clone the child into
  bool born_in_cgroup = false;      ///< the pipeline cloned the child into cgroup_fd

  /// The first 12 hex digits of the id, as `docker ps` shows it.
  std::string short_id() const { return id.substr(0, 12); }
};

/// Docker's default PATH inside a container.
inline constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

}  // namespace dockling
