#include "mount_step.hpp"

#include <fcntl.h>
#include <sched.h>

#include <algorithm>

#include "pid_step.hpp"
#include "dockling/error.hpp"
#include "dockling/log.hpp"
#include "env_step.hpp"
#include "in_root.hpp"
#include "pivot.hpp"
#include "terminal_step.hpp"

namespace dockling::ch03 {

void MountStep::add_flags(CLI::App& run) {
  run.add_flag("--read-only", read_only_, "Mount the container's root filesystem as read only");
  run.add_option("--tmpfs", tmpfs_specs_, "Mount a tmpfs: PATH[:OPTIONS], e.g. /run:size=64m,mode=1777")
      ->allow_extra_args(false);
}

int MountStep::clone_flags(const ContainerSpec&) const { return CLONE_NEWNS; }

void MountStep::to_spec(ContainerSpec& spec) {
  spec.root.read_only = read_only_;
  for (const auto& flag : tmpfs_specs_) {
    TmpfsMount tmpfs = parse_tmpfs(flag);  // bad flags: 125 now, before anything exists
    MountSpec mount{tmpfs.path, "tmpfs", "tmpfs", {}, "--tmpfs " + flag};
    if (size_t colon = flag.find(':'); colon != std::string::npos) {
      std::string options = flag.substr(colon + 1);
      for (size_t start = 0; start <= options.size();) {
        size_t end = std::min(options.find(',', start), options.size());
        if (end > start) mount.options.push_back(options.substr(start, end - start));
        start = end + 1;
      }
    }
    spec.root.mounts.push_back(std::move(mount));
  }
  spec.root.masked_paths = kMaskedPaths;
  spec.root.readonly_paths = kReadOnlyPaths;
  spec.root.sys_read_only = true;
}

void MountStep::in_child(Container& container) {
  const RootSpec& root_spec = container.spec.root;
  before_pivot(container);
  log::debug("child: mounts private, pivot_root {}", root_spec.path.string());
  make_mounts_private();
  // In a user namespace (chapter 07) the kernel refuses mknod, and a new proc or sysfs once
  // pivot_root has detached the host's (mount_too_revealing): make those now, detached, and
  // take copies of the host's device nodes (and of /proc and /sys where a new one is refused:
  // a PID or network namespace it does not own).
  HostTrees host;
  if (in_user_namespace()) {
    log::debug("child: in a user namespace: proc and sysfs made before pivot_root, the host's device nodes copied");
    host = HostTrees::capture();
  }
  pivot_into(root_spec.path);

  // From here "/" is the container's root. Every target is still resolved with openat2
  // (see in_root.hpp): the rootfs's own symbolic links must not steer our mounts.
  UniqueFd root(check(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), "open", "/"));
  mount_proc(root.get(), host);
  mount_sys(root.get(), root_spec.sys_read_only, host);
  mount_dev(root.get(), host);
  mount_listed(root.get(), container);
  // Docker creates a missing working directory; do it while the root is still writable.
  make_directories_in_root(root.get(), container.spec.process.cwd);
}

void MountStep::mount_listed(int root_fd, const Container& container) {
  for (const auto& mount : container.spec.root.mounts) {
    if (mount.type != "tmpfs") continue;  // binds and the rest: chapter 09's bundles, 13's volumes
    log::debug("child: tmpfs {}", mount.destination);
    mount_tmpfs(root_fd, tmpfs_of(mount));
  }
}

void SealStep::in_child(Container& container) {
  const RootSpec& root_spec = container.spec.root;
  UniqueFd root(check(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), "open", "/"));
  mask_paths(root.get(), root_spec.masked_paths);
  make_paths_read_only(root.get(), root_spec.readonly_paths);
  if (root_spec.read_only) {
    log::debug("child: root read-only");
    remount_read_only(root.get(), "/");
  }
}

Steps steps() {
  Steps list = ch02::steps();
  list.push_back(std::make_unique<EnvStep>());
  list.push_back(std::make_unique<MountStep>());  // replaces chapter 01's chroot (same slot)
  list.push_back(std::make_unique<SealStep>());
  list.push_back(std::make_unique<TerminalStep>());
  return list;
}

}  // namespace dockling::ch03
