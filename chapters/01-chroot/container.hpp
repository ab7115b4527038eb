/// @file container.hpp
/// @brief A container being started: its spec, and what the start learns on the way.
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

#include "dockling/state.hpp"
#include "spec.hpp"

namespace dockling {

/// One container as the steps see it. The spec says what it is and never changes; `record`
/// is what the steps set up, kept in its state.json so that any process can undo it; the
/// other fields are facts the pipeline and the steps hand each other while it starts.
struct Container {
  const ContainerSpec& spec;    ///< what was asked
  const StateRoot& root;        ///< where its records and files live
  /// Each step's clean-up record, under the step's name: what before_clone and after_clone
  /// made (a lease, a veth, cgroups). after_exit undoes what is here, in this process or in
  /// another one that read it back from state.json.
  nlohmann::json record = nlohmann::json::object();
  int sync_fd = -1;             ///< in the child: its end of the socket to the parent
  int run_dir_fd = -1;          ///< in the child: its run directory, where `start` opens exec.fifo
  int cgroup_fd = -1;           ///< set by chapter 08 (v2): the cgroup to clone the child into
  bool born_in_cgroup = false;  ///< the pipeline cloned the child into cgroup_fd
  bool detached = false;        ///< outlives the process that created it (`oci create`)
  /// The command's exit code once the process that created it has waited for it; unset in
  /// a process that cleans up after another one (which died without waiting).
  std::optional<int> exit_code;

  /// The container `what` describes, with its state under `where`; both must outlive it.
  Container(const ContainerSpec& what, const StateRoot& where) : spec(what), root(where) {}

  /// True when the child gets a user namespace of its own (chapter 07 decided it in to_spec).
  bool user_namespace() const { return spec.user_namespace.mode == "private"; }
};

}  // namespace dockling
