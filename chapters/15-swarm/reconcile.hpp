/// @file reconcile.hpp
/// @brief The orchestrator's one question: given what a service asks for and the tasks it has,
/// what must change? (The exercise: exercises/15-swarm/reconcile.cpp.)
#pragma once

#include <string>
#include <vector>

#include "constraints.hpp"
#include "swarm_model.hpp"

namespace dockling::ch15 {

/// What reconcile() decides. The orchestrator carries it out: it makes the new tasks (state
/// New, desired Running), and sets the desired state of the others.
struct ReconcileActions {
  /// Replicated: the slots that need a new task, in increasing order.
  std::vector<int> create_slots;
  /// Global: the nodes that need a new task, in the order of `nodes`.
  std::vector<std::string> create_on_nodes;
  /// Tasks to stop: their desired state becomes Shutdown (a task being replaced, or one on a
  /// node that no longer qualifies). In the order of `tasks`.
  std::vector<std::string> shut_down;
  /// Tasks to stop and forget: their desired state becomes Remove (scale down). In the order of
  /// `tasks`.
  std::vector<std::string> remove;
};

/// Compares `service` with its `tasks` (every task of this service, old ones too) on `nodes`
/// (every node of the swarm), as swarmkit's orchestrators do. Only tasks whose desired state
/// is Running take part: a task already told to shut down or be removed is history.
///
/// A task is *alive* when its desired state is Running, its state is not final (is_final), and
/// its node, if it has one, is among `nodes`, ready and not drained (a paused node keeps its
/// tasks; it only gets no new ones).
///
/// A task that is not alive *must be replaced* unless it ended by itself and the service's
/// restart condition says to leave it: Complete with a condition other than "any", or Failed or
/// Rejected with condition "none". (A task on a node that died or was drained, or one that was
/// shut down or orphaned, did not end by itself: it is always replaced.) A task's own state
/// decides: one that completed before its node went down ended by itself.
///
/// Replicated services (slots 1..replicas):
///  - a task in a slot above `replicas` goes into `remove` (scale down keeps the lowest slots);
///  - in each slot, the first alive task (in the order of `tasks`) stays, later alive ones go
///    into `remove`; each task that is not alive and must be replaced goes into `shut_down`;
///  - a slot without an alive task gets a new task (`create_slots`) when it has no task at all,
///    or when one of its tasks must be replaced.
/// Global services (one task on every node that qualifies: ready, "active", meeting the
/// constraints):
///  - a task on a node that is not among `nodes`, not ready, drained, or no longer meeting the
///    constraints goes into `shut_down`; so does a task that is not alive and must be replaced;
///  - on each node, the first alive task stays, later ones go into `remove`;
///  - a node that qualifies gets a new task (`create_on_nodes`) when it has no alive task, and
///    either no task at all or one that must be replaced.
ReconcileActions reconcile(const ServiceInfo& service, const std::vector<TaskInfo>& tasks,
                           const std::vector<NodeInfo>& nodes);

}  // namespace dockling::ch15
