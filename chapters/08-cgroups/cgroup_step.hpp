/// @file cgroup_step.hpp
/// @brief The cgroups step of chapter 08: docker's resource flags, enforced by a cgroup.
#pragma once

#include <memory>
#include <string>

#include "cgroup.hpp"
#include "dockling/fd.hpp"
#include "flags.hpp"
#include "pipeline.hpp"
#include "step.hpp"

namespace dockling::ch08 {

/// Puts the container in its own cgroup, `dockling/<id>`, with the limits of -m, --cpus,
/// --pids-limit, ... Before clone: check the flags, sweep stale cgroups, create the cgroup
/// and write the limits. On v2 the child is born in the cgroup (clone3 with
/// CLONE_INTO_CGROUP); on v1 it moves itself in as its first act, or the parent moves it
/// (from a user namespace of its own). It has run nothing before.
/// After exit: report an OOM kill and --stats, kill what is left, remove the cgroup.
class CgroupStep : public Step {
 public:
  std::string_view name() const override { return "cgroups"; }
  Slot slot() const override { return Slot::cgroups; }
  void add_flags(CLI::App& run) override;
  /// The limit flags, parsed and checked against this machine, into spec.resources.
  void to_spec(ContainerSpec& spec) override;
  void before_clone(Container& container) override;
  void after_clone(Container& container, pid_t child) override;
  void in_child(Container& container) override;
  void after_exit(Container& container) noexcept override;

 private:
  LimitFlags flags_;
  bool print_stats_ = false;
  std::string cidfile_;
  std::unique_ptr<CreationLock> lock_;
  std::vector<UniqueFd> owner_locks_;  ///< held from create() until the cgroups are removed
  std::unique_ptr<Cgroup> cgroup_;
  bool joined_ = false;
  bool child_joins_ = false;  ///< v1, no user namespace of its own: the child moves itself in
  UniqueFd cgroup_dir_;       ///< v2: the cgroup's directory, for clone3(CLONE_INTO_CGROUP)
};

/// Formats a byte count for people: "32MiB", "1.5GiB", "512B".
std::string human_bytes(std::uint64_t bytes);

/// Chapter 08's steps: chapter 01's, plus the cgroup.
Steps steps();

}  // namespace dockling::ch08
