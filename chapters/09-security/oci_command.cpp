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

/// The namespaces chapters 02-06 always make: pid, mount, uts, ipc.
const std::set<std::string> kAlwaysMade = {"pid", "mount", "uts", "ipc"};

/// Warns about what the namespace list asks that the steps do not do.
void check_namespaces(const std::vector<OciNamespace>& namespaces) {
  std::set<std::string> listed;
  for (const auto& ns : namespaces) {
    listed.insert(ns.type);
    if (ns.type == "time")
      log::warning("linux.namespaces: {} is not honoured yet; ignored", ns.type);
  }
  for (const auto& type : kAlwaysMade)
    if (!listed.count(type)) log::warning("linux.namespaces has no {}: not honoured, a new one is made anyway", type);
}

/// setns(2) into the namespace at ns.path, in place of the one made at clone (network, ipc,
/// uts, cgroup: the steps that use them come later). Others were refused by parse_bundle.
void join_namespace(const OciNamespace& ns) {
  static const std::map<std::string, int> kFlags = {
      {"network", CLONE_NEWNET}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS}, {"cgroup", CLONE_NEWCGROUP}};
  log::debug("child: joining the {} namespace {}", ns.type, ns.path);
  try {
    UniqueFd fd(check(::open(ns.path.c_str(), O_RDONLY | O_CLOEXEC), "open", ns.path));
    check(::setns(fd.get(), kFlags.at(ns.type)), "setns", ns.path);
  } catch (const SysError& e) {
    throw Error(fmt::format("config.json: linux.namespaces: {} path: {}", ns.type, e.what()));
  }
}

}  // namespace

int OciNamespaceStep::clone_flags(const ContainerSpec&) const {
  for (const auto& ns : namespaces_)
    if (ns.type == "network" && ns.path.empty()) return CLONE_NEWNET;
  return 0;
}

void OciNamespaceStep::in_child(Container& container) {
  // Before pivot_root, while the host's cgroup tree is still in view.
  mounts_.open_sources(container.spec.id);
  devices_.open_sources();
  for (const auto& ns : namespaces_) {
    if (!ns.path.empty()) {
      join_namespace(ns);
    } else if (ns.type == "cgroup") {
      // Now, not at clone: the parent has moved us into our cgroup, which becomes the root.
      check(::unshare(CLONE_NEWCGROUP), "unshare", "CLONE_NEWCGROUP");
    }
  }
  // In the container's namespaces, before pivot_root: the hook's path is the host's. What it
  // mounts must stay in the container's mount namespace: no propagation to the host.
  const std::string& id = container.spec.id;
  id_ = id;
  if (!hooks_.create_container.empty()) ch03::make_mounts_private();
  for (const auto& hook : hooks_.create_container)
    run_hook(hook, hook_state(id, "creating", ::getpid(), bundle_dir_, annotations_));
}

void OciNamespaceStep::after_clone(Container& container, pid_t child) {
  container.record[std::string(name())] = true;  // poststop hooks are due from now on
  write_unified(container);
  // runc's order and states: prestart, then createRuntime, "creating"; the process exists and waits.
  for (const auto* list : {&hooks_.prestart, &hooks_.create_runtime})
    for (const auto& hook : *list)
      run_hook(hook, hook_state(container.spec.id, "creating", child, bundle_dir_, annotations_));
}

void OciNamespaceStep::write_unified(const Container& container) {
  const auto& unified = container.spec.resources.unified;
  if (unified.empty()) return;
  // The cgroups step (an earlier slot) has made dockling/<id> and moved the child in.
  std::string dir =
      ch08::make_cgroup(ch08::CgroupVersion::v2, container.spec.id, ch08::cgroup_root())->directories().at(0);
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

void OciNamespaceStep::after_start(Container& container, pid_t child) noexcept {
  // runc hands poststart hooks the status "created" (the spec's "running" comes once they ran).
  for (const auto& hook : hooks_.poststart) {
    try {
      run_hook(hook, hook_state(container.spec.id, "created", child, bundle_dir_, annotations_));
    } catch (const std::exception& e) {
      log::warning("{}", e.what());
    }
  }
}

void OciNamespaceStep::after_exit(Container& container) noexcept {
  if (container.record.erase(std::string(name())) == 0) return;  // not created, or done already
  for (const auto& hook : hooks_.poststop) {
    try {
      run_hook(hook, hook_state(container.spec.id, "stopped", 0, bundle_dir_, annotations_));
    } catch (const std::exception& e) {
      log::warning("{}", e.what());
    }
  }
}

void check_unified(const OciBundle& bundle) {
  if (bundle.spec.resources.unified.empty()) return;
  if (ch08::version_of(ch08::detect_layout(ch08::cgroup_root())) != ch08::CgroupVersion::v2)
    throw Error("config.json: linux.resources.unified: invalid configuration: unified resources need cgroup v2, and this "
                "machine's cgroups are v1 (runc refuses them the same way)");
}

void OciNamespaceStep::in_root() {
  UniqueFd root(check(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), "open", "/"));
  mounts_.mount_all(root.get());
  devices_.make_all(root.get());
  for (const auto& [key, value] : sysctl_) write_sysctl(key, value);
  // Inside the new root, before the command (and before seccomp and the capability drop):
  // runc's state for it is "created", with the pid as the container sees it.
  for (const auto& hook : hooks_.start_container)
    run_hook(hook, hook_state(id_, "created", ::getpid(), bundle_dir_, annotations_));
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
  check_namespaces(bundle.namespaces);
  check_unified(bundle);
  ContainerSpec& spec = bundle.spec;
  spec.id = id;
  // runc's HOME: the user's from the rootfs's passwd, unless process.env has one.
  std::string passwd = ch03::read_file_in_root(spec.root.path, "/etc/passwd").value_or("");
  ch07::set_default_home(spec.process.env, ch07::resolve_user(std::to_string(spec.process.user.uid), passwd, "").home);

  Steps list = steps();
  auto namespaces = std::make_unique<OciNamespaceStep>(bundle);
  list.push_back(std::make_unique<OciRootStep>(*namespaces));  // owned by the same pipeline
  list.push_back(std::move(namespaces));
  list.push_back(std::make_unique<ch03::TerminalStep>(console_socket));  // replaces run's (same slot)
  log::debug("oci: {} mounts of its own, {} sysctls", bundle.mounts.size(), bundle.sysctl.size());
  loaded.steps = make_pipeline(std::move(list));
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
