// Our client against our server with `--htpasswd F --token-issuer`, Docker Hub's flow: a push
// without login fails in docker's words; logged in, push and pull go through the Bearer
// challenge and GET /token; a --read-only-users user pulls but is denied a push; a mount's
// token covers pulling from the other repository.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "dockling/fs.hpp"
#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"
#include "registry_fixture.hpp"

namespace dockling::ch12 {
namespace {

using namespace dockling::testing;

class TokenFlow : public ::testing::Test {
 protected:
  TempDir tmp{"dockling-ch12-token-flow"};
  std::string root = (tmp.path() / "root").string();
  std::string config = (tmp.path() / "config").string();
  std::unique_ptr<RunningRegistry> registry;
  std::string image;  ///< 127.0.0.1:PORT/busybox:latest, imported into `root`

  void SetUp() override {
    DOCKLING_REQUIRE_ROOT();
    ASSERT_EQ(::access("/usr/bin/htpasswd", X_OK), 0) << "htpasswd is not installed: run sudo scripts/setup-deps";
    std::string htpasswd;
    for (const char* user : {"user", "reader"}) {
      RunResult hashed = run({"/usr/bin/htpasswd", "-Bbn", "-C", "4", user, "pass"});
      ASSERT_EQ(hashed.exit_code, 0) << hashed;
      htpasswd += hashed.out;
    }
    std::string file = (tmp.path() / "htpasswd").string();
    write_file(file, htpasswd);
    registry = RunningRegistry::dockling(tmp.path() / "registry",
                                         {"--htpasswd", file, "--token-issuer", "--read-only-users", "reader"});
    ASSERT_FALSE(::testing::Test::HasFatalFailure());
    ASSERT_TRUE(registry);
    image = registry->address() + "/busybox:latest";
    RunResult imported = import_busybox(root, image);
    ASSERT_EQ(imported.exit_code, 0) << imported;
  }
  void TearDown() override {
    if (registry) registry->stop();
  }

  RunResult ch12(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), {bin("ch12-registry"), "--root", root});
    return run(args, milliseconds(60000), input);
  }
  RunResult login(const std::string& user) {
    return ch12({"login", "--config", config, "-u", user, "--password-stdin", registry->address()}, "pass\n");
  }
};

TEST_F(TokenFlow, APushWithoutLoginIsUnauthorized) {
  RunResult pushed = ch12({"push", "--config", config, image});
  EXPECT_NE(pushed.exit_code, 0) << pushed;
  // docker: the token server's refusal, "unauthorized: …".
  EXPECT_NE(pushed.err.find("unauthorized: "), std::string::npos) << pushed;
  EXPECT_EQ(pushed.out.find("digest: "), std::string::npos) << pushed;
}

TEST_F(TokenFlow, LoggedInPushAndPullGoThroughTheTokenServer) {
  RunResult logged_in = login("user");
  ASSERT_EQ(logged_in.exit_code, 0) << logged_in;
  EXPECT_EQ(logged_in.out, "Login Succeeded\n") << logged_in;
  RunResult pushed = ch12({"push", "--config", config, image});
  ASSERT_EQ(pushed.exit_code, 0) << pushed;
  EXPECT_NE(pushed.out.find("latest: digest: sha256:"), std::string::npos) << pushed;
  ASSERT_EQ(ch12({"rmi", image}).exit_code, 0);
  RunResult pulled = ch12({"pull", "--config", config, image});
  ASSERT_EQ(pulled.exit_code, 0) << pulled;
  EXPECT_NE(pulled.out.find("Status: Downloaded newer image for " + image), std::string::npos) << pulled;
  // The flow was the token's: the server handed tokens out.
  EXPECT_TRUE(registry->log_has("/token")) << registry->log();
}

TEST_F(TokenFlow, AReadOnlyUserPullsButIsDeniedAPush) {
  ASSERT_EQ(login("user").exit_code, 0);
  ASSERT_EQ(ch12({"push", "-q", "--config", config, image}).exit_code, 0);
  ASSERT_EQ(ch12({"rmi", image}).exit_code, 0);

  RunResult reader = login("reader");
  ASSERT_EQ(reader.exit_code, 0) << reader;
  RunResult pulled = ch12({"pull", "--config", config, image});
  ASSERT_EQ(pulled.exit_code, 0) << pulled;
  std::string other = registry->address() + "/other:latest";
  ASSERT_EQ(ch12({"tag", image, other}).exit_code, 0);
  RunResult pushed = ch12({"push", "--config", config, other});
  EXPECT_NE(pushed.exit_code, 0) << pushed;
  EXPECT_NE(pushed.err.find("denied: requested access to the resource is denied"), std::string::npos) << pushed;
}

TEST_F(TokenFlow, AMountAsksTheTokenToPullFromTheOtherRepository) {
  ASSERT_EQ(login("user").exit_code, 0);
  RunResult first = ch12({"push", "--config", config, image});
  ASSERT_EQ(first.exit_code, 0) << first;
  std::string other = registry->address() + "/other:latest";
  ASSERT_EQ(ch12({"tag", image, other}).exit_code, 0);
  RunResult second = ch12({"push", "--config", config, other});
  ASSERT_EQ(second.exit_code, 0) << second;
  EXPECT_NE(second.out.find(": Mounted from busybox\n"), std::string::npos) << second;
  EXPECT_EQ(second.out.find(": Pushed\n"), std::string::npos) << second;
}

}  // namespace
}  // namespace dockling::ch12
