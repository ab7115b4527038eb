// The exercise, part one: the orchestrator's reconcile() (reconcile.hpp) on an in-memory
// cluster: which slots or nodes need a new task, and which tasks are shut down or removed.
// Also the task states' names (swarm_model.hpp), which are not part of the exercise.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "reconcile.hpp"
#include "swarm_model.hpp"

namespace dockling::ch15 {
namespace {

using Ids = std::vector<std::string>;
using Slots = std::vector<int>;

NodeInfo node(const std::string& id, const std::string& availability = "active", bool ready = true) {
  NodeInfo n;
  n.id = id;
  n.hostname = "host-" + id;
  n.availability = availability;
  n.ready = ready;
  return n;
}

TaskInfo task(const std::string& id, int slot, const std::string& node_id, TaskState state = TaskState::Running,
              TaskState desired = TaskState::Running) {
  TaskInfo t;
  t.id = id;
  t.service_id = "svc";
  t.slot = slot;
  t.node_id = node_id;
  t.state = state;
  t.desired = desired;
  t.exit_code = state == TaskState::Failed ? 1 : 0;
  return t;
}

ServiceInfo replicated(int replicas, const std::string& condition = "any") {
  ServiceInfo s;
  s.id = "svc";
  s.name = "web";
  s.replicas = replicas;
  s.restart_condition = condition;
  return s;
}

ServiceInfo global(const std::string& condition = "any") {
  ServiceInfo s = replicated(0, condition);
  s.global = true;
  return s;
}

// Every field of the answer, so that a test also sees what should not be there.
void expect(const ReconcileActions& got, const Slots& create_slots, const Ids& create_on_nodes, const Ids& shut_down,
            const Ids& remove) {
  EXPECT_EQ(got.create_slots, create_slots) << "create_slots";
  EXPECT_EQ(got.create_on_nodes, create_on_nodes) << "create_on_nodes";
  EXPECT_EQ(got.shut_down, shut_down) << "shut_down";
  EXPECT_EQ(got.remove, remove) << "remove";
}

const std::vector<NodeInfo> kThreeNodes{node("n1"), node("n2"), node("n3")};

// --- the task states (not the exercise) ---

TEST(TaskState, DockersNamesBothWays) {
  const std::vector<std::pair<TaskState, std::string>> names{
      {TaskState::New, "new"},         {TaskState::Pending, "pending"},   {TaskState::Assigned, "assigned"},
      {TaskState::Accepted, "accepted"}, {TaskState::Preparing, "preparing"}, {TaskState::Starting, "starting"},
      {TaskState::Running, "running"}, {TaskState::Complete, "complete"}, {TaskState::Shutdown, "shutdown"},
      {TaskState::Failed, "failed"},   {TaskState::Rejected, "rejected"}, {TaskState::Remove, "remove"},
      {TaskState::Orphaned, "orphaned"},
  };
  for (const auto& [state, name] : names) {
    EXPECT_EQ(to_string(state), name);
    EXPECT_EQ(task_state_from(name), state) << name;
  }
  EXPECT_EQ(task_state_from("Running"), std::nullopt) << "docker's names are lower-case";
  EXPECT_EQ(task_state_from("exited"), std::nullopt);
  EXPECT_EQ(task_state_from(""), std::nullopt);
}

TEST(TaskState, OnlyTheEndsAreFinal) {
  for (TaskState state : {TaskState::New, TaskState::Pending, TaskState::Assigned, TaskState::Accepted,
                          TaskState::Preparing, TaskState::Starting, TaskState::Running})
    EXPECT_FALSE(is_final(state)) << to_string(state);
  for (TaskState state : {TaskState::Complete, TaskState::Shutdown, TaskState::Failed, TaskState::Rejected,
                          TaskState::Remove, TaskState::Orphaned})
    EXPECT_TRUE(is_final(state)) << to_string(state);
}

// --- replicated services ---

TEST(Reconcile, ANewServiceGetsEverySlot_Exercise) {
  expect(reconcile(replicated(3), {}, kThreeNodes), {1, 2, 3}, {}, {}, {});
}

TEST(Reconcile, AHealthyServiceNeedsNothing_Exercise) {
  std::vector<TaskInfo> tasks{task("a", 1, "n1"), task("b", 2, "n2"), task("c", 3, "n3", TaskState::Starting)};
  expect(reconcile(replicated(3), tasks, kThreeNodes), {}, {}, {}, {});
}

TEST(Reconcile, ScaleUpFillsTheLowestMissingSlots_Exercise) {
  std::vector<TaskInfo> tasks{task("c", 3, "n3"), task("a", 1, "n1")};
  expect(reconcile(replicated(5), tasks, kThreeNodes), {2, 4, 5}, {}, {}, {});
}

TEST(Reconcile, ScaleDownRemovesTheHighestSlots_Exercise) {
  // In the order of `tasks`; a failed task above the new count is removed too, not replaced.
  std::vector<TaskInfo> tasks{task("d", 4, "n1"), task("a", 1, "n1"), task("c", 3, "n3"), task("b", 2, "n2"),
                              task("e", 5, "n2", TaskState::Failed)};
  expect(reconcile(replicated(2), tasks, kThreeNodes), {}, {}, {}, {"d", "c", "e"});
  expect(reconcile(replicated(0), tasks, kThreeNodes), {}, {}, {}, {"d", "a", "c", "b", "e"});
}

TEST(Reconcile, AFailedTaskIsReplacedUnlessTheConditionIsNone_Exercise) {
  std::vector<TaskInfo> tasks{task("a", 1, "n1"), task("b", 2, "n2", TaskState::Failed)};
  for (const char* condition : {"any", "on-failure"}) {
    SCOPED_TRACE(condition);
    expect(reconcile(replicated(2, condition), tasks, kThreeNodes), {2}, {}, {"b"}, {});
  }
  SCOPED_TRACE("none");
  expect(reconcile(replicated(2, "none"), tasks, kThreeNodes), {}, {}, {}, {});
}

TEST(Reconcile, ARejectedTaskCountsAsAFailure_Exercise) {
  std::vector<TaskInfo> tasks{task("a", 1, "n1", TaskState::Rejected)};
  expect(reconcile(replicated(1, "on-failure"), tasks, kThreeNodes), {1}, {}, {"a"}, {});
  expect(reconcile(replicated(1, "none"), tasks, kThreeNodes), {}, {}, {}, {});
}

TEST(Reconcile, ACompletedTaskRunsAgainOnlyWithConditionAny_Exercise) {
  std::vector<TaskInfo> tasks{task("a", 1, "n1", TaskState::Complete), task("b", 2, "n2")};
  expect(reconcile(replicated(2, "any"), tasks, kThreeNodes), {1}, {}, {"a"}, {});
  for (const char* condition : {"on-failure", "none"}) {
    SCOPED_TRACE(condition);
    expect(reconcile(replicated(2, condition), tasks, kThreeNodes), {}, {}, {}, {});
  }
}

TEST(Reconcile, TasksOnADownOrDrainedNodeAreReplacedEvenWithNone_Exercise) {
  std::vector<NodeInfo> nodes{node("n1"), node("n2", "active", false), node("n3", "drain")};
  // n2 stopped heartbeating, n3 was drained, n4 left the swarm.
  std::vector<TaskInfo> tasks{task("a", 1, "n1"), task("b", 2, "n2"), task("c", 3, "n3"), task("d", 4, "n4")};
  for (const char* condition : {"any", "on-failure", "none"}) {
    SCOPED_TRACE(condition);
    expect(reconcile(replicated(4, condition), tasks, nodes), {2, 3, 4}, {}, {"b", "c", "d"}, {});
  }
}

TEST(Reconcile, APausedNodeKeepsItsTasks_Exercise) {
  std::vector<NodeInfo> nodes{node("n1", "pause"), node("n2")};
  std::vector<TaskInfo> tasks{task("a", 1, "n1"), task("b", 2, "n1", TaskState::Preparing)};
  expect(reconcile(replicated(2), tasks, nodes), {}, {}, {}, {});
}

TEST(Reconcile, ShutdownAndOrphanedTasksAreReplacedEvenWithNone_Exercise) {
  // Desired state still Running: they did not stop because the orchestrator asked.
  std::vector<TaskInfo> tasks{task("a", 1, "n1", TaskState::Shutdown), task("b", 2, "n2", TaskState::Orphaned)};
  expect(reconcile(replicated(2, "none"), tasks, kThreeNodes), {1, 2}, {}, {"a", "b"}, {});
}

TEST(Reconcile, ATaskNotYetScheduledIsAlive_Exercise) {
  std::vector<TaskInfo> tasks{task("a", 1, ""), task("b", 2, "", TaskState::Pending)};
  expect(reconcile(replicated(2), tasks, kThreeNodes), {}, {}, {}, {});
}

TEST(Reconcile, ASlotKeepsItsFirstAliveTask_Exercise) {
  // Slot 1 twice alive: the later one is removed. Slot 2: a failed task and its replacement,
  // alive: the failed one is shut down, and the slot needs nothing new.
  std::vector<TaskInfo> tasks{task("a", 1, "n1"), task("f", 2, "n2", TaskState::Failed), task("b", 1, "n2"),
                              task("c", 2, "n3"), task("d", 1, "n3", TaskState::Pending)};
  expect(reconcile(replicated(2), tasks, kThreeNodes), {}, {}, {"f"}, {"b", "d"});
}

TEST(Reconcile, TasksAlreadyToldToStopAreHistory_Exercise) {
  std::vector<TaskInfo> tasks{
      task("old", 1, "n1", TaskState::Failed, TaskState::Shutdown),  // replaced earlier by "new"
      task("new", 1, "n2"),
      task("gone", 2, "n2", TaskState::Running, TaskState::Remove),   // scaled down earlier
      task("down", 3, "n3", TaskState::Shutdown, TaskState::Shutdown),
  };
  // Slot 2 and slot 3 have only history: they get new tasks; nothing is stopped twice.
  expect(reconcile(replicated(3), tasks, kThreeNodes), {2, 3}, {}, {}, {});
  // A running task told to shut down does not hold its slot either.
  std::vector<TaskInfo> stopping{task("s", 1, "n1", TaskState::Running, TaskState::Shutdown)};
  expect(reconcile(replicated(1, "none"), stopping, kThreeNodes), {1}, {}, {}, {});
}

// --- global services ---

TEST(Reconcile, GlobalPutsOneTaskOnEveryQualifyingNode_Exercise) {
  std::vector<NodeInfo> nodes{node("n9"), node("n2", "pause"), node("n3", "drain"), node("n4", "active", false),
                              node("n1")};
  expect(reconcile(global(), {}, nodes), {}, {"n9", "n1"}, {}, {});
  std::vector<TaskInfo> tasks{task("a", 0, "n1")};
  expect(reconcile(global(), tasks, nodes), {}, {"n9"}, {}, {});
}

TEST(Reconcile, GlobalFollowsItsConstraints_Exercise) {
  std::vector<NodeInfo> nodes{node("n1"), node("n2"), node("n3")};
  nodes[0].labels = {{"zone", "east"}};
  nodes[1].labels = {{"zone", "west"}};
  nodes[2].labels = {{"zone", "east"}};
  ServiceInfo service = global();
  service.constraints = {Constraint{"node.labels.zone", true, "east"}};
  // The constraint changed: the task on the western node stops, the eastern node without one gets one.
  std::vector<TaskInfo> tasks{task("a", 0, "n1"), task("b", 0, "n2")};
  expect(reconcile(service, tasks, nodes), {}, {"n3"}, {"b"}, {});
}

TEST(Reconcile, GlobalLeavesDrainedDownAndGoneNodes_Exercise) {
  std::vector<NodeInfo> nodes{node("n1"), node("n2", "drain"), node("n3", "active", false), node("n4", "pause")};
  std::vector<TaskInfo> tasks{task("a", 0, "n1"), task("b", 0, "n2"), task("c", 0, "n3"), task("d", 0, "n4"),
                              task("e", 0, "n5")};
  // n4 is paused: its task stays, and it would get none if it had none.
  for (const char* condition : {"any", "none"}) {
    SCOPED_TRACE(condition);
    expect(reconcile(global(condition), tasks, nodes), {}, {}, {"b", "c", "e"}, {});
  }
}

TEST(Reconcile, GlobalReplacesAFailedTaskOnItsNode_Exercise) {
  std::vector<TaskInfo> tasks{task("a", 0, "n1", TaskState::Failed), task("b", 0, "n2"), task("c", 0, "n3"),
                              task("d", 0, "n2", TaskState::Running), task("e", 0, "n3", TaskState::Complete)};
  // n2 runs two: the later one is removed. n3 has an alive task ("c"): its completed one is shut
  // down with condition any, and n3 needs nothing new.
  expect(reconcile(global("any"), tasks, kThreeNodes), {}, {"n1"}, {"a", "e"}, {"d"});
  expect(reconcile(global("on-failure"), tasks, kThreeNodes), {}, {"n1"}, {"a"}, {"d"});
  expect(reconcile(global("none"), tasks, kThreeNodes), {}, {}, {}, {"d"});
}

TEST(Reconcile, GlobalLeavesACompletedJobAloneUnlessAny_Exercise) {
  std::vector<TaskInfo> tasks{task("a", 0, "n1", TaskState::Complete)};
  std::vector<NodeInfo> one{node("n1")};
  expect(reconcile(global("any"), tasks, one), {}, {"n1"}, {"a"}, {});
  expect(reconcile(global("on-failure"), tasks, one), {}, {}, {}, {});
}

}  // namespace
}  // namespace dockling::ch15
