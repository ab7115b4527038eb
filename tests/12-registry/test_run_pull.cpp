// `run IMAGE` pulls an image it does not find, as docker run does: "Unable to find image …
// locally" and the pull's lines on stderr, the container's output alone on stdout; --pull
// always pulls first, --pull never refuses with docker's "No such image".
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"
#include "registry_fixture.hpp"

namespace dockling::ch12 {
namespace {

using namespace dockling::testing;

class RunPull : public ::testing::Test {
 protected:
  TempDir tmp{"dockling-ch12-run-pull"};
  std::string pusher_root = (tmp.path() / "pusher").string();
  std::string root = (tmp.path() / "root").string();
  std::unique_ptr<RunningRegistry> registry;
  std::string image;  ///< 127.0.0.1:PORT/busybox:latest, in the registry (not in `root`)

  void SetUp() override {
    DOCKLING_REQUIRE_ROOT();
    registry = RunningRegistry::cncf(tmp.path() / "registry");
    ASSERT_TRUE(registry);
    image = registry->address() + "/busybox:latest";
    RunResult imported = import_busybox(pusher_root, image);
    ASSERT_EQ(imported.exit_code, 0) << imported;
    RunResult pushed = ch12({"push", "-q", image}, pusher_root);
    ASSERT_EQ(pushed.exit_code, 0) << pushed;
  }
  void TearDown() override {
    if (registry) registry->stop();
  }

  RunResult ch12(std::vector<std::string> args, const std::string& in_root = "") {
    args.insert(args.begin(), {bin("ch12-registry"), "--root", in_root.empty() ? root : in_root});
    return run(args, milliseconds(60000));
  }
};

TEST_F(RunPull, AMissingImageIsPulledThenRun) {
  // No tag: docker's line names the one it adds.
  RunResult ran = ch12({"run", "--rm", "--network", "none", registry->address() + "/busybox", "/bin/echo", "hi"});
  ASSERT_EQ(ran.exit_code, 0) << ran;
  EXPECT_EQ(ran.out, "hi\n") << ran;
  EXPECT_TRUE(ran.err.starts_with("Unable to find image '" + image + "' locally\nlatest: Pulling from busybox\n")) << ran;
  EXPECT_NE(ran.err.find("\nStatus: Downloaded newer image for " + image + "\n"), std::string::npos) << ran;
  // The pulled image stays, as docker's does.
  RunResult listed = ch12({"images", "-q", image});
  EXPECT_EQ(listed.exit_code, 0) << listed;
  EXPECT_FALSE(listed.out.empty()) << listed;

  RunResult again = ch12({"run", "--rm", "--network", "none", image, "/bin/echo", "again"});
  ASSERT_EQ(again.exit_code, 0) << again;
  EXPECT_EQ(again.out, "again\n") << again;
  EXPECT_EQ(again.err.find("Unable to find image"), std::string::npos) << again;
}

TEST_F(RunPull, PullAlwaysPullsAnImageThatIsThere) {
  ASSERT_EQ(ch12({"pull", "-q", image}).exit_code, 0);
  RunResult ran = ch12({"run", "--rm", "--pull", "always", "--network", "none", image, "/bin/echo", "hi"});
  ASSERT_EQ(ran.exit_code, 0) << ran;
  EXPECT_EQ(ran.out, "hi\n") << ran;
  EXPECT_EQ(ran.err.find("Unable to find image"), std::string::npos) << ran;
  EXPECT_NE(ran.err.find("Status: Image is up to date for " + image + "\n"), std::string::npos) << ran;
}

TEST_F(RunPull, PullNeverRefusesAMissingImage) {
  RunResult ran = ch12({"run", "--rm", "--pull", "never", "--network", "none", image, "/bin/echo", "hi"});
  EXPECT_NE(ran.exit_code, 0) << ran;
  EXPECT_EQ(ran.out, "") << ran;
  EXPECT_NE(ran.err.find("No such image: " + image), std::string::npos) << ran;
  EXPECT_EQ(ran.err.find("Pulling from"), std::string::npos) << ran;
}

TEST_F(RunPull, AnUnknownPullPolicyIsRefused) {
  RunResult ran = ch12({"run", "--rm", "--pull", "sometimes", image, "/bin/true"});
  EXPECT_NE(ran.exit_code, 0) << ran;
  EXPECT_NE(ran.err.find("invalid pull option: 'sometimes': must be one of \"always\", \"missing\" or \"never\""),
            std::string::npos)
      << ran;
}

TEST_F(RunPull, AnImageTheRegistryLacksFailsInDockersWords) {
  std::string missing = registry->address() + "/nothing:here";
  RunResult ran = ch12({"run", "--rm", "--network", "none", missing, "/bin/true"});
  EXPECT_NE(ran.exit_code, 0) << ran;
  EXPECT_TRUE(ran.err.starts_with("Unable to find image '" + missing + "' locally\n")) << ran;
  EXPECT_NE(ran.err.find("not found"), std::string::npos) << ran;
}

}  // namespace
}  // namespace dockling::ch12
