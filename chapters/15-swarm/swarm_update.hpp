/// @file swarm_update.hpp
/// @brief The updater: how a service whose task spec changed replaces its tasks, a batch at a
/// time, and what it does when the new tasks fail (swarmkit's update.Updater, one round at a
/// time instead of a goroutine per update). It decides; the manager writes what it returns.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "swarm_store.hpp"

namespace dockling::ch15 {

/// What the updater remembers of one service's update between rounds. In memory only: a
/// manager that starts again begins a fresh count (the UpdateStatus itself is in the store).
struct Rollout {
  using Clock = std::chrono::steady_clock;  ///< the manager's clock (tests move their own)
  std::set<std::string> before;  ///< tasks of the current spec already there when it began
  std::map<std::string, Clock::time_point> running_at;  ///< new tasks: first seen running
  std::set<std::string> failures;  ///< new tasks that failed or ended within the monitor period
  std::size_t dirty = 1;           ///< tasks to replace when it began (the failure ratio's base)
};

/// One round of the updater for `service` (docker's Service object with its store fields),
/// given its `tasks` and whether the orchestrator has nothing else to do for it (`converged`:
/// no task to create, shut down or remove). Returns the changes to write: the old tasks of the
/// next batch (desired state shutdown: stop-first), and the service when its UpdateStatus moves
/// (updating, completed; on failure per FailureAction: paused, or rolled back to PreviousSpec,
/// rollback_completed, rollback_paused). `rollouts` holds each service's Rollout by id.
///
/// A task is old when its _SpecVersion is not the service's. The UpdateConfig (RollbackConfig
/// while rolling back) gives Parallelism (default 1, 0: all), Delay, Monitor (default 5 s),
/// MaxFailureRatio (default 0) and FailureAction (default pause; continue; rollback).
std::vector<StoreChange> update_round(const nlohmann::json& service, const std::vector<const nlohmann::json*>& tasks,
                                      bool converged, std::map<std::string, Rollout>& rollouts,
                                      Rollout::Clock::time_point now, const std::string& timestamp);

/// `service` after a user's `service update` (`spec` given) or `--rollback` (`spec` null):
/// the new Spec, the old one kept as PreviousSpec, _SpecVersion moved on when the task spec
/// changed (or swapped back on rollback), UpdateStatus cleared, or on rollback
/// rollback_started, "manually requested rollback" (swarmkit's controlapi).
/// @throws ch14::ApiError 400 when there is nothing to roll back to.
nlohmann::json updated_service(nlohmann::json service, const nlohmann::json& spec, const std::string& timestamp);

}  // namespace dockling::ch15
