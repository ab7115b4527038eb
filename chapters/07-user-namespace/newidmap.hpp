/// @file newidmap.hpp
/// @brief newuidmap(1) and newgidmap(1), the setuid helpers of the uidmap package: they let an
/// ordinary user map the subordinate ids /etc/subuid and /etc/subgid give it, which the kernel
/// would refuse it (an unprivileged writer of a map may map only its own id).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "userns.hpp"

namespace dockling::ch07 {

/// Where the two helpers are, e.g. /usr/bin/newuidmap and /usr/bin/newgidmap.
struct IdMapHelpers {
  std::string newuidmap;  ///< path of newuidmap
  std::string newgidmap;  ///< path of newgidmap
};

/// Looks both helpers up in the directories of `path_env` (a $PATH value, may be null).
/// @return nullopt when either is missing (the uidmap package is not installed).
std::optional<IdMapHelpers> find_idmap_helpers(const char* path_env);

/// Runs `helper PID INSIDE OUTSIDE COUNT...` (one triple per mapping) and waits for it.
/// @throws Error when it cannot start or exits with an error (its own message went to stderr).
void run_idmap_helper(const std::string& helper, pid_t pid, const std::vector<IdMapping>& mappings);

/// Writes the maps of the waiting child `pid` through the helpers instead of the /proc files:
/// newuidmap, then newgidmap. newgidmap settles /proc/PID/setgroups itself (it keeps "allow"
/// when a subgid range is mapped), so `maps.deny_setgroups` is not used.
void write_id_maps_with_helpers(const IdMapHelpers& helpers, pid_t pid, const IdMaps& maps);

}  // namespace dockling::ch07
