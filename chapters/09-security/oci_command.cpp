#include "oci_command.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>

#include <fmt/format.h>

#include "cgroup.hpp"
#include "container_mounts.hpp"
#include "dockling/cli.hpp"
#include "in_root.hpp"
#include "oci_hooks.hpp"
#include "dockling/error.hpp"
#include "dockling/fd.hpp"
#include "dockling/fs.hpp"
#include "dockling/log.hpp"
#include "pipeline.hpp"
#include "runtime_main.hpp"
#include "security_step.hpp"
#include "terminal_step.hpp"
#include "user_step.hpp"

namespace dockling::ch09 {

namespace {

/// The name of BundleRootStep's record: present from the clone on, so poststop hooks are due.
constexpr const char* kHooksDue = "oci-bundle";

/// setns(2) into the namespace at join.path, in place of the one made at clone (network,
/// ipc, uts, cgroup: the steps that use them come later). Others were refused by
/// parse_bundle.
void join_namespace(const NamespaceJoin& join) {
  static const std::map<std::string, int> kFlags = {
      {"network", CLONE_NEWNET}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS}, {"cgroup", CLONE_NEWCGROUP}};
  log::debug("child: joining the {} namespace {}", join.type, join.path);
  try {
    UniqueFd fd(check(::open(join.path.c_str(), O_RDONLY | O_CLOEXEC), "open", join.path));
    check(::setns(fd.get(), kFlags.at(join.type)), "setns", join.path);
  } catch (const SysError& e) {
    throw Error(fmt::format("config.json: linux.namespaces: {} path: {}", join.type, e.what()));
  }
}

/// Runs `hooks` with the state `status` and `pid`; a failure stops the start.
void run_hooks(const std::vector<Hook>& hooks, const ContainerSpec& spec, const char* status, pid_t pid) {
  for (const auto& hook : hooks) run_hook(hook, hook_state(spec.id, status, pid, spec.bundle, spec.annotations));
}

/// Runs `hooks` with the state `status` and `pid`; a failure is a warning.
void run_hooks_warning(const std::vector<Hook>& hooks, const ContainerSpec& spec, const char* status,
                       pid_t pid) noexcept {
  for (const auto& hook : hooks) {
    try {
      run_hook(hook, hook_state(spec.id, status, pid, spec.bundle, spec.annotations));
    } catch (const std::exception& e) {
      log::warning("{}", e.what());
    }
  }
}

/// linux.resources.unified: each file written into the container's cgroup v2, which the
/// cgroups step (an earlier slot) has made.
void write_unified(const ContainerSpec& spec) {
  const auto& unified = spec.resources.unified;
  if (unified.empty()) return;
  std::string dir = ch08::make_cgroup(ch08::CgroupVersion::v2, spec.id, ch08::cgroup_root())->directories().at(0);
  for (const auto& [key, value] : unified) {
    std::string path = dir + "/" + key;
    log::debug("parent: unified {} = {}", path, value);
    try {
      UniqueFd fd(check(::open(path.c_str(), O_WRONLY | O_CLOEXEC), "open", path));
      if (::write(fd.get(), value.data(), value.size()) < 0) throw_sys("write", path);
    } catch (const SysError& e) {
      throw Error(fmt::format("config.json: linux.resources.unified[\"{}\"]: {}", key, e.what()));
    }
  }
}

}  // namespace

int BundleNetworkStep::clone_flags(const ContainerSpec& spec) const {
  return spec.network.mode == "host" ? 0 : CLONE_NEWNET;
}

void BundleRootStep::before_pivot(Container& container) {
  const ContainerSpec& spec = container.spec;
  // While the host's tree (and cgroups) are still in view.
  mounts_.emplace(spec.root.mounts);
  mounts_->open_sources(spec.id);
  devices_.emplace(spec.root.devices);
  devices_->open_sources();
  for (const auto& join : spec.joined_namespaces) join_namespace(join);
  // Now, not at clone: the parent has moved us into our cgroup, which becomes the root.
  if (spec.cgroup_namespace) check(::unshare(CLONE_NEWCGROUP), "unshare", "CLONE_NEWCGROUP");
  // In the container's namespaces, before pivot_root: the hook's path is the host's. What it
  // mounts must stay in the container's mount namespace: no propagation to the host.
  if (!spec.hooks.create_container.empty()) ch03::make_mounts_private();
  run_hooks(spec.hooks.create_container, spec, "creating", ::getpid());
}

void BundleRootStep::mount_listed(int root_fd, const Container&) {
  mounts_->mount_all(root_fd);
  devices_->make_all(root_fd);
  log::debug("oci: mounts and devices made");
}

void BundleRootStep::in_root(Container& container) {
  const ContainerSpec& spec = container.spec;
  for (const auto& [key, value] : spec.sysctl) write_sysctl(key, value);
  // Inside the new root, before the command (and before seccomp and the capability drop):
  // runc's state for it is "created", with the pid as the container sees it.
  run_hooks(spec.hooks.start_container, spec, "created", ::getpid());
}

void BundleRootStep::after_clone(Container& container, pid_t child) {
  container.record[kHooksDue] = true;
  write_unified(container.spec);
  // runc's order and states: prestart, then createRuntime, "creating"; the process exists and waits.
  run_hooks(container.spec.hooks.prestart, container.spec, "creating", child);
  run_hooks(container.spec.hooks.create_runtime, container.spec, "creating", child);
}

void BundleRootStep::after_start(Container& container, pid_t child) noexcept {
  // runc hands poststart hooks the status "created" (the spec's "running" comes once they ran).
  run_hooks_warning(container.spec.hooks.poststart, container.spec, "created", child);
}

void BundleRootStep::after_exit(Container& container) noexcept {
  if (container.record.erase(kHooksDue) == 0) return;  // not created, or done already
  run_hooks_warning(container.spec.hooks.poststop, container.spec, "stopped", 0);
}

Steps bundle_steps(const std::string& console_socket) {
  Steps list = steps();
  list.push_back(std::make_unique<BundleNetworkStep>());  // replaces chapter 04's (same slot)
  list.push_back(std::make_unique<BundleRootStep>());     // replaces chapter 03's
  list.push_back(std::make_unique<ch03::TerminalStep>(console_socket));  // replaces run's
  return make_pipeline(std::move(list));
}

void check_unified(const OciBundle& bundle) {
  if (bundle.spec.resources.unified.empty()) return;
  if (ch08::version_of(ch08::detect_layout(ch08::cgroup_root())) != ch08::CgroupVersion::v2)
    throw Error("config.json: linux.resources.unified: invalid configuration: unified resources need cgroup v2, and this "
                "machine's cgroups are v1 (runc refuses them the same way)");
}

void write_sysctl(const std::string& key, const std::string& value) {
  std::string path = "/proc/sys/" + key;
  std::replace(path.begin(), path.end(), '.', '/');
  log::debug("child: sysctl {} = {}", key, value);
  try {
    UniqueFd fd(check(::open(path.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC), "open", path));
    if (::write(fd.get(), value.data(), value.size()) < 0) throw_sys("write", path);
  } catch (const SysError& e) {
    throw Error(fmt::format("config.json: linux.sysctl[\"{}\"]: {}", key, e.what()));
  }
}

BundleContainer load_bundle(const std::filesystem::path& dir, const std::string& id,
                            const std::string& console_socket) {
  BundleContainer loaded{read_bundle(dir), {}};
  OciBundle& bundle = loaded.bundle;
  if (!console_socket.empty() && !bundle.spec.process.terminal)
    throw Error("cannot use console socket if runc will not detach or allocate tty: process.terminal is false in "
                "config.json");
  for (const auto& warning : bundle.warnings) log::warning("{}", warning);
  check_unified(bundle);
  ContainerSpec& spec = bundle.spec;
  spec.id = id;
  // runc's HOME: the user's from the rootfs's passwd, unless process.env has one.
  std::string passwd = ch03::read_file_in_root(spec.root.path, "/etc/passwd").value_or("");
  ch07::set_default_home(spec.process.env, ch07::resolve_user(std::to_string(spec.process.user.uid), passwd, "").home);
  log::debug("oci: {} mounts of its own, {} sysctls", spec.root.mounts.size(), spec.sysctl.size());
  loaded.steps = bundle_steps(console_socket);
  return loaded;
}

int run_bundle(const StateRoot& root, const std::string& dir, const std::string& id,
               const std::string& console_socket) {
  BundleContainer loaded = load_bundle(dir, id, console_socket);
  return run_container(loaded.bundle.spec, loaded.steps, root);
}

void write_spec(const std::string& dir) {
  std::string path = (std::filesystem::path(dir) / "config.json").string();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0 && errno == EEXIST) throw Error(fmt::format("File {} exists. Remove it first", path));
  if (fd < 0) throw SysError("open", path, errno);
  UniqueFd owner(fd);
  write_all(fd, default_spec().dump(1, '\t') + "\n");
}

}  // namespace dockling::ch09
