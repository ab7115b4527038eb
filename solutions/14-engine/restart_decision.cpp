#include <algorithm>

#include "restart_policy.hpp"

namespace dockling::ch14 {

namespace {

constexpr std::chrono::milliseconds kFirstDelay{100};
constexpr std::chrono::milliseconds kMaximumDelay{60000};
constexpr std::chrono::seconds kGoodRun{10};

}  // namespace

RestartDecision decide_restart(const RestartPolicy& policy, const ExitFacts& facts) {
  RestartDecision decision;
  // A run of 10 s or more was not a crash loop: the backoff starts again.
  bool fresh = facts.last_delay.count() == 0 || facts.ran_for >= kGoodRun;
  decision.delay = fresh ? kFirstDelay : std::min(facts.last_delay * 2, kMaximumDelay);
  if (policy.name == "no" || facts.stopped_by_user) return decision;
  if (policy.name == "always" || policy.name == "unless-stopped") {
    decision.restart = true;
  } else if (policy.name == "on-failure") {
    bool retries_left = policy.maximum_retry_count == 0 || facts.restart_count < policy.maximum_retry_count;
    decision.restart = retries_left && facts.exit_code != 0;
  }
  return decision;
}

}  // namespace dockling::ch14
