#include "mount_step.hpp"

#include <fcntl.h>
#include <sched.h>

#include "pid_step.hpp"
#include "dockling/error.hpp"
#include "dockling/log.hpp"
#include "env_step.hpp"
#include "in_root.hpp"
#include "pivot.hpp"

namespace dockling::ch03 {

void MountStep::add_flags(CLI::App& run) {
  run.add_flag("--read-only", read_only_, "Mount the container's root filesystem as read only");
  run.add_option("--tmpfs", tmpfs_specs_, "Mount a tmpfs: PATH[:OPTIONS], e.g. /run:size=64m,mode=1777")
      ->allow_extra_args(false);
}

int MountStep::clone_flags() const { return CLONE_NEWNS; }

void MountStep::before_clone(Container& container) {
  (void)container;
  tmpfs_.clear();
  for (const auto& spec : tmpfs_specs_) tmpfs_.push_back(parse_tmpfs(spec));  // bad flags: 125 now
}

void MountStep::in_child(Container& container) {
  log::debug("child: mounts private, pivot_root {}", container.rootfs.string());
  make_mounts_private();
  // In a user namespace (chapter 07) the kernel refuses mknod and, without a PID or network
  // namespace of its own, proc and sysfs: take copies of the host's now, before pivot_root
  // detaches the host's tree.
  HostTrees host;
  if (in_user_namespace()) {
    log::debug("child: in a user namespace: copies of the host's /proc, /sys and device nodes");
    host = HostTrees::capture();
  }
  pivot_into(container.rootfs);

  // From here "/" is the container's root. Every target is still resolved with openat2
  // (see in_root.hpp): the rootfs's own symbolic links must not steer our mounts.
  UniqueFd root(check(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), "open", "/"));
  mount_proc(root.get(), host);
  mount_sys(root.get(), host);
  mount_dev(root.get(), host);
  for (const auto& tmpfs : tmpfs_) {
    log::debug("child: tmpfs {}", tmpfs.path);
    mount_tmpfs(root.get(), tmpfs);
  }
  mask_paths(root.get());
  make_paths_read_only(root.get());
  // Docker creates a missing working directory; do it while the root is still writable.
  make_directories_in_root(root.get(), container.workdir);
  if (read_only_) {
    log::debug("child: root read-only");
    remount_read_only(root.get(), "/");
  }
}

Steps steps() {
  Steps list = ch02::steps();
  list.push_back(std::make_unique<EnvStep>());
  list.push_back(std::make_unique<MountStep>());  // replaces chapter 01's chroot (same slot)
  return list;
}

}  // namespace dockling::ch03
