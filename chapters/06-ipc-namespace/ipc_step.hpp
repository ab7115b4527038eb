/// @file ipc_step.hpp
/// @brief The IPC step of chapter 06: a new IPC namespace (`--ipc`), and its /dev/mqueue.
#pragma once

#include <sys/types.h>

#include <string>

#include "dockling/fd.hpp"
#include "ipc.hpp"
#include "pipeline.hpp"
#include "step.hpp"

namespace dockling::ch06 {

/// Puts the child in a new IPC namespace (CLONE_NEWIPC) unless `--ipc host`. When the child
/// also has a mount namespace of its own (chapter 03), it mounts a fresh mqueue file system
/// on /dev/mqueue inside the new root, showing the container's POSIX queues. Without one
/// (a plain chroot) it leaves /dev/mqueue alone: a mount there would land on the host.
/// With `--ipc host` and a user namespace (chapter 07) the parent, still the host's root,
/// makes the mqueue mount (detached) and the child attaches it: the kernel lets only the
/// owner of an IPC namespace mount its queues, and the host's is not the container's.
class IpcStep : public Step {
 public:
  std::string_view name() const override { return "ipc"; }
  Slot slot() const override { return Slot::ipc; }
  void add_flags(CLI::App& run) override;
  void to_spec(ContainerSpec& spec) override { spec.ipc_mode = mode_; }
  int clone_flags(const ContainerSpec& spec) const override { return ipc_clone_flags(spec.ipc_mode); }
  void before_clone(Container& container) override;
  void after_clone(Container& container, pid_t child) override;
  void in_child(Container& container) override;

 private:
  std::string mode_ = "private";  ///< --ipc: private, shareable or host
  dev_t runtime_mnt_dev_ = 0;     ///< the runtime's mount namespace (nsfs device and inode),
  ino_t runtime_mnt_ino_ = 0;     ///< 0 when /proc could not tell
  UniqueFd host_mqueue_;          ///< --ipc host, user namespace: a detached mqueue mount of the host's
                                  ///< IPC namespace, made before clone (see in_child)
};

/// Chapter 06's steps: chapter 05's and the IPC namespace.
Steps steps();

}  // namespace dockling::ch06
