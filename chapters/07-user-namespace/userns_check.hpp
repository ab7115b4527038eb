/// @file userns_check.hpp
/// @brief Why a user namespace cannot be made here, in plain words: the host settings that
/// disable or restrict them.
#pragma once

#include <optional>
#include <string>

namespace dockling::ch07 {

/// The host settings that decide whether we may create a user namespace. A setting the
/// kernel does not have (the file is missing) is nullopt.
struct UsernsSettings {
  /// user.max_user_namespaces: how many user namespaces a user may own; 0 disables them.
  std::optional<long> max_user_namespaces;
  /// kernel.unprivileged_userns_clone (Debian's and older Ubuntu's patch): 0 lets only
  /// privileged processes create them.
  std::optional<long> unprivileged_userns_clone;
  /// kernel.apparmor_restrict_unprivileged_userns (Ubuntu 23.10 and later): 1 lets an
  /// unprivileged process create one only under an AppArmor profile that allows `userns`;
  /// without one the namespace is created but gives no capabilities.
  std::optional<long> apparmor_restrict_unprivileged_userns;
  /// Our AppArmor label (/proc/self/attr/current, e.g. "unconfined"); "" when unknown.
  std::string apparmor_label;
};

/// Reads the settings from /proc/sys under `proc_sys` and our label from /proc/self/attr.
UsernsSettings read_userns_settings(const std::string& proc_sys = "/proc/sys");

/// Why a new user namespace cannot be used with these settings, naming the setting and how
/// to change it; "" when nothing stands in the way. `privileged` is true for root (with
/// CAP_SYS_ADMIN): only user.max_user_namespaces = 0 stops root.
std::string userns_problem(const UsernsSettings& settings, bool privileged);

}  // namespace dockling::ch07
