#include "userns_check.hpp"

#include <fmt/format.h>

#include "id_ranges.hpp"

namespace dockling::ch07 {

namespace {

/// The number in the sysctl file `path`, or nullopt when there is no such file.
std::optional<long> read_sysctl(const std::string& path) {
  std::string text = read_optional_file(path);
  try {
    return text.empty() ? std::nullopt : std::optional<long>(std::stol(text));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

UsernsSettings read_userns_settings(const std::string& proc_sys) {
  UsernsSettings settings;
  settings.max_user_namespaces = read_sysctl(proc_sys + "/user/max_user_namespaces");
  settings.unprivileged_userns_clone = read_sysctl(proc_sys + "/kernel/unprivileged_userns_clone");
  settings.apparmor_restrict_unprivileged_userns =
      read_sysctl(proc_sys + "/kernel/apparmor_restrict_unprivileged_userns");
  settings.apparmor_label = read_optional_file("/proc/self/attr/current");
  while (!settings.apparmor_label.empty() &&
         (settings.apparmor_label.back() == '\n' || settings.apparmor_label.back() == '\0'))
    settings.apparmor_label.pop_back();
  return settings;
}

std::string userns_problem(const UsernsSettings& settings, bool privileged) {
  if (settings.max_user_namespaces == 0) {
    return fmt::format(
        "user namespaces are disabled on this host: user.max_user_namespaces is 0. Enable them with "
        "`sudo sysctl -w user.max_user_namespaces=15000`{}",
        privileged ? ", or run with --userns host" : "");
  }
  if (privileged) return {};
  if (settings.unprivileged_userns_clone == 0) {
    return "user namespaces are disabled for ordinary users on this host: kernel.unprivileged_userns_clone "
           "is 0. Enable them with `sudo sysctl -w kernel.unprivileged_userns_clone=1`, or run as root";
  }
  // An AppArmor profile of our own may allow `userns`; we cannot read its rules, so only an
  // unconfined process (the usual case) is stopped here.
  bool unconfined = settings.apparmor_label.empty() || settings.apparmor_label.rfind("unconfined", 0) == 0;
  if (settings.apparmor_restrict_unprivileged_userns == 1 && unconfined) {
    return "AppArmor restricts user namespaces for ordinary users on this host "
           "(kernel.apparmor_restrict_unprivileged_userns is 1, Ubuntu's default since 23.10): a rootless "
           "container would get no capabilities inside it. Allow them with "
           "`sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`, or give this binary an "
           "AppArmor profile with the `userns,` rule, or run as root";
  }
  return {};
}

}  // namespace dockling::ch07
