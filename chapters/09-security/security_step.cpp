#include "security_step.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sys/capability.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include <fmt/format.h>

#include "cgroup_mount.hpp"
#include "cgroup_step.hpp"
#include "container_mounts.hpp"
#include "dockling/cli.hpp"
#include "dockling/error.hpp"
#include "dockling/log.hpp"
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

void switch_user(const ProcessUser& user) {
  // Keep the permitted capabilities across setuid; drop_capabilities then sets them.
  check(::prctl(PR_SET_KEEPCAPS, 1), "prctl", "PR_SET_KEEPCAPS");
  check(::setgroups(user.additional_gids.size(), user.additional_gids.data()), "setgroups");
  check(::setresgid(user.gid, user.gid, user.gid), "setresgid", std::to_string(user.gid));
  check(::setresuid(user.uid, user.uid, user.uid), "setresuid", std::to_string(user.uid));
  // setuid to non-root emptied the effective set; drop_capabilities needs CAP_SETPCAP there.
  cap_t caps = cap_get_proc();
  if (caps == nullptr) throw SysError("capget", "", errno);
  int rc = cap_fill(caps, CAP_EFFECTIVE, CAP_PERMITTED) == 0 ? cap_set_proc(caps) : -1;
  int error = errno;
  cap_free(caps);
  if (rc != 0) throw SysError("capset", "effective = permitted", error);
}

}  // namespace

void SecurityStep::add_commands(CLI::App& app) {
  CLI::App* oci = add_command(app, "oci", "Run OCI runtime-spec bundles, like runc");
  oci->require_subcommand(1);
  oci_run_ = add_command(*oci, "run", "Run the bundle's container in the foreground, like runc run");
  oci_run_->add_option("-b,--bundle", bundle_dir_, "The bundle directory (config.json and the rootfs)");
  oci_run_->add_option("ID", bundle_id_, "The container's id")->required();
  oci_spec_ = add_command(*oci, "spec", "Write a default config.json, like runc spec");
  oci_spec_->add_option("-b,--bundle", bundle_dir_, "Where to write config.json");
}

std::optional<int> SecurityStep::run_command() {
  if (oci_spec_ != nullptr && oci_spec_->parsed()) {
    write_spec(bundle_dir_);
    return 0;
  }
  if (oci_run_ != nullptr && oci_run_->parsed()) return run_bundle(bundle_dir_, bundle_id_);
  return std::nullopt;
}

void SecurityStep::add_flags(CLI::App& run) {
  run.add_option("--cap-add", cap_add_, "Add Linux capabilities (NAME, CAP_NAME or ALL)")->allow_extra_args(false);
  run.add_option("--cap-drop", cap_drop_, "Drop Linux capabilities (NAME, CAP_NAME or ALL)")->allow_extra_args(false);
  run.add_flag("--privileged", privileged_,
               "Give extended privileges: every capability, no seccomp, no masked paths, the host's devices");
  run.add_option("--security-opt", security_opts_,
                 "Security options: no-new-privileges, seccomp=unconfined, seccomp=PROFILE.json")
      ->allow_extra_args(false);
  run.add_option("--ulimit", ulimit_specs_, "Ulimit options: NAME=SOFT[:HARD], e.g. nofile=1024:2048")
      ->allow_extra_args(false);
}

void SecurityStep::before_clone(Container& container) {
  (void)container;
  caps_ = fixed_caps_ ? fixed_caps_->bounding : resolve_capabilities(cap_add_, cap_drop_, privileged_);
  no_new_privs_ = oci_no_new_privs_;
  if (!oci_seccomp_) profile_ = privileged_ ? std::nullopt : std::optional(default_seccomp_profile());
  for (const auto& option : security_opts_) {
    if (auto nnp = no_new_privileges_option(option)) {
      no_new_privs_ = *nnp;
    } else if (option.rfind("seccomp=", 0) == 0 || option.rfind("seccomp:", 0) == 0) {
      std::string value = option.substr(8);
      if (value == "unconfined") profile_.reset();
      else if (!privileged_) profile_ = read_seccomp_profile(value);  // docker: --privileged wins
    } else if (option.rfind("apparmor", 0) == 0 || option.rfind("label", 0) == 0) {
      log::warning("--security-opt {}: this machine's runtime has no AppArmor or SELinux support; ignored", option);
    } else {
      throw Error(fmt::format("invalid --security-opt: \"{}\"", option));
    }
  }
  ulimits_.clear();
  for (const auto& spec : ulimit_specs_) ulimits_.push_back(parse_ulimit(spec));
  if (privileged_) devices_ = host_devices();
  log::debug("security: capabilities {:#x}, seccomp {}, no_new_privs {}", caps_,
             profile_ ? "on" : "unconfined", no_new_privs_);
}

void SecurityStep::in_child(Container& container) {
  if (privileged_) {
    for (const auto& path : ch03::kMaskedPaths) unmount_path(path);
    for (const auto& path : ch03::kReadOnlyPaths) unmount_path(path);
    remount_sys_read_write();
    ch08::make_cgroup_mount_writable();  // docker: a privileged container's cgroups are read-write
    create_devices(devices_);
  }
  if (masked_ || read_only_) {
    for (const auto& path : ch03::kMaskedPaths) unmount_path(path);
    for (const auto& path : ch03::kReadOnlyPaths) unmount_path(path);
  }
  if (in_root_) in_root_();
  if (masked_ || read_only_) {
    for (const auto& path : masked_.value_or(std::vector<std::string>{})) mask_path(path);
    for (const auto& path : read_only_.value_or(std::vector<std::string>{})) make_path_read_only(path);
  }
  for (const auto& limit : ulimits_) apply_ulimit(limit);
  close_inherited_fds(container.sync_fd);

  if (no_new_privs_) check(::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl", "PR_SET_NO_NEW_PRIVS");
  // Without no_new_privs, seccomp(2) needs CAP_SYS_ADMIN: load the filter while we have it
  // (runc's order). With it, load it last, so that it need not allow setuid or capset.
  if (profile_ && !no_new_privs_) load_seccomp(*profile_, caps_);
  if (user_) switch_user(*user_);
  drop_capabilities(caps_);
  if (fixed_caps_) set_capability_sets(*fixed_caps_);
  if (profile_ && no_new_privs_) load_seccomp(*profile_, caps_);
}

void SecurityStep::before_exec(Container& container) { check_workdir_inside_root(container.workdir); }

void close_inherited_fds(int keep) {
  // close_range(2): [3, keep-1] and [keep+1, max]. Nothing of ours is open there that the
  // rest of the start needs.
  if (keep > 3) check(static_cast<int>(::syscall(SYS_close_range, 3u, static_cast<unsigned>(keep - 1), 0u)), "close_range", "3..");
  unsigned from = keep >= 3 ? static_cast<unsigned>(keep + 1) : 3u;
  check(static_cast<int>(::syscall(SYS_close_range, from, UINT_MAX, 0u)), "close_range", std::to_string(from) + "..");
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
