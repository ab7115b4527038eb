// The updater's rounds (swarm_update.hpp) on a service and tasks laid out as JSON, with a clock
// the test moves: batches of Parallelism, the monitor period before "completed", a new task that
// fails → paused or rolled back, continue ignores failures, and `service update --rollback`.
// No hosts: the end-to-end runs are in test_swarm_docker_cli.cpp.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api_response.hpp"
#include "swarm_update.hpp"

namespace dockling::ch15 {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using Clock = Rollout::Clock;

json template_of(const std::string& image) { return {{"ContainerSpec", {{"Image", image}}}}; }

/// A service at spec version 2 (image v2), whose previous spec ran v1 (version 1).
json updated(const json& update_config) {
  return {{"ID", "svc"},
          {"Spec", {{"Name", "web"}, {"TaskTemplate", template_of("v2")}, {"UpdateConfig", update_config}}},
          {"PreviousSpec", {{"Name", "web"}, {"TaskTemplate", template_of("v1")}}},
          {"_SpecVersion", 2},
          {"_PreviousSpecVersion", 1}};
}

json task(const std::string& id, int slot, int version, const std::string& state,
          const std::string& desired = "running") {
  return {{"ID", id}, {"Slot", slot}, {"_SpecVersion", version}, {"DesiredState", desired},
          {"Status", {{"State", state}}}};
}

/// One round, with the tasks as pointers the way the manager hands them over.
struct Updater {
  std::map<std::string, Rollout> rollouts;
  Clock::time_point now = Clock::now();

  std::vector<StoreChange> round(json& service, const std::vector<json>& tasks, bool converged = true) {
    std::vector<const json*> pointers;
    for (const auto& t : tasks) pointers.push_back(&t);
    std::vector<StoreChange> changes = update_round(service, pointers, converged, rollouts, now, "2026-12-01T00:00:00Z");
    for (const auto& change : changes)
      if (change.kind == "service") service = change.object;  // what the store would now hold
    return changes;
  }
};

std::vector<std::string> shut_down(const std::vector<StoreChange>& changes) {
  std::vector<std::string> ids;
  for (const auto& change : changes)
    if (change.kind == "task" && change.object.value("DesiredState", "") == "shutdown") ids.push_back(change.id);
  return ids;
}

std::string state_of(const json& service) { return service["UpdateStatus"].value("State", ""); }

TEST(SwarmUpdate, ReplacesOneOldTaskABatchAndCompletesAfterTheMonitorPeriod) {
  json service = updated({{"Parallelism", 1}, {"Monitor", 2'000'000'000LL}});
  Updater updater;
  std::vector<json> tasks = {task("a", 1, 1, "running"), task("b", 2, 1, "running")};
  EXPECT_EQ(shut_down(updater.round(service, tasks)), std::vector<std::string>{"a"});
  EXPECT_EQ(state_of(service), "updating");
  EXPECT_EQ(service["UpdateStatus"]["Message"], "update in progress");
  // The orchestrator replaced slot 1; while its new task starts, the next batch waits.
  tasks = {task("a", 1, 1, "shutdown", "shutdown"), task("b", 2, 1, "running"), task("a2", 1, 2, "starting")};
  EXPECT_TRUE(shut_down(updater.round(service, tasks)).empty());
  tasks[2] = task("a2", 1, 2, "running");
  EXPECT_EQ(shut_down(updater.round(service, tasks)), std::vector<std::string>{"b"});
  tasks = {task("a2", 1, 2, "running"), task("b2", 2, 2, "running")};
  updater.now += 1s;
  updater.round(service, tasks);
  EXPECT_EQ(state_of(service), "updating") << "b2 has run 0 s of the 2 s monitor period";
  updater.now += 2s;
  updater.round(service, tasks);
  EXPECT_EQ(state_of(service), "completed");
  EXPECT_EQ(service["UpdateStatus"]["Message"], "update completed");
  EXPECT_TRUE(updater.rollouts.empty());
}

TEST(SwarmUpdate, ParallelismZeroReplacesEveryOldTaskAtOnce) {
  json service = updated({{"Parallelism", 0}});
  Updater updater;
  std::vector<json> tasks = {task("a", 1, 1, "running"), task("b", 2, 1, "running"), task("c", 3, 1, "running")};
  EXPECT_EQ(shut_down(updater.round(service, tasks)), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(SwarmUpdate, WaitsWhileTheOrchestratorHasWorkToDo) {
  json service = updated({{"Parallelism", 1}});
  Updater updater;
  EXPECT_TRUE(shut_down(updater.round(service, {task("a", 1, 1, "running")}, false)).empty());
}

TEST(SwarmUpdate, ANewTaskThatFailsPausesTheUpdateAndNoMoreOldTasksStop) {
  json service = updated({{"Parallelism", 1}, {"FailureAction", "pause"}});
  Updater updater;
  std::vector<json> tasks = {task("a", 1, 1, "running"), task("b", 2, 1, "running")};
  updater.round(service, tasks);
  tasks = {task("a", 1, 1, "shutdown", "shutdown"), task("b", 2, 1, "running"), task("a2", 1, 2, "failed")};
  EXPECT_TRUE(shut_down(updater.round(service, tasks, false)).empty());
  EXPECT_EQ(state_of(service), "paused");
  EXPECT_EQ(service["UpdateStatus"]["Message"], "update paused due to failure or early termination of task a2");
  EXPECT_TRUE(shut_down(updater.round(service, tasks)).empty()) << "b, an old task, keeps serving";
}

TEST(SwarmUpdate, ATaskThatEndsAfterTheMonitorPeriodIsNoFailureOfTheUpdate) {
  json service = updated({{"Parallelism", 1}, {"Monitor", 1'000'000'000LL}});
  Updater updater;
  std::vector<json> tasks = {task("a", 1, 1, "running"), task("b", 2, 1, "running")};
  updater.round(service, tasks);
  tasks = {task("b", 2, 1, "running"), task("a2", 1, 2, "running")};
  updater.round(service, tasks);  // a2 runs from now
  updater.now += 2s;
  tasks[1] = task("a2", 1, 2, "failed");
  updater.round(service, tasks, false);
  EXPECT_EQ(state_of(service), "updating");
}

TEST(SwarmUpdate, FailureActionRollbackGoesBackToThePreviousSpecAndCompletesTheRollback) {
  json service = updated({{"Parallelism", 1}, {"FailureAction", "rollback"}});
  Updater updater;
  std::vector<json> tasks = {task("a", 1, 1, "running"), task("b", 2, 1, "running")};
  updater.round(service, tasks);
  tasks = {task("b", 2, 1, "running"), task("a2", 1, 2, "rejected")};
  updater.round(service, tasks, false);
  EXPECT_EQ(state_of(service), "rollback_started");
  EXPECT_EQ(service["UpdateStatus"]["Message"], "update rolled back due to failure or early termination of task a2");
  EXPECT_EQ(service["Spec"]["TaskTemplate"], template_of("v1"));
  EXPECT_EQ(service["_SpecVersion"], 1) << "b runs the spec rolled back to: it is no longer old";
  EXPECT_FALSE(service.contains("PreviousSpec"));
  // The orchestrator gave slot 1 a task of the old spec again; it runs through the monitor period.
  tasks = {task("b", 2, 1, "running"), task("a3", 1, 1, "running")};
  updater.round(service, tasks);
  updater.now += 6s;
  updater.round(service, tasks);
  EXPECT_EQ(state_of(service), "rollback_completed");
  EXPECT_EQ(service["UpdateStatus"]["Message"], "rollback completed");
}

TEST(SwarmUpdate, FailureActionContinueKeepsGoing) {
  json service = updated({{"Parallelism", 1}, {"FailureAction", "continue"}});
  Updater updater;
  std::vector<json> tasks = {task("a", 1, 1, "running"), task("b", 2, 1, "running")};
  updater.round(service, tasks);
  tasks = {task("b", 2, 1, "running"), task("a2", 1, 2, "failed")};
  updater.round(service, tasks, false);
  EXPECT_EQ(state_of(service), "updating");
}

TEST(SwarmUpdate, MaxFailureRatioToleratesThatShareOfFailedTasks) {
  json service = updated({{"Parallelism", 0}, {"MaxFailureRatio", 0.5}});
  Updater updater;
  std::vector<json> tasks = {task("a", 1, 1, "running"), task("b", 2, 1, "running")};
  updater.round(service, tasks);
  tasks = {task("a2", 1, 2, "failed"), task("b2", 2, 2, "running")};
  updater.round(service, tasks, false);
  EXPECT_EQ(state_of(service), "updating") << "1 failure of 2 tasks is not above 0.5";
  tasks.push_back(task("a3", 1, 2, "failed"));
  updater.round(service, tasks, false);
  EXPECT_EQ(state_of(service), "paused") << "2 failures of 2 tasks is";
}

TEST(SwarmUpdate, UserRollbackSwapsTheSpecsAndSaysItWasRequested) {
  json service = updated({{"Parallelism", 1}});
  service["UpdateStatus"] = {{"State", "paused"}, {"Message", "update paused due to failure or early termination of task x"}};
  json back = updated_service(service, nullptr, "2026-12-01T00:00:00Z");
  EXPECT_EQ(back["Spec"]["TaskTemplate"], template_of("v1"));
  EXPECT_EQ(back["PreviousSpec"]["TaskTemplate"], template_of("v2"));
  EXPECT_EQ(back["_SpecVersion"], 1);
  EXPECT_EQ(back["UpdateStatus"]["State"], "rollback_started");
  EXPECT_EQ(back["UpdateStatus"]["Message"], "manually requested rollback");
  back.erase("PreviousSpec");
  EXPECT_THROW(updated_service(back, nullptr, "2026-12-01T00:00:00Z"), ch14::ApiError);
}

TEST(SwarmUpdate, AUserUpdateClearsAPausedStatusAndOnlyATaskSpecChangeMovesTheVersion) {
  json service = updated({{"Parallelism", 1}});
  service["UpdateStatus"] = {{"State", "paused"}, {"Message", "m"}};
  json scaled = service["Spec"];
  scaled["Mode"] = {{"Replicated", {{"Replicas", 5}}}};
  json after = updated_service(service, scaled, "2026-12-01T00:00:00Z");
  EXPECT_FALSE(after.contains("UpdateStatus"));
  EXPECT_EQ(after["_SpecVersion"], 2);
  json changed = service["Spec"];
  changed["TaskTemplate"] = template_of("v3");
  EXPECT_EQ(updated_service(service, changed, "2026-12-01T00:00:00Z")["_SpecVersion"], 3);
}

}  // namespace
}  // namespace dockling::ch15
