/// @file userns.hpp
/// @brief Chapter 07's exercise functions: the id maps of a new user namespace, written by
/// the parent.
///
/// Defined in exercises/07-user-namespace/userns.cpp (the stubs you fill in) or
/// solutions/07-user-namespace/userns.cpp.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "spec.hpp"

namespace dockling::ch07 {

/// One line of a uid_map or gid_map (defined with the spec).
using dockling::IdMapping;

/// Everything the parent writes into /proc/PID/ for a child in a new user namespace.
struct IdMaps {
  std::vector<IdMapping> uids;  ///< lines of /proc/PID/uid_map
  std::vector<IdMapping> gids;  ///< lines of /proc/PID/gid_map
  /// Write "deny" to /proc/PID/setgroups. The kernel demands it before an unprivileged
  /// process may write a gid_map (a rootless container): otherwise the container could drop
  /// a supplementary group with setgroups(2) and get past a "deny this group" permission.
  bool deny_setgroups = false;
};

/// Exercise: the text of a uid_map or gid_map for `mappings`: one "INSIDE OUTSIDE COUNT"
/// line each, numbers separated by one space, every line ending in "\n".
/// For {{0, 100000, 65536}} that is "0 100000 65536\n".
std::string id_map_text(const std::vector<IdMapping>& mappings);

/// Exercise: writes the maps of the child `pid`, which was just cloned with CLONE_NEWUSER and
/// waits: /proc/PID/uid_map, then "deny" to /proc/PID/setgroups when `maps.deny_setgroups`,
/// then /proc/PID/gid_map. Each map is written with a single write(2), and only once: the
/// kernel takes the first write and refuses every later one.
/// @throws SysError naming the call and the file, e.g. write("/proc/4242/gid_map").
void write_id_maps(pid_t pid, const IdMaps& maps);

}  // namespace dockling::ch07
