#include "security_step.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sys/capability.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>

#include <fmt/format.h>

#include "cgroup_step.hpp"
#include "container_mounts.hpp"
#include "dockling/cli.hpp"
#include "dockling/error.hpp"
#include "dockling/log.hpp"
#include "id_ranges.hpp"
#include "oci_command.hpp"
#include "security.hpp"

namespace dockling::ch09 {

namespace {

/// "no-new-privileges", "no-new-privileges=true", "no-new-privileges:true" (docker accepts all).
std::optional<bool> no_new_privileges_option(const std::string& option) {
  const std::string key = "no-new-privileges";
  if (option == key) return true;
  if (option.rfind(key, 0) != 0 || option.size() <= key.size() || (option[key.size()] != '=' && option[key.size()] != ':'))
    return std::nullopt;
  std::string value = option.substr(key.size() + 1);
  if (value == "true") return true;
  if (value == "false") return false;
  throw Error(fmt::format("invalid --security-opt: \"{}\"", option));
}

/// Becomes `user` keeping the permitted capabilities (drop_capabilities then sets them), and
/// makes them effective again: setuid to non-root empties the effective set, and dropping from
/// the bounding set needs CAP_SETPCAP there.
void become(const Container& container, const ProcessUser& user) {
  check(::prctl(PR_SET_KEEPCAPS, 1), "prctl", "PR_SET_KEEPCAPS");
  ch07::switch_user(user, ch07::setgroups_allowed());
  keep_parent_death_signal(container);  // the id change cleared it
  cap_t caps = cap_get_proc();
  if (caps == nullptr) throw SysError("capget", "", errno);
  int rc = cap_fill(caps, CAP_EFFECTIVE, CAP_PERMITTED) == 0 ? cap_set_proc(caps) : -1;
  int error = errno;
  cap_free(caps);
  if (rc != 0) throw SysError("capset", "effective = permitted", error);
}

}  // namespace

void SecurityStep::add_commands(CLI::App& app) { oci_.add(app); }

std::optional<int> SecurityStep::run_command(const StateRoot& root) { return oci_.run(root); }

void SecurityStep::add_flags(CLI::App& run) {
  run.add_option("--cap-add", cap_add_, "Add Linux capabilities (NAME, CAP_NAME or ALL)")->allow_extra_args(false);
  run.add_option("--cap-drop", cap_drop_, "Drop Linux capabilities (NAME, CAP_NAME or ALL)")->allow_extra_args(false);
  run.add_flag("--privileged", privileged_,
               "Give extended privileges: every capability, no seccomp, no masked paths, the host's devices");
  run.add_option("--security-opt", security_opts_,
                 "Security options: no-new-privileges, seccomp=unconfined, seccomp=PROFILE.json")
      ->allow_extra_args(false);
  user_flags_.add_to(run);
  run.add_option("--ulimit", ulimit_specs_, "Ulimit options: NAME=SOFT[:HARD], e.g. nofile=1024:2048")
      ->allow_extra_args(false);
}

void SecurityStep::to_spec(ContainerSpec& spec) {
  ProcessSpec& process = spec.process;
  CapabilitySet caps = resolve_capabilities(cap_add_, cap_drop_, privileged_);
  process.capabilities = CapabilitySets{caps, caps, caps, 0, 0};
  process.seccomp = SeccompSpec{!privileged_, std::nullopt, ""};
  for (const auto& option : security_opts_) {
    if (auto nnp = no_new_privileges_option(option)) {
      process.no_new_privileges = *nnp;
    } else if (option.rfind("seccomp=", 0) == 0 || option.rfind("seccomp:", 0) == 0) {
      std::string value = option.substr(8);
      if (value == "unconfined") {
        process.seccomp.enabled = false;
      } else if (!privileged_) {  // docker: --privileged wins
        process.seccomp = SeccompSpec{true, read_seccomp_json(value), value};
      }
    } else if (option.rfind("apparmor", 0) == 0 || option.rfind("label", 0) == 0) {
      log::warning("--security-opt {}: this machine's runtime has no AppArmor or SELinux support; ignored", option);
    } else {
      throw Error(fmt::format("invalid --security-opt: \"{}\"", option));
    }
  }
  for (const auto& text : ulimit_specs_) process.rlimits.push_back(parse_ulimit(text));
  if (privileged_) {  // the plan changes; nothing mounted is taken away later
    spec.root.masked_paths.clear();
    spec.root.readonly_paths.clear();
    spec.root.sys_read_only = false;
    spec.root.host_devices = true;
    spec.root.cgroups = "rw";  // docker: a privileged container's cgroups are read-write
  }
  user_flags_.to_spec(spec);
}

void SecurityStep::before_clone(Container& container) {
  const ProcessSpec& process = container.spec.process;
  program_.reset();
  if (process.seccomp.enabled)
    program_ = seccomp_program(process.seccomp, process.capabilities.bounding, StateRoot::host_run_dir() / "seccomp");
  devices_.clear();
  if (container.spec.root.host_devices) devices_ = host_devices();
  log::debug("security: capabilities {:#x}, seccomp {}, no_new_privs {}", process.capabilities.bounding,
             program_ ? "on" : "unconfined", process.no_new_privileges);
}

void SecurityStep::in_child(Container& container) {
  const ProcessSpec& process = container.spec.process;
  const CapabilitySets& caps = process.capabilities;
  create_devices(devices_);
  for (const auto& limit : process.rlimits) apply_ulimit(limit);
  close_inherited_fds({container.sync_fd, container.run_dir_fd});

  bool nnp = process.no_new_privileges;
  if (nnp) check(::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl", "PR_SET_NO_NEW_PRIVS");
  // Without no_new_privs, seccomp(2) needs CAP_SYS_ADMIN: load the filter while we have it
  // (runc's order). With it, load it last, so that it need not allow setuid or capset.
  if (program_ && !nnp) load_program(*program_);
  become(container, process.user);
  drop_capabilities(caps.bounding);
  // docker's sets are all the bounding set but inheritable and ambient, which are empty: what
  // drop_capabilities leaves. An OCI bundle may ask for other sets.
  bool docker_sets = caps.permitted == caps.bounding && caps.effective == caps.bounding && caps.inheritable == 0 &&
                     caps.ambient == 0;
  if (!docker_sets) set_capability_sets(caps);
  if (program_ && nnp) load_program(*program_);
}

void SecurityStep::before_exec(Container& container) { check_workdir_inside_root(container.spec.process.cwd); }

void close_inherited_fds(std::vector<int> keep) {
  // close_range(2) over the gaps between the kept ones: nothing else of ours is open there
  // that the rest of the start needs.
  std::sort(keep.begin(), keep.end());
  unsigned from = 3;
  for (int fd : keep) {
    if (fd < static_cast<int>(from)) continue;
    if (fd > static_cast<int>(from))
      check(static_cast<int>(::syscall(SYS_close_range, from, static_cast<unsigned>(fd - 1), 0u)), "close_range",
            fmt::format("{}..{}", from, fd - 1));
    from = static_cast<unsigned>(fd) + 1;
  }
  check(static_cast<int>(::syscall(SYS_close_range, from, UINT_MAX, 0u)), "close_range", fmt::format("{}..", from));
}

void check_workdir_inside_root(const std::string& workdir) {
  char buffer[PATH_MAX];
  if (::getcwd(buffer, sizeof buffer) == nullptr || buffer[0] != '/')
    throw Error(fmt::format("working directory \"{}\" is outside the container's root", workdir));
}

Steps steps() {
  Steps list = ch08::steps();
  list.push_back(std::make_unique<SecurityStep>());
  return list;
}

}  // namespace dockling::ch09
