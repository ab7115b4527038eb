/// @file schedule.hpp
/// @brief The scheduler's one question: on which node does a new task go? (The exercise:
/// exercises/15-swarm/schedule.cpp.)
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "swarm_model.hpp"

namespace dockling::ch15 {

/// What a node already carries: the scheduler's input beside the nodes themselves.
struct NodeLoad {
  int service_tasks = 0;             ///< alive tasks of the service being scheduled
  int total_tasks = 0;               ///< alive tasks of every service
  std::int64_t reserved_memory = 0;  ///< the memory reservations of those tasks, in bytes
};

/// The scheduler's answer: a node, or why there is none.
struct ScheduleChoice {
  std::string node_id;  ///< the chosen node; "" when none qualifies
  std::string error;    ///< when none qualifies: docker's words, e.g.
                        ///< "no suitable node (scheduling constraints not satisfied on 3 nodes)"
};

/// Chooses the node for one new task of `service`, as swarmkit's spread strategy does.
///
/// A node qualifies when it is ready, its availability is "active" (neither "pause" nor
/// "drain"), it meets the service's constraints (meets_constraints), and, when the service
/// reserves memory and the node's memory is known (not 0), its memory minus what is already
/// reserved there holds the reservation. A node missing from `load` carries nothing.
///
/// Among the nodes that qualify: the fewest tasks of this service, then the fewest tasks in all,
/// then the smallest hostname, then the smallest id: the same input always gives the same node.
///
/// When none qualifies, `error` explains, counting the nodes each test turned away, in this
/// order and joined with "; ":
///   "N node(s) not available for new tasks"        (not ready, or paused or drained)
///   "scheduling constraints not satisfied on N node(s)"
///   "insufficient resources on N node(s)"
/// as "no suitable node (" + reasons + ")", with "node" or "nodes" as the count asks; with no
/// nodes at all, just "no suitable node". A node is counted once, for the first test it fails.
ScheduleChoice choose_node(const ServiceInfo& service, const std::vector<NodeInfo>& nodes,
                           const std::map<std::string, NodeLoad>& load);

}  // namespace dockling::ch15
