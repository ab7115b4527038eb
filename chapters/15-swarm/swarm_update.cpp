#include "swarm_update.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "api_response.hpp"
#include "swarm_model.hpp"

using nlohmann::json;

namespace dockling::ch15 {

namespace {

TaskState state_of(const json& task) {
  const json& status = task.value("Status", json::object());
  return task_state_from(status.value("State", "")).value_or(TaskState::New);
}

TaskState desired_of(const json& task) {
  return task_state_from(task.value("DesiredState", "running")).value_or(TaskState::Running);
}

/// A duration field in nanoseconds (docker's form) as milliseconds, or `fallback`.
std::chrono::milliseconds millis(const json& config, const char* key, std::chrono::milliseconds fallback) {
  if (!config.contains(key) || !config[key].is_number()) return fallback;
  return std::chrono::milliseconds(config[key].get<std::int64_t>() / 1'000'000);
}

/// The service with UpdateStatus moved to `state`.
json with_status(json service, const std::string& state, const std::string& message, const std::string& timestamp) {
  json& status = service["UpdateStatus"];
  if (!status.is_object()) status = {{"StartedAt", timestamp}};
  status["State"] = state;
  status["Message"] = message;
  if (state == "completed" || state == "rollback_completed") status["CompletedAt"] = timestamp;
  return service;
}

/// Spec and PreviousSpec (with their versions) trade places.
json swapped_specs(json service) {
  json spec = service["Spec"];
  service["Spec"] = service["PreviousSpec"];
  service["PreviousSpec"] = spec;
  int version = service.value("_SpecVersion", 1);
  service["_SpecVersion"] = service.value("_PreviousSpecVersion", version + 1);
  service["_PreviousSpecVersion"] = version;
  return service;
}

}  // namespace

json updated_service(json service, const json& spec, const std::string& timestamp) {
  if (spec.is_null()) {
    if (!service.contains("PreviousSpec") || service["PreviousSpec"].is_null())
      throw ch14::ApiError(400, fmt::format("service {} does not have a previous spec", service.value("ID", "")));
    service = swapped_specs(std::move(service));
    service["UpdateStatus"] = {{"State", "rollback_started"}, {"StartedAt", timestamp},
                               {"Message", "manually requested rollback"}};
    return service;
  }
  int version = service.value("_SpecVersion", 1);
  service["PreviousSpec"] = service["Spec"];
  service["_PreviousSpecVersion"] = version;
  // Tasks are replaced only when what they run changed (a new replica count is not an update).
  if (spec["TaskTemplate"] != service["Spec"]["TaskTemplate"]) service["_SpecVersion"] = version + 1;
  service["Spec"] = spec;
  service.erase("UpdateStatus");
  return service;
}

std::vector<StoreChange> update_round(const json& service, const std::vector<const json*>& tasks, bool converged,
                                      std::map<std::string, Rollout>& rollouts, Rollout::Clock::time_point now,
                                      const std::string& timestamp) {
  const std::string id = service.value("ID", "");
  const json status = service.value("UpdateStatus", json());
  const std::string state = status.is_object() ? status.value("State", "") : "";
  if (state == "paused" || state == "rollback_paused") {
    rollouts.erase(id);  // `service update` (status cleared) or `--rollback` starts it again
    return {};
  }
  const bool rolling_back = state == "rollback_started";
  const bool updating = state == "updating" || rolling_back;
  const int version = service.value("_SpecVersion", 1);
  std::vector<const json*> old, fresh;
  for (const json* task : tasks) {
    bool current = task->value("_SpecVersion", 1) == version;
    if (current)
      fresh.push_back(task);
    else if (desired_of(*task) == TaskState::Running && !is_final(state_of(*task)))
      old.push_back(task);
  }
  if (old.empty() && !updating) {
    rollouts.erase(id);
    return {};
  }

  std::vector<StoreChange> changes;
  json current_service = service;
  auto found = rollouts.find(id);
  if (found == rollouts.end()) {
    Rollout begun;
    for (const json* task : fresh) begun.before.insert(task->value("ID", ""));
    begun.dirty = std::max<std::size_t>(old.size(), 1);
    found = rollouts.emplace(id, std::move(begun)).first;
  }
  Rollout& roll = found->second;
  if (!updating) {
    json fresh_start = service;
    fresh_start.erase("UpdateStatus");
    current_service = with_status(fresh_start, "updating", "update in progress", timestamp);
    changes.push_back({"service", id, current_service});
  }

  const json config = service["Spec"].value(rolling_back ? "RollbackConfig" : "UpdateConfig", json::object());
  const auto monitor = millis(config, "Monitor", std::chrono::seconds(5));
  const std::string action = config.value("FailureAction", "pause");
  const double max_ratio = config.contains("MaxFailureRatio") && config["MaxFailureRatio"].is_number()
                               ? config["MaxFailureRatio"].get<double>()
                               : 0.0;

  // The new tasks: when each first ran, and which ended too soon.
  bool all_running = true;
  Rollout::Clock::time_point settled{};
  for (const json* task : fresh) {
    std::string task_id = task->value("ID", "");
    if (roll.before.count(task_id)) continue;
    TaskState task_state = state_of(*task);
    if (task_state == TaskState::Running) roll.running_at.try_emplace(task_id, now);
    auto ran = roll.running_at.find(task_id);
    if (desired_of(*task) == TaskState::Running && !is_final(task_state)) {
      if (task_state != TaskState::Running) all_running = false;
      if (ran != roll.running_at.end()) settled = std::max(settled, ran->second);
    }
    bool ended = task_state == TaskState::Complete || task_state == TaskState::Failed ||
                 task_state == TaskState::Rejected;
    bool too_soon = ran == roll.running_at.end() || now - ran->second <= monitor;
    if (!ended || !too_soon || action == "continue" || !roll.failures.insert(task_id).second) continue;
    if (static_cast<double>(roll.failures.size()) / static_cast<double>(roll.dirty) <= max_ratio) continue;
    // Too many failures: the action, and this update is over.
    std::string cause = fmt::format("due to failure or early termination of task {}", task_id);
    rollouts.erase(id);
    changes.clear();
    if (action == "rollback" && !rolling_back && service.contains("PreviousSpec") && !service["PreviousSpec"].is_null()) {
      json back = swapped_specs(with_status(current_service, "rollback_started", "update rolled back " + cause, timestamp));
      back.erase("PreviousSpec");  // swarmkit keeps no spec to roll back to after an automatic rollback
      back.erase("_PreviousSpecVersion");
      changes.push_back({"service", id, back});
    } else {
      std::string what = rolling_back ? "rollback" : "update";
      changes.push_back({"service", id, with_status(current_service, rolling_back ? "rollback_paused" : "paused",
                                                   what + " paused " + cause, timestamp)});
    }
    return changes;
  }
  if (!converged) return changes;

  if (old.empty()) {
    // Every task is new: done once they all run and the last one has run for the monitor period.
    if (all_running && now - settled >= monitor) {
      current_service = with_status(current_service, rolling_back ? "rollback_completed" : "completed",
                                    rolling_back ? "rollback completed" : "update completed", timestamp);
      changes.clear();
      changes.push_back({"service", id, current_service});
      rollouts.erase(id);
    }
    return changes;
  }
  // The next batch once the last one runs and then the delay has passed.
  if (!all_running) return changes;
  if (settled != Rollout::Clock::time_point{} && now < settled + millis(config, "Delay", std::chrono::milliseconds(0)))
    return changes;
  std::size_t parallelism = config.value("Parallelism", std::uint64_t{1});
  if (parallelism == 0) parallelism = old.size();  // docker's 0: all at once
  std::sort(old.begin(), old.end(), [](const json* a, const json* b) { return a->value("Slot", 0) < b->value("Slot", 0); });
  for (std::size_t i = 0; i < old.size() && i < parallelism; ++i) {
    json task = *old[i];
    task["DesiredState"] = "shutdown";  // stop-first: the orchestrator starts the slot's new task next round
    changes.push_back({"task", task["ID"], task});
  }
  return changes;
}

}  // namespace dockling::ch15
