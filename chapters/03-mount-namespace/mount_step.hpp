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
/// pivots into ROOTFS and detaches the host's tree, then mounts /proc, /sys, /dev and the
/// spec's tmpfs mounts (--tmpfs), and creates the working directory. Takes chapter 01's
/// chroot slot. Flags: --tmpfs and --read-only, and docker's masked and read-only paths,
/// into the spec (SealStep applies them once every mount is made).
class MountStep : public Step {
 public:
  std::string_view name() const override { return "mount"; }
  Slot slot() const override { return Slot::root; }
  void add_flags(CLI::App& run) override;
  void to_spec(ContainerSpec& spec) override;
  int clone_flags(const ContainerSpec& spec) const override;
  void in_child(Container& container) override;

 protected:
  /// In the child, first of all, with the host's tree still in view. Nothing here; chapter
  /// 09's bundle step opens its mounts' sources and joins namespaces.
  virtual void before_pivot(Container& container) { (void)container; }
  /// After pivot_root and /proc, /sys and /dev ("/" is `root_fd`): the spec's own mounts.
  /// Here the tmpfs ones (--tmpfs); chapter 09's bundle step makes every kind, in order.
  virtual void mount_listed(int root_fd, const Container& container);

 private:
  bool read_only_ = false;
  std::vector<std::string> tmpfs_specs_;
};

/// After every mount (chapter 09's bundles add theirs in between): hides the spec's masked
/// paths, makes its read-only paths read-only, and with --read-only the root itself.
class SealStep : public Step {
 public:
  std::string_view name() const override { return "seal"; }
  Slot slot() const override { return Slot::seal; }
  void in_child(Container& container) override;
};

/// Chapter 03's steps: those of the earlier chapters, the process step (-e, -w), the mount
/// namespace in place of the chroot, the seal, and the terminal (-i, -t).
Steps steps();

}  // namespace dockling::ch03
