// The exercise: the restart policy's decision and its backoff (restart_policy.hpp), as
// docker's restart manager decides; and the policy read from a create request.
#include <gtest/gtest.h>

#include <chrono>

#include "dockling/error.hpp"
#include "restart_policy.hpp"

namespace dockling::ch14 {
namespace {

using std::chrono::milliseconds;

ExitFacts exited(int code, int restarts = 0, milliseconds last_delay = milliseconds(0), milliseconds ran = milliseconds(50)) {
  ExitFacts facts;
  facts.exit_code = code;
  facts.restart_count = restarts;
  facts.last_delay = last_delay;
  facts.ran_for = ran;
  return facts;
}

TEST(RestartDecision, NoNeverRestarts_Exercise) {
  EXPECT_FALSE(decide_restart({"no", 0}, exited(1)).restart);
  EXPECT_FALSE(decide_restart({"no", 0}, exited(0)).restart);
  EXPECT_FALSE(decide_restart({"no", 0}, exited(137)).restart);
}

TEST(RestartDecision, AlwaysAndUnlessStoppedRestartWhateverTheCode_Exercise) {
  for (const char* name : {"always", "unless-stopped"}) {
    EXPECT_TRUE(decide_restart({name, 0}, exited(0)).restart) << name;
    EXPECT_TRUE(decide_restart({name, 0}, exited(3)).restart) << name;
    EXPECT_TRUE(decide_restart({name, 0}, exited(1, 500)).restart) << name << ": no limit";
  }
}

TEST(RestartDecision, OnFailureRestartsFailuresUpToItsLimit_Exercise) {
  EXPECT_FALSE(decide_restart({"on-failure", 0}, exited(0)).restart) << "success is not a failure";
  EXPECT_TRUE(decide_restart({"on-failure", 0}, exited(1, 1000)).restart) << "0: no limit";
  EXPECT_TRUE(decide_restart({"on-failure", 2}, exited(1, 0)).restart);
  EXPECT_TRUE(decide_restart({"on-failure", 2}, exited(1, 1)).restart);
  EXPECT_FALSE(decide_restart({"on-failure", 2}, exited(1, 2)).restart) << "two restarts done";
  EXPECT_TRUE(decide_restart({"on-failure", 1}, exited(137, 0)).restart) << "killed is a failure";
}

TEST(RestartDecision, WhatTheUserStoppedStaysStopped_Exercise) {
  for (const char* name : {"always", "unless-stopped", "on-failure"}) {
    ExitFacts facts = exited(137);
    facts.stopped_by_user = true;
    EXPECT_FALSE(decide_restart({name, 0}, facts).restart) << name;
  }
}

TEST(RestartDecision, TheDelayDoublesFrom100MsUpToAMinute_Exercise) {
  RestartPolicy always{"always", 0};
  EXPECT_EQ(decide_restart(always, exited(1, 0)).delay, milliseconds(100)) << "the first restart";
  milliseconds delay(0);
  std::vector<long> seen;
  for (int i = 0; i < 12; ++i) {
    delay = decide_restart(always, exited(1, i, delay)).delay;
    seen.push_back(static_cast<long>(delay.count()));
  }
  EXPECT_EQ(seen, (std::vector<long>{100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 60000, 60000}));
}

TEST(RestartDecision, ARunOfTenSecondsStartsTheBackoffAgain_Exercise) {
  RestartPolicy always{"always", 0};
  EXPECT_EQ(decide_restart(always, exited(1, 7, milliseconds(12800), milliseconds(10000))).delay, milliseconds(100));
  EXPECT_EQ(decide_restart(always, exited(1, 7, milliseconds(12800), milliseconds(9999))).delay, milliseconds(25600));
}

TEST(RestartPolicyJson, DockerdsChecksInDockerdsWords) {
  EXPECT_EQ(parse_restart_policy(nullptr).name, "no");
  EXPECT_EQ(parse_restart_policy({{"Name", ""}, {"MaximumRetryCount", 0}}).name, "no");
  RestartPolicy three = parse_restart_policy({{"Name", "on-failure"}, {"MaximumRetryCount", 3}});
  EXPECT_EQ(three.name, "on-failure");
  EXPECT_EQ(three.maximum_retry_count, 3);
  EXPECT_EQ(restart_policy_json(three), (nlohmann::json{{"Name", "on-failure"}, {"MaximumRetryCount", 3}}));
  auto message = [](const nlohmann::json& value) {
    try {
      parse_restart_policy(value);
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_code(), 400);
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(message({{"Name", "sometimes"}}), "invalid restart policy 'sometimes'");
  EXPECT_EQ(message({{"Name", "always"}, {"MaximumRetryCount", 2}}),
            "maximum retry count cannot be used with restart policy 'always'");
  EXPECT_EQ(message({{"Name", "on-failure"}, {"MaximumRetryCount", -1}}), "maximum retry count cannot be negative");
}

}  // namespace
}  // namespace dockling::ch14
