/// @file swarm_model.hpp
/// @brief What a swarm manager knows: nodes, services and tasks, as plain values.
///
/// The manager's store keeps them (as docker's API shows them: swarm_json.hpp); the
/// orchestrator compares a service with its tasks (reconcile.hpp), the scheduler gives each new
/// task a node (schedule.hpp), and the agents move the tasks' states forward.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dockling::ch15 {

/// A task's state, in swarmkit's order: a task only ever moves forward in this list (a task
/// that must run again is a new task in the same slot, never an old one moved back).
enum class TaskState {
  New,        ///< made by the orchestrator
  Pending,    ///< waiting for a node
  Assigned,   ///< the scheduler chose a node; the agent has not seen it yet
  Accepted,   ///< the node's agent took it
  Preparing,  ///< pulling the image, creating the container
  Starting,   ///< the container is starting
  Running,    ///< its process runs
  Complete,   ///< it exited with 0
  Shutdown,   ///< stopped because it was asked to (desired state shutdown or remove)
  Failed,     ///< it exited with another code, or could not start
  Rejected,   ///< the node could not run it (no image, a bad spec)
  Remove,     ///< desired state only: stop it and forget it (scale down, service rm)
  Orphaned,   ///< its node has been down too long: no one knows what became of it
};

/// docker's lower-case name ("running", "shutdown" ...).
std::string_view to_string(TaskState state);
/// The state named `text` (docker's lower-case names); nullopt for an unknown name.
std::optional<TaskState> task_state_from(std::string_view text);
/// Complete, Shutdown, Failed, Rejected, Remove, Orphaned: a task in such a state never runs again.
bool is_final(TaskState state);

/// A node as the orchestrator and the scheduler see it.
struct NodeInfo {
  std::string id;        ///< the node's id (constraint node.id)
  std::string hostname;  ///< its host name (constraint node.hostname)
  std::string role = "worker";          ///< "manager" or "worker"
  std::string availability = "active";  ///< "active", "pause" or "drain"
  bool ready = true;                    ///< heartbeating: false once the manager marks it down
  std::int64_t memory_bytes = 0;        ///< what the node has (0: unknown, no limit checked)
  std::vector<std::pair<std::string, std::string>> labels;  ///< node.labels.KEY
};

/// A placement constraint of `service create --constraint`: node.hostname==host2,
/// node.role!=manager, node.id==ID, node.labels.zone==east.
struct Constraint {
  std::string key;     ///< "node.hostname", "node.role", "node.id" or "node.labels.KEY"
  bool equal = true;   ///< == (true) or != (false)
  std::string value;   ///< what the node's value is compared with (node.role in any case)
};

/// What the orchestrator and the scheduler need to know of a service.
struct ServiceInfo {
  std::string id;        ///< the service's id
  std::string name;      ///< its Spec.Name, unique in the swarm
  bool global = false;   ///< --mode global: one task on every eligible node
  int replicas = 1;      ///< replicated mode: how many tasks run
  std::vector<Constraint> constraints;  ///< a node must meet them all to get a task
  std::int64_t memory_reservation = 0;  ///< bytes each task needs on its node (0: none)
  std::string restart_condition = "any";  ///< "any", "on-failure" or "none"
};

/// A task: one container of a service on one node, in one slot.
struct TaskInfo {
  std::string id;                ///< the task's id
  std::string service_id;        ///< the id of the service it belongs to
  int slot = 0;                  ///< replicated: 1..replicas; global: 0 (the node is the slot)
  std::string node_id;           ///< "" until scheduled
  TaskState desired = TaskState::Running;  ///< Running, Shutdown or Remove
  TaskState state = TaskState::New;        ///< what the agent last reported
  int exit_code = 0;             ///< when Complete or Failed
};

}  // namespace dockling::ch15
