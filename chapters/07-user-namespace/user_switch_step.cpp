#include "user_switch_step.hpp"

#include <sys/prctl.h>

#include <csignal>

#include <fmt/ranges.h>

#include "dockling/error.hpp"
#include "dockling/log.hpp"
#include "id_ranges.hpp"

namespace dockling::ch07 {

void UserFlags::add_to(CLI::App& run) {
  run.add_option("-u,--user", user, "Run the command as USER[:GROUP] (a name or a number each)")
      ->allow_extra_args(false);
  run.add_option("--group-add", group_add, "Add supplementary groups (names or numbers)")->allow_extra_args(false);
}

ExecUser UserFlags::resolve() const {
  std::string group = read_optional_file("/etc/group");
  ExecUser exec_user = resolve_user(user, read_optional_file("/etc/passwd"), group);
  add_groups(exec_user, group_add, group);
  return exec_user;
}

void UserSwitchStep::in_child(Container& container) {
  ExecUser user = flags_.resolve();
  log::debug("child: user {}:{} with groups {}", user.uid, user.gid, fmt::join(user.groups, ","));
  set_default_home(container.env, user.home);
  switch_user(user, setgroups_allowed());
  // Changing our ids cleared the parent-death signal: ask for it again.
  check(::prctl(PR_SET_PDEATHSIG, SIGKILL), "prctl", "PR_SET_PDEATHSIG");
}

}  // namespace dockling::ch07
