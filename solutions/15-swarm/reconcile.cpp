#include <algorithm>
#include <map>

#include "reconcile.hpp"

namespace dockling::ch15 {

namespace {

const NodeInfo* find_node(const std::vector<NodeInfo>& nodes, const std::string& id) {
  auto found = std::find_if(nodes.begin(), nodes.end(), [&](const NodeInfo& node) { return node.id == id; });
  return found == nodes.end() ? nullptr : &*found;
}

// A node that may keep its tasks: known, heartbeating, not drained (a paused node keeps them).
bool keeps_tasks(const NodeInfo* node) { return node != nullptr && node->ready && node->availability != "drain"; }

bool alive(const TaskInfo& task, const std::vector<NodeInfo>& nodes) {
  if (task.desired != TaskState::Running || is_final(task.state)) return false;
  return task.node_id.empty() || keeps_tasks(find_node(nodes, task.node_id));
}

// For a task that is not alive: did it end by itself in a way the restart condition leaves
// alone? Everything else (its node died or was drained, it was shut down or orphaned) is replaced.
bool must_replace(const TaskInfo& task, const std::string& condition) {
  if (task.state == TaskState::Complete) return condition == "any";
  if (task.state == TaskState::Failed || task.state == TaskState::Rejected) return condition != "none";
  return true;
}

// What one slot (replicated) or one node (global) holds.
struct Place {
  bool has_task = false;
  bool has_alive = false;
  bool replace = false;
  bool needs_new() const { return !has_alive && (!has_task || replace); }
};

// The rules both modes share, for one task of `place`.
void judge(const TaskInfo& task, Place& place, const ServiceInfo& service, const std::vector<NodeInfo>& nodes,
           ReconcileActions& actions) {
  place.has_task = true;
  if (alive(task, nodes)) {
    if (place.has_alive) actions.remove.push_back(task.id);  // a duplicate: the first one stays
    place.has_alive = true;
  } else if (must_replace(task, service.restart_condition)) {
    actions.shut_down.push_back(task.id);
    place.replace = true;
  }
}

}  // namespace

ReconcileActions reconcile(const ServiceInfo& service, const std::vector<TaskInfo>& tasks,
                           const std::vector<NodeInfo>& nodes) {
  ReconcileActions actions;
  if (!service.global) {
    std::map<int, Place> slots;
    for (const TaskInfo& task : tasks) {
      if (task.desired != TaskState::Running) continue;  // history
      if (task.slot < 1 || task.slot > service.replicas) {
        actions.remove.push_back(task.id);  // scale down keeps the lowest slots
        continue;
      }
      judge(task, slots[task.slot], service, nodes, actions);
    }
    for (int slot = 1; slot <= service.replicas; ++slot)
      if (slots[slot].needs_new()) actions.create_slots.push_back(slot);
    return actions;
  }

  std::map<std::string, Place> on_node;
  for (const TaskInfo& task : tasks) {
    if (task.desired != TaskState::Running || task.node_id.empty()) continue;
    const NodeInfo* node = find_node(nodes, task.node_id);
    if (!keeps_tasks(node) || !meets_constraints(*node, service.constraints)) {
      actions.shut_down.push_back(task.id);  // its node no longer qualifies
      continue;
    }
    judge(task, on_node[task.node_id], service, nodes, actions);
  }
  for (const NodeInfo& node : nodes) {
    bool qualifies = node.ready && node.availability == "active" && meets_constraints(node, service.constraints);
    if (qualifies && on_node[node.id].needs_new()) actions.create_on_nodes.push_back(node.id);
  }
  return actions;
}

}  // namespace dockling::ch15
