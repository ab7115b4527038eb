/// @file exec_user.hpp
/// @brief `-u/--user`: which user the command runs as inside the container, looked up in the
/// container's own /etc/passwd and /etc/group, and the switch to it.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "spec.hpp"

namespace dockling::ch07 {

/// The ids the command runs with (the spec's ProcessUser: groups sorted, see resolve_user),
/// and its home directory.
struct ExecUser : ProcessUser {
  std::string home = "/";  ///< from passwd; "/" for a uid passwd does not know (docker's)
};

/// Resolves docker's `-u USER[:GROUP]` against the texts of the container's /etc/passwd and
/// /etc/group, as docker 20.10 does. USER is a name or a uid ("" means root), GROUP a name or
/// a gid. A uid that is not in passwd is used as it is (with gid 0 unless GROUP says
/// otherwise); a name must be found. Without GROUP the user's primary group from passwd is
/// used. The supplementary groups are the primary group plus, when GROUP was not given, every
/// group that lists the user as a member (`-u nobody` → groups=65534; root → 0 and its groups).
/// @throws Error (exit 125), e.g. `unable to find user web: no matching entries in passwd file`.
ExecUser resolve_user(const std::string& spec, const std::string& passwd, const std::string& group);

/// Adds docker's `--group-add` groups (names looked up in the /etc/group text `group`, numbers
/// taken as they are) to `user.groups`, keeping them sorted and unique.
/// @throws Error, e.g. `Unable to find group audio: no matching entries in group file`.
void add_groups(ExecUser& user, const std::vector<std::string>& names, const std::string& group);

/// Becomes `user`: setgroups(2) (when the user namespace allows it; otherwise only the
/// primary group is accepted, and the list is left as it is), setresgid(2), setresuid(2).
/// @throws Error in plain words when an id is not mapped in the user namespace.
void switch_user(const ProcessUser& user, bool setgroups_allowed);

/// Whether this process may call setgroups(2): /proc/self/setgroups does not say "deny"
/// (a rootless user namespace without newgidmap denies it).
bool setgroups_allowed();

/// Adds HOME=`home` to `env` unless it already sets HOME (docker: -e HOME=... wins).
void set_default_home(std::vector<std::string>& env, const std::string& home);

}  // namespace dockling::ch07
