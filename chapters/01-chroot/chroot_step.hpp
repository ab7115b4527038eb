/// @file chroot_step.hpp
/// @brief The root step of chapter 01: the child enters ROOTFS with chroot(2).
#pragma once

#include "pipeline.hpp"
#include "step.hpp"

namespace dockling::ch01 {

/// Puts the command's root at ROOTFS with chroot(2). No namespace: the host's processes,
/// mounts and network stay in view, and a root process can climb out (see the README).
class ChrootStep : public Step {
 public:
  std::string_view name() const override { return "chroot"; }
  Slot slot() const override { return Slot::root; }
  void in_child(Container& container) override;
};

/// Chapter 01's steps: the chroot.
Steps steps();

}  // namespace dockling::ch01
