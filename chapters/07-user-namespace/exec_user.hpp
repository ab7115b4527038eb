/// @file exec_user.hpp
/// @brief `-u/--user`: which user the command runs as inside the container, looked up in the
/// container's own /etc/passwd and /etc/group, and the switch to it.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace dockling::ch07 {

/// The ids the command runs with.
struct ExecUser {
  uid_t uid = 0;  ///< the user id inside the container
  gid_t gid = 0;  ///< the primary group id inside the container
  std::vector<gid_t> groups;  ///< supplementary groups: the groups that list the user as a member
};

/// Resolves docker's `-u USER[:GROUP]` against the texts of the container's /etc/passwd and
/// /etc/group. USER is a name or a uid, GROUP a name or a gid. A uid that is not in passwd is
/// used as it is (with gid 0 unless GROUP says otherwise); a name must be found. Without
/// GROUP the user's primary group from passwd is used.
/// @throws Error (exit 125), e.g. `unable to find user web: no matching entries in passwd file`.
ExecUser resolve_user(const std::string& spec, const std::string& passwd, const std::string& group);

/// Becomes `user`: setgroups(2) (when the user namespace allows it; otherwise only an empty
/// list is accepted), setresgid(2), setresuid(2). Call in the child right before exec.
/// @throws Error in plain words when an id is not mapped in the user namespace.
void switch_user(const ExecUser& user, bool setgroups_allowed);

}  // namespace dockling::ch07
