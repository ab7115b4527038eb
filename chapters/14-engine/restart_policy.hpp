/// @file restart_policy.hpp
/// @brief `--restart`: whether a container that ended starts again, and after how long.
/// The monitor asks decide_restart() each time its container's process ends; docker's
/// daemon asks its restart manager the same question, with the same answers.
#pragma once

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

namespace dockling::ch14 {

/// docker's HostConfig.RestartPolicy.
struct RestartPolicy {
  std::string name = "no";      ///< "no", "always", "unless-stopped" or "on-failure"
  int maximum_retry_count = 0;  ///< on-failure only: at most this many restarts; 0: no limit
};

/// The policy of a create request's HostConfig.RestartPolicy ({"Name": ..., "MaximumRetryCount":
/// N}; absent or "" is "no"), checked as dockerd checks it.
/// @throws Error (exit code 400) in docker's words, e.g. "invalid restart policy 'sometimes'".
RestartPolicy parse_restart_policy(const nlohmann::json& value);
/// The policy as docker's inspect shows it: {"Name": "on-failure", "MaximumRetryCount": 3}.
nlohmann::json restart_policy_json(const RestartPolicy& policy);
/// The policy recorded in a container's config.json (HostConfig.RestartPolicy); "no" when none.
RestartPolicy recorded_restart_policy(const nlohmann::json& record);

/// What the monitor knows when the container's process has ended.
struct ExitFacts {
  int exit_code = 0;                       ///< docker's exit code (137 for SIGKILL ...)
  bool stopped_by_user = false;            ///< `docker stop` or `docker kill` ended it
  int restart_count = 0;                   ///< restarts so far (since it was last started by hand)
  std::chrono::milliseconds ran_for{0};    ///< how long this run lasted
  std::chrono::milliseconds last_delay{0}; ///< the delay before this run (0: the first run)
};

/// The answer: start again or not, and the delay to wait first.
struct RestartDecision {
  bool restart = false;                ///< start the container again
  std::chrono::milliseconds delay{0};  ///< the backoff; meaningful when `restart`
};

/// The restart policy's decision, as docker's restart manager makes it:
///  - "no" never restarts; a container stopped by the user is never restarted either
///    (docker stop and docker kill cancel the policy);
///  - "always" and "unless-stopped" restart whatever the exit code;
///  - "on-failure" restarts for a non-zero exit code only, and only while restart_count is
///    below maximum_retry_count (when that is not 0).
/// The delay doubles from one restart to the next: 100 ms first (last_delay 0), then 200, 400
/// ... never above one minute. A run that lasted 10 s or more was a good one: the delay starts
/// again from 100 ms.
RestartDecision decide_restart(const RestartPolicy& policy, const ExitFacts& facts);

}  // namespace dockling::ch14
