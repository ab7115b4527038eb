/// @file container.hpp
/// @brief A container being started: its spec, and what the start learns on the way.
#pragma once

#include "spec.hpp"

namespace dockling {

/// One start of a container. The spec says what it is and never changes; the other fields
/// are facts the pipeline and the steps hand each other while it starts.
struct Container {
  const ContainerSpec& spec;    ///< what was asked
  int sync_fd = -1;             ///< in the child: its end of the socket to the parent
  int cgroup_fd = -1;           ///< set by chapter 08 (v2): the cgroup to clone the child into
  bool born_in_cgroup = false;  ///< the pipeline cloned the child into cgroup_fd

  /// A start of the container `what` describes; `what` must outlive it.
  explicit Container(const ContainerSpec& what) : spec(what) {}

  /// True when the child gets a user namespace of its own (chapter 07 decided it in to_spec).
  bool user_namespace() const { return spec.user_namespace.mode == "private"; }
};

}  // namespace dockling
