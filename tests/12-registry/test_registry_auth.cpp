// What a registry's 401 asks for: WWW-Authenticate parsed into challenges (Basic, Bearer with
// its realm, service and scope, several in one value, quoted commas and escapes).
#include <gtest/gtest.h>

#include "dockling/error.hpp"
#include "registry_auth.hpp"

namespace dockling::ch12 {
namespace {

TEST(WwwAuthenticate, BasicWithItsRealm) {
  auto challenges = parse_www_authenticate(R"(Basic realm="dockling-test")");
  ASSERT_EQ(challenges.size(), 1u);
  EXPECT_EQ(challenges[0].scheme, "basic");
  EXPECT_EQ(challenges[0].param("realm"), "dockling-test");
}

TEST(WwwAuthenticate, BearerKeepsTheCommasOfItsScope) {
  auto challenges = parse_www_authenticate(
      R"(Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:team/app:pull,push")");
  ASSERT_EQ(challenges.size(), 1u);
  EXPECT_EQ(challenges[0].scheme, "bearer");
  EXPECT_EQ(challenges[0].param("realm"), "https://auth.example.com/token");
  EXPECT_EQ(challenges[0].param("service"), "registry.example.com");
  EXPECT_EQ(challenges[0].param("scope"), "repository:team/app:pull,push");
  EXPECT_EQ(challenges[0].param("error"), "");
}

TEST(WwwAuthenticate, SeveralChallengesNamesAnyCaseAndBareValues) {
  auto challenges =
      parse_www_authenticate(R"(BEARER Realm=http://127.0.0.1:5001/token , Service = "a \"b\"" , basic realm="x")");
  ASSERT_EQ(challenges.size(), 2u);
  EXPECT_EQ(challenges[0].scheme, "bearer");
  EXPECT_EQ(challenges[0].param("realm"), "http://127.0.0.1:5001/token");
  EXPECT_EQ(challenges[0].param("service"), "a \"b\"");
  EXPECT_EQ(challenges[1].scheme, "basic");
  EXPECT_EQ(challenges[1].param("realm"), "x");
}

TEST(WwwAuthenticate, GarbageGivesNoParamsAndNoThrow) {
  EXPECT_TRUE(parse_www_authenticate("").empty());
  EXPECT_TRUE(parse_www_authenticate(" , ,").empty());
  auto challenges = parse_www_authenticate(R"(Bearer realm="unclosed)");
  ASSERT_EQ(challenges.size(), 1u);
  EXPECT_EQ(challenges[0].param("realm"), "unclosed");
}

}  // namespace
}  // namespace dockling::ch12
