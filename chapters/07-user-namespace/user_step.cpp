#include "user_step.hpp"

#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>

#include <fmt/format.h>

#include "container_mounts.hpp"
#include "dockling/error.hpp"
#include "dockling/fs.hpp"
#include "dockling/log.hpp"
#include "exec_user.hpp"
#include "user_switch_step.hpp"
#include "id_ranges.hpp"
#include "idmapped_root.hpp"
#include "ipc_step.hpp"
#include "userns_check.hpp"

namespace dockling::ch07 {

namespace {

/// A map as one line for -v output: "0 100000 65536".
std::string one_line(const std::vector<IdMapping>& mappings) {
  std::string text;
  for (const auto& m : mappings) text += fmt::format("{}{} {} {}", text.empty() ? "" : ", ", m.inside, m.outside, m.count);
  return text;
}

}  // namespace

IdMaps rootless_maps(std::optional<IdMapHelpers>& helpers) {
  uid_t uid = ::geteuid();
  gid_t gid = ::getegid();
  IdMaps single = rootless_id_maps(uid, gid);
  helpers = find_idmap_helpers(std::getenv("PATH"));
  if (!helpers) {
    log::debug("parent: no newuidmap/newgidmap in PATH (the uidmap package): one id mapped");
    return single;
  }
  const passwd* user = ::getpwuid(uid);
  // newgidmap lets a user map its passwd group alone, not any group it runs as.
  if (user == nullptr || user->pw_gid != gid) {
    log::debug("parent: uid {} has no passwd entry with group {}: one id mapped", uid, gid);
    helpers.reset();
    return single;
  }
  auto ranges = rootless_subid_maps(uid, gid, user->pw_name, read_optional_file("/etc/subuid"),
                                    read_optional_file("/etc/subgid"));
  if (!ranges) {
    log::debug("parent: no range for {} in /etc/subuid and /etc/subgid: one id mapped", user->pw_name);
    helpers.reset();
    return single;
  }
  return *ranges;
}

void check_userns_mode(const std::string& mode) {
  if (mode.empty() || mode == "private" || mode == "host") return;
  throw Error(fmt::format("invalid user namespace mode \"{}\": use private or host", mode));
}

void UserStep::add_flags(CLI::App& run) {
  run.add_option("--userns", mode_,
                 "User namespace: private (the default when not root: rootless) or host (root's default)")
      ->check(CLI::Validator(
          [](std::string& mode) -> std::string {
            try {
              check_userns_mode(mode);
              return {};
            } catch (const Error& e) {
              return e.what();
            }
          },
          "MODE"));
}

void UserStep::to_spec(ContainerSpec& spec) {
  check_userns_mode(mode_);
  bool root = ::geteuid() == 0;
  bool private_namespace = mode_ == "private" || (mode_.empty() && !root);
  spec.user_namespace.mode = private_namespace ? "private" : "host";
}

int UserStep::clone_flags(const ContainerSpec& spec) const {
  return spec.user_namespace.mode == "private" ? CLONE_NEWUSER : 0;
}

void UserStep::before_clone(Container& container) {
  const ContainerSpec& spec = container.spec;
  private_ = container.user_namespace();
  if (!private_ && ::geteuid() != 0)
    throw Error("--userns host needs root: an ordinary user may create the other namespaces only inside a "
                "user namespace of its own (drop --userns host: rootless is the default)");
  if (!private_) return;
  if (spec.user_namespace.uid_map) {
    maps_ = IdMaps{*spec.user_namespace.uid_map, spec.user_namespace.gid_map.value_or(std::vector<IdMapping>{}), false};
    log::debug("parent: user namespace with the given maps: uid_map \"{}\", gid_map \"{}\"", one_line(maps_.uids),
               one_line(maps_.gids));
    return;
  }
  bool root = ::geteuid() == 0;
  std::string problem = userns_problem(read_userns_settings(), root);
  if (!problem.empty()) throw Error(problem);

  if (!root) {
    maps_ = rootless_maps(helpers_);
  } else {
    maps_ = root_id_maps(read_optional_file("/etc/subuid"), read_optional_file("/etc/subgid"));
    // The rootfs's files belong to the host's root, who is nobody inside: id-map the rootfs
    // so that they belong to the container's root. (Docker's older way: a chown'ed copy.)
    UniqueFd userns = make_user_namespace(maps_);
    std::string why_not;
    idmapped_root_ = idmapped_copy(spec.root.path, userns.get(), why_not);
    if (!idmapped_root_) {
      log::warning("cannot id-map the rootfs ({}): its files owned by root show as nobody (65534) inside",
                   why_not);
    }
  }
  log::debug("parent: user namespace: uid_map \"{}\", gid_map \"{}\"{}", one_line(maps_.uids),
             one_line(maps_.gids), maps_.deny_setgroups ? ", setgroups deny" : "");
  if (!mount_namespace_of_self(runtime_mnt_dev_, runtime_mnt_ino_)) runtime_mnt_ino_ = 0;
}

void UserStep::after_clone(Container& container, pid_t child) {
  (void)container;
  idmapped_root_.reset();  // the child has its own copy of the fd
  if (!private_) return;
  if (helpers_)
    write_id_maps_with_helpers(*helpers_, child, maps_);
  else
    write_id_maps(child, maps_);
}

void UserStep::in_child(Container& container) {
  if (!private_) return;
  // Cloned as the host's root, we are an unmapped id (nobody) here, with every capability.
  // Become the namespace's root: files we create get its owner (the host's 100000).
  check(::setresgid(0, 0, 0), "setresgid", "0");
  if (!maps_.deny_setgroups) check(::setgroups(0, nullptr), "setgroups", "none");  // drop the host's groups
  check(::setresuid(0, 0, 0), "setresuid", "0");
  keep_parent_death_signal(container);  // changing our ids cleared it

  if (!idmapped_root_) return;
  dev_t dev = 0;
  ino_t ino = 0;
  bool own_mounts = runtime_mnt_ino_ != 0 && mount_namespace_of_self(dev, ino) &&
                    (dev != runtime_mnt_dev_ || ino != runtime_mnt_ino_);
  if (!own_mounts) {
    log::debug("child: no mount namespace of its own: rootfs not id-mapped");
    return;
  }
  log::debug("child: id-mapped rootfs attached at {}", container.spec.root.path.string());
  ch03::make_mounts_private();  // or the mount would propagate to the host
  attach_root(idmapped_root_, container.spec.root.path);
  idmapped_root_.reset();
}

void UserStep::after_exit(Container& container) noexcept {
  (void)container;
  idmapped_root_.reset();
}

Steps steps() {
  Steps list = ch06::steps();
  list.push_back(std::make_unique<UserStep>());
  list.push_back(std::make_unique<UserSwitchStep>());
  return list;
}

}  // namespace dockling::ch07
