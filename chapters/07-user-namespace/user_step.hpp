/// @file user_step.hpp
/// @brief The user step of chapter 07: a user namespace (`--userns`), its id maps, an
/// id-mapped rootfs, and the user the command runs as (`-u/--user`).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "dockling/fd.hpp"
#include "pipeline.hpp"
#include "step.hpp"
#include "newidmap.hpp"
#include "userns.hpp"

namespace dockling::ch07 {

/// Checks a --userns value: "", "host" or "private".
/// @throws Error naming `mode`, e.g. `invalid user namespace mode "remap": use private or host`.
void check_userns_mode(const std::string& mode);

/// The maps of a rootless run: the user's subordinate ranges (/etc/subuid, /etc/subgid) where
/// newuidmap/newgidmap can map them, else the user's own id alone. Chapter 10's rootless image
/// store maps its layers with the same maps.
/// @param helpers set to newuidmap/newgidmap when they must write the maps, reset otherwise
IdMaps rootless_maps(std::optional<IdMapHelpers>& helpers);

/// Puts the child in a new user namespace (CLONE_NEWUSER) with `--userns private`, the
/// default when an ordinary user runs the binary (rootless); root's default is `host`, as
/// docker's. The namespace is first in the pipeline, so every other namespace of the same
/// clone belongs to it. The parent writes the maps while the child waits for "go": a
/// "dockling" range of /etc/subuid and /etc/subgid (or 100000:65536) for root; for a rootless
/// run the user's own id, plus the user's subordinate ranges through newuidmap/newgidmap where
/// the uidmap package is installed and /etc/subuid and /etc/subgid have ranges for the user. A root run also gets its rootfs id-mapped where the kernel and the
/// filesystem allow it. In the child: become root of the namespace (UserSwitchStep becomes
/// the `-u` user at the end).
class UserStep : public Step {
 public:
  std::string_view name() const override { return "user"; }
  Slot slot() const override { return Slot::user; }
  void add_flags(CLI::App& run) override;
  /// --userns into the spec: "private" or "host", decided by who runs us when not given.
  void to_spec(ContainerSpec& spec) override;
  int clone_flags(const ContainerSpec& spec) const override;
  void before_clone(Container& container) override;
  void after_clone(Container& container, pid_t child) override;
  void in_child(Container& container) override;
  void after_exit(Container& container) noexcept override;

 private:
  std::string mode_;       ///< --userns: "" (by who runs us), "private" or "host"
  bool private_ = false;   ///< the spec asks for a user namespace
  IdMaps maps_;            ///< the maps written in after_clone
  std::optional<IdMapHelpers> helpers_;  ///< newuidmap/newgidmap, when they write maps_
  UniqueFd idmapped_root_; ///< the id-mapped copy of the rootfs, attached by the child
  dev_t runtime_mnt_dev_ = 0;  ///< the runtime's mount namespace, to tell whether the
  ino_t runtime_mnt_ino_ = 0;  ///< child has one of its own
};

/// Chapter 07's steps: chapter 06's, the user namespace and the user switch.
Steps steps();

}  // namespace dockling::ch07
