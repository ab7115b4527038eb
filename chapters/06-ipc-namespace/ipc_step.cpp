#include "ipc_step.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <fmt/format.h>

#include "container_mounts.hpp"
#include "dockling/error.hpp"
#include "dockling/fs.hpp"
#include "dockling/log.hpp"
#include "ipc.hpp"
#include "uts_step.hpp"

namespace dockling::ch06 {

namespace {

constexpr const char* kMqueueDir = "/dev/mqueue";
constexpr long kMqueueMagic = 0x19800202;  // statfs(2) f_type of an mqueue file system

/// A new mqueue mount of our IPC namespace, detached (fsopen, fsmount): mounted nowhere
/// until the child attaches it.
UniqueFd detached_mqueue() {
  UniqueFd context(check(::fsopen("mqueue", FSOPEN_CLOEXEC), "fsopen", "mqueue"));
  check(::fsconfig(context.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0), "fsconfig", "mqueue");
  return UniqueFd(check(::fsmount(context.get(), FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC),
                        "fsmount", "mqueue"));
}

}  // namespace

int ipc_clone_flags(const std::string& mode) {
  if (mode == "host") return 0;
  if (mode.empty() || mode == "private" || mode == "shareable") return CLONE_NEWIPC;
  throw Error(fmt::format("invalid IPC mode \"{}\": use private, shareable or host", mode));
}

void IpcStep::add_flags(CLI::App& run) {
  run.add_option("--ipc", mode_, "IPC namespace: private (default), shareable or host")
      ->check(CLI::Validator(
          [](std::string& mode) -> std::string {
            try {
              ipc_clone_flags(mode);  // rejects a bad mode while parsing, before anything starts
              return {};
            } catch (const Error& e) {
              return e.what();
            }
          },
          "MODE"));
}

void IpcStep::before_clone(Container& container) {
  int flags = ipc_clone_flags(container.spec.ipc_mode);
  if (!mount_namespace_of_self(runtime_mnt_dev_, runtime_mnt_ino_)) runtime_mnt_ino_ = 0;
  host_mqueue_.reset();
  // Only a child in a user namespace of its own (chapter 07) needs the parent's help.
  if (flags == 0 && container.user_namespace() && ::geteuid() == 0) host_mqueue_ = detached_mqueue();
}

void IpcStep::after_clone(Container& container, pid_t child) {
  (void)container;
  (void)child;
  host_mqueue_.reset();  // the child has its own copy of the descriptor
}

void IpcStep::in_child(Container& container) {
  (void)container;
  // Inside the new root, /proc is the container's own only from chapter 03 on. If it cannot
  // tell us that we are in another mount namespace than the runtime, a mount would be seen
  // on the host (and stay there): do not mount.
  dev_t dev = 0;
  ino_t ino = 0;
  bool own_mounts = runtime_mnt_ino_ != 0 && mount_namespace_of_self(dev, ino) &&
                    (dev != runtime_mnt_dev_ || ino != runtime_mnt_ino_);
  if (!own_mounts) {
    log::debug("child: no mount namespace of its own: {} left alone", kMqueueDir);
    return;
  }
  if (host_mqueue_) {
    // --ipc host in a user namespace: chapter 03 may have bound the host's /dev/mqueue
    // already; if not, attach the one the parent made (this namespace may not mount it).
    struct statfs fs {};
    if (::statfs(kMqueueDir, &fs) == 0 && fs.f_type == kMqueueMagic) {
      log::debug("child: {} is already an mqueue mount", kMqueueDir);
      return;
    }
    log::debug("child: the host's mqueue, made by the parent, on {}", kMqueueDir);
    if (::mkdir(kMqueueDir, 0755) != 0 && errno != EEXIST) throw_sys("mkdir", kMqueueDir);
    UniqueFd target(check(::open(kMqueueDir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), "open", kMqueueDir));
    ch03::attach_mount_tree(host_mqueue_, target.get(), kMqueueDir);
    host_mqueue_.reset();
    return;
  }
  // Chapter 03's /dev usually holds one already, mounted in this child after clone, so it
  // shows the new IPC namespace; the exercise makes sure, and mounts one where it does not.
  log::debug("child: making sure {} shows this IPC namespace", kMqueueDir);
  ensure_own_mqueue(kMqueueDir);
}

Steps steps() {
  Steps list = ch05::steps();
  list.push_back(std::make_unique<IpcStep>());
  return list;
}

}  // namespace dockling::ch06
