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
#include "cgroup_step.hpp"
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

/// In the UTS slot when the bundle joins a UTS namespace by path and names no hostname: takes
/// chapter 05's place, so that the joined namespace keeps its names (as with runc).
class JoinedUtsStep : public Step {
 public:
  std::string_view name() const override { return "uts (joined, names kept)"; }
  Slot slot() const override { return Slot::uts; }
};

/// Parses `flags` as the `run` flags of the steps in `pipeline`.
void apply_run_flags(const Steps& pipeline, const std::vector<std::string>& flags) {
  CLI::App run{"oci"};
  run.set_help_flag();  // -h is --hostname, as in `run`
  for (const auto& step : pipeline) step->add_flags(run);
  std::vector<std::string> reversed(flags.rbegin(), flags.rend());  // CLI11 takes them last first
  try {
    run.parse(reversed);
  } catch (const CLI::ParseError& e) {
    throw Error(fmt::format("config.json: {}", e.what()));
  }
}

}  // namespace

int OciNamespaceStep::clone_flags() const {
  for (const auto& ns : namespaces_)
    if (ns.type == "network" && ns.path.empty()) return CLONE_NEWNET;
  return 0;
}

void OciNamespaceStep::in_child(Container& container) {
  // Before pivot_root, while the host's cgroup tree is still in view.
  mounts_.open_sources(container.id);
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
  id_ = container.id;
  if (!hooks_.create_container.empty()) ch03::make_mounts_private();
  for (const auto& hook : hooks_.create_container)
    run_hook(hook, hook_state(container.id, "creating", ::getpid(), bundle_dir_, annotations_));
}

void OciNamespaceStep::after_clone(Container& container, pid_t child) {
  created_ = true;
  write_unified(container);
  // runc's order and states: prestart, then createRuntime, "creating"; the process exists and waits.
  for (const auto* list : {&hooks_.prestart, &hooks_.create_runtime})
    for (const auto& hook : *list) run_hook(hook, hook_state(container.id, "creating", child, bundle_dir_, annotations_));
}

void OciNamespaceStep::write_unified(const Container& container) {
  if (unified_.empty()) return;
  // The cgroups step (an earlier slot) has made dockling/<id> and moved the child in.
  std::string dir = ch08::make_cgroup(ch08::CgroupVersion::v2, container.id, ch08::cgroup_root())->directories().at(0);
  for (const auto& [key, value] : unified_) {
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
      run_hook(hook, hook_state(container.id, "created", child, bundle_dir_, annotations_));
    } catch (const std::exception& e) {
      log::warning("{}", e.what());
    }
  }
}

void OciNamespaceStep::after_exit(Container& container) noexcept {
  if (!created_) return;
  created_ = false;
  for (const auto& hook : hooks_.poststop) {
    try {
      run_hook(hook, hook_state(container.id, "stopped", 0, bundle_dir_, annotations_));
    } catch (const std::exception& e) {
      log::warning("{}", e.what());
    }
  }
}

void check_unified(const OciBundle& bundle) {
  if (bundle.unified.empty()) return;
  if (ch08::version_of(ch08::detect_layout(ch08::cgroup_root())) != ch08::CgroupVersion::v2)
    throw Error("config.json: linux.resources.unified: invalid configuration: unified resources need cgroup v2, and this "
                "machine's cgroups are v1 (runc refuses them the same way)");
}

void OciNamespaceStep::in_root() {
  UniqueFd root(check(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), "open", "/"));
  mounts_.mount_all(root.get());
  devices_.make_all(root.get());
  for (const auto& [key, value] : sysctl_) write_sysctl(key, value);
  if (read_only_root_) {
    log::debug("child: root read-only");
    ch03::remount_read_only(root.get(), "/");
  }
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

int run_bundle(const std::string& dir, const std::string& id) {
  OciBundle bundle = read_bundle(dir);
  for (const auto& warning : bundle.warnings) log::warning("{}", warning);
  check_namespaces(bundle.namespaces);
  check_unified(bundle);

  Steps list = steps();
  auto oci_step = std::make_unique<OciNamespaceStep>(bundle);
  OciNamespaceStep* oci = oci_step.get();  // owned by the pipeline from here
  log::debug("oci: {} mounts of its own, {} sysctls", bundle.mounts.size(), bundle.sysctl.size());
  list.push_back(std::move(oci_step));
  bool joins_uts = std::any_of(bundle.namespaces.begin(), bundle.namespaces.end(),
                               [](const OciNamespace& ns) { return ns.type == "uts" && !ns.path.empty(); });
  bool names_host = std::any_of(bundle.run_flags.begin(), bundle.run_flags.end(), [](const std::string& flag) {
    return flag.rfind("--hostname=", 0) == 0 || flag.rfind("--domainname=", 0) == 0;
  });
  if (joins_uts && !names_host) list.push_back(std::make_unique<JoinedUtsStep>());
  Steps pipeline = make_pipeline(std::move(list));
  apply_run_flags(pipeline, bundle.run_flags);
  for (const auto& step : pipeline) {
    if (auto* user = dynamic_cast<ch07::UserStep*>(step.get()); user && bundle.id_maps) user->set_maps(*bundle.id_maps);
    if (auto* cgroups = dynamic_cast<ch08::CgroupStep*>(step.get())) cgroups->set_show_cgroups(false);  // config.json says
    if (auto* security = dynamic_cast<SecurityStep*>(step.get())) {
      security->set_capabilities(bundle.capabilities);
      security->set_no_new_privs(bundle.no_new_privileges);
      security->set_seccomp(bundle.seccomp);
      security->set_user(bundle.user);
      security->set_paths(bundle.masked_paths, bundle.readonly_paths);
      security->set_in_root([oci] { oci->in_root(); });
    }
  }
  Container container = bundle.container;
  container.id = id;
  return run_container(container, pipeline);
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
