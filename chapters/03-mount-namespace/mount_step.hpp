/// @file mount_step.hpp
/// @brief The root step of chapter 03: a mount namespace, pivot_root into ROOTFS, and the
/// filesystems a container expects (/proc, /sys, /dev, ...). Flags --read-only and --tmpfs.
#pragma once

#include <string>
#include <vector>

#include "container_mounts.hpp"
#include "pipeline.hpp"
#include "step.hpp"

namespace dockling::ch03 {

/// Gives the container its own mount namespace (CLONE_NEWNS), makes every mount private,
/// pivots into ROOTFS and detaches the host's tree, then mounts /proc, /sys, /dev, the
/// --tmpfs mounts, masks and write-protects docker's sensitive paths, creates the working
/// directory, and with --read-only makes the root read-only. Takes chapter 01's chroot slot.
class MountStep : public Step {
 public:
  std::string_view name() const override { return "mount"; }
  Slot slot() const override { return Slot::root; }
  void add_flags(CLI::App& run) override;
  int clone_flags() const override;
  void before_clone(Container& container) override;
  void in_child(Container& container) override;

 private:
  bool read_only_ = false;
  std::vector<std::string> tmpfs_specs_;
  std::vector<TmpfsMount> tmpfs_;
};

/// Chapter 03's steps: those of the earlier chapters, the process step (-e, -w) and the
/// mount namespace in place of the chroot.
Steps steps();

}  // namespace dockling::ch03
