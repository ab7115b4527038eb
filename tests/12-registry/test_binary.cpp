// ch12-registry keeps every command of chapter 11 (and so of the chapters before it), and its
// test fixture can run the CNCF registry, the peer of this chapter's tests.
#include <gtest/gtest.h>

#include <string>

#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"
#include "registry_fixture.hpp"

namespace dockling::ch12 {
namespace {

using namespace dockling::testing;

TEST(Binary, KeepsTheCommandsOfChapter11) {
  RunResult help = run({bin("ch12-registry"), "--help"});
  ASSERT_EQ(help.exit_code, 0) << help;
  for (const char* command : {"run", "images", "build", "commit", "ps", "registry", "pull", "push"})
    EXPECT_NE(help.out.find(std::string("  ") + command), std::string::npos) << command << "\n" << help;
  RunResult unknown = run({bin("ch12-registry"), "no-such-command"});
  EXPECT_NE(unknown.exit_code, 0) << unknown;
  EXPECT_EQ(unknown.err.rfind("ch12-registry: ", 0), 0u) << unknown;
}

TEST(Fixture, RunsTheCncfRegistryOnAPortOfItsOwn) {
  TempDir tmp("dockling-ch12-fixture");
  auto registry = RunningRegistry::cncf(tmp.path());
  ASSERT_TRUE(registry);
  RunResult answer = run({"/usr/bin/curl", "-si", registry->url() + "/v2/"});
  EXPECT_NE(answer.out.find("Docker-Distribution-Api-Version: registry/2.0"), std::string::npos) << answer;
  registry->stop();
}

}  // namespace
}  // namespace dockling::ch12
