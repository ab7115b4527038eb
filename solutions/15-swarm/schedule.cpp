#include <string>
#include <tuple>

#include "constraints.hpp"
#include "schedule.hpp"

namespace dockling::ch15 {

namespace {

// "1 node" or "3 nodes".
std::string nodes_counted(int count) { return std::to_string(count) + (count == 1 ? " node" : " nodes"); }

}  // namespace

ScheduleChoice choose_node(const ServiceInfo& service, const std::vector<NodeInfo>& nodes,
                           const std::map<std::string, NodeLoad>& load) {
  int unavailable = 0;
  int unconstrained = 0;
  int too_small = 0;
  const NodeInfo* best = nullptr;
  NodeLoad best_load;
  for (const NodeInfo& node : nodes) {
    auto found = load.find(node.id);
    NodeLoad carried = found == load.end() ? NodeLoad{} : found->second;
    // Each node is counted once, for the first test it fails.
    if (!node.ready || node.availability != "active") {
      ++unavailable;
    } else if (!meets_constraints(node, service.constraints)) {
      ++unconstrained;
    } else if (service.memory_reservation > 0 && node.memory_bytes != 0 &&
               node.memory_bytes - carried.reserved_memory < service.memory_reservation) {
      ++too_small;
    } else if (best == nullptr ||
               std::tie(carried.service_tasks, carried.total_tasks, node.hostname, node.id) <
                   std::tie(best_load.service_tasks, best_load.total_tasks, best->hostname, best->id)) {
      // Spread: fewest tasks of this service, then fewest in all, then hostname, then id.
      best = &node;
      best_load = carried;
    }
  }

  ScheduleChoice choice;
  if (best != nullptr) {
    choice.node_id = best->id;
    return choice;
  }
  std::string reasons;
  auto add = [&](int count, const std::string& reason) {
    if (count == 0) return;
    if (!reasons.empty()) reasons += "; ";
    reasons += reason;
  };
  add(unavailable, nodes_counted(unavailable) + " not available for new tasks");
  add(unconstrained, "scheduling constraints not satisfied on " + nodes_counted(unconstrained));
  add(too_small, "insufficient resources on " + nodes_counted(too_small));
  choice.error = reasons.empty() ? "no suitable node" : "no suitable node (" + reasons + ")";
  return choice;
}

}  // namespace dockling::ch15
