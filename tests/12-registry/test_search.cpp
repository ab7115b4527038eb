// `search` against our server, its output compared with what docker 20.10's CLI printed for the
// same registry and flags; the table's cells (descriptions cut at 45 characters, [OK]) from a
// JSON answer; the term split as docker splits it.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"
#include "registry_fixture.hpp"
#include "search.hpp"

namespace dockling::ch12 {
namespace {

using namespace dockling::testing;

class Search : public ::testing::Test {
 protected:
  TempDir tmp{"dockling-ch12-search"};
  std::string root = (tmp.path() / "root").string();
  std::unique_ptr<RunningRegistry> registry;

  /// Our server with busybox:1 and team/busyapp:1 pushed (and other:1, which no search for
  /// "busy" finds).
  void SetUp() override {
    DOCKLING_REQUIRE_ROOT();
    registry = RunningRegistry::dockling(tmp.path() / "registry");
    ASSERT_FALSE(HasFatalFailure());
    ASSERT_TRUE(registry);
    std::string first = registry->address() + "/busybox:1";
    RunResult imported = import_busybox(root, first);
    ASSERT_EQ(imported.exit_code, 0) << imported;
    for (const char* name : {"/busybox:1", "/team/busyapp:1", "/other:1"}) {
      std::string image = registry->address() + name;
      if (image != first) {
        ASSERT_EQ(ch12({"tag", first, image}).exit_code, 0);
      }
      RunResult pushed = ch12({"push", "-q", image});
      ASSERT_EQ(pushed.exit_code, 0) << pushed;
    }
  }
  void TearDown() override {
    if (registry) registry->stop();
  }

  RunResult ch12(std::vector<std::string> args) {
    args.insert(args.begin(), {bin("ch12-registry"), "--root", root});
    return run(args, milliseconds(60000));
  }
};

TEST_F(Search, PrintsDockersTable) {
  RunResult found = ch12({"search", registry->address() + "/busy"});
  ASSERT_EQ(found.exit_code, 0) << found;
  EXPECT_EQ(found.out,
            "NAME           DESCRIPTION   STARS     OFFICIAL   AUTOMATED\n"
            "busybox                      0                    \n"
            "team/busyapp                 0                    \n");
  // The server saw docker's request.
  EXPECT_TRUE(registry->log_has("/v1/search?q=busy&n=25")) << registry->log();
}

TEST_F(Search, LimitAndFormatAreDockers) {
  RunResult one = ch12({"search", "--limit", "1", registry->address() + "/busy"});
  ASSERT_EQ(one.exit_code, 0) << one;
  EXPECT_EQ(one.out,
            "NAME      DESCRIPTION   STARS     OFFICIAL   AUTOMATED\n"
            "busybox                 0                    \n");
  RunResult lines = ch12({"search", "--format", "{{.Name}}: {{.StarCount}}", registry->address() + "/busy"});
  ASSERT_EQ(lines.exit_code, 0) << lines;
  EXPECT_EQ(lines.out, "busybox: 0\nteam/busyapp: 0\n");
  RunResult table = ch12({"search", "--format", "table {{.Name}}\\t{{.IsOfficial}}", registry->address() + "/busy"});
  ASSERT_EQ(table.exit_code, 0) << table;
  EXPECT_EQ(table.out, "NAME           OFFICIAL\nbusybox        \nteam/busyapp   \n");
  RunResult zero = ch12({"search", "--limit", "0", registry->address() + "/busy"});
  EXPECT_NE(zero.exit_code, 0) << zero;
  EXPECT_NE(zero.err.find("Limit 0 is outside the range of [1, 100]"), std::string::npos) << zero;
}

TEST(SearchResults, DescriptionsAreCutUnlessNoTrunc) {
  nlohmann::json body = nlohmann::json::parse(R"({"results": [
    {"name": "a", "description": "a line\nthat goes on and on and on, well past forty-five", "star_count": 12,
     "is_official": true, "is_automated": false}]})");
  SearchOptions options;
  options.format = "{{.Description}}|{{.StarCount}}|{{.IsOfficial}}|{{.IsAutomated}}";
  EXPECT_EQ(format_search_results(body, options), "a line that goes on and on and on, well past…|12|[OK]|\n");
  options.no_trunc = true;
  EXPECT_EQ(format_search_results(body, options), "a line that goes on and on and on, well past forty-five|12|[OK]|\n");
}

TEST(SearchResults, TheTermNamesTheRegistryAsDockersDoes) {
  EXPECT_EQ(split_search_term("127.0.0.1:5000/busy"), std::make_pair(std::string("127.0.0.1:5000"), std::string("busy")));
  EXPECT_EQ(split_search_term("localhost/team/app"), std::make_pair(std::string("localhost"), std::string("team/app")));
  EXPECT_EQ(split_search_term("team/app"), std::make_pair(std::string("docker.io"), std::string("team/app")));
  EXPECT_EQ(split_search_term("busybox"), std::make_pair(std::string("docker.io"), std::string("busybox")));
}

}  // namespace
}  // namespace dockling::ch12
