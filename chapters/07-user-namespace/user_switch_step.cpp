#include "user_switch_step.hpp"

#include <sys/prctl.h>

#include <csignal>

#include <fmt/ranges.h>

#include "dockling/error.hpp"
#include "dockling/log.hpp"
#include "in_root.hpp"
#include "pipeline.hpp"

namespace dockling::ch07 {

void UserFlags::add_to(CLI::App& run) {
  run.add_option("-u,--user", user, "Run the command as USER[:GROUP] (a name or a number each)")
      ->allow_extra_args(false);
  run.add_option("--group-add", group_add, "Add supplementary groups (names or numbers)")->allow_extra_args(false);
}

void UserFlags::to_spec(ContainerSpec& spec) const {
  // The container's own files, read as a path inside its root (as docker does, before start).
  const auto& root = spec.root.path;
  std::string group = ch03::read_file_in_root(root, "/etc/group").value_or("");
  const std::string& asked = user.empty() ? spec.process.default_user : user;
  ExecUser exec_user = resolve_user(asked, ch03::read_file_in_root(root, "/etc/passwd").value_or(""), group);
  add_groups(exec_user, group_add, group);
  spec.process.user = exec_user;
  set_default_home(spec.process.env, exec_user.home);
}

void UserSwitchStep::in_child(Container& container) {
  const ProcessUser& user = container.spec.process.user;
  log::debug("child: user {}:{} with groups {}", user.uid, user.gid, fmt::join(user.groups, ","));
  switch_user(user, setgroups_allowed());
  keep_parent_death_signal(container);  // changing our ids cleared it
}

}  // namespace dockling::ch07
