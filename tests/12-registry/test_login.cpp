// `login` and `logout` against the CNCF registry with HTTP Basic auth (bcrypt htpasswd): a push
// without credentials fails with docker's words; logged in, push and pull work; a wrong
// password is refused; the credentials are kept in DIR/config.json in docker's shape, mode
// 0600, and logout removes them.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dockling/fs.hpp"
#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"
#include "registry_fixture.hpp"

namespace dockling::ch12 {
namespace {

using namespace dockling::testing;
namespace fs = std::filesystem;

class Login : public ::testing::Test {
 protected:
  TempDir tmp{"dockling-ch12-login"};
  std::string root = (tmp.path() / "root").string();
  std::string config = (tmp.path() / "config").string();
  std::unique_ptr<RunningRegistry> registry;
  std::string image;  ///< 127.0.0.1:PORT/busybox:latest, imported into `root`

  void SetUp() override {
    DOCKLING_REQUIRE_ROOT();
    ASSERT_EQ(::access("/usr/bin/htpasswd", X_OK), 0) << "htpasswd is not installed: run sudo scripts/setup-deps";
    // bcrypt (-B), the only hash docker-registry accepts; the lowest cost keeps it fast.
    RunResult hashed = run({"/usr/bin/htpasswd", "-Bbn", "-C", "4", "user", "pass"});
    ASSERT_EQ(hashed.exit_code, 0) << hashed;
    std::string htpasswd = (tmp.path() / "htpasswd").string();
    write_file(htpasswd, hashed.out);
    registry = RunningRegistry::cncf(tmp.path() / "registry", htpasswd);
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
  RunResult login(const std::string& password) {
    return ch12({"login", "--config", config, "-u", "user", "--password-stdin", registry->address()}, password + "\n");
  }
  nlohmann::json config_json() { return nlohmann::json::parse(read_file(config + "/config.json")); }
};

TEST_F(Login, APushWithoutCredentialsFailsInDockersWords) {
  RunResult pushed = ch12({"push", "--config", config, image});
  EXPECT_NE(pushed.exit_code, 0) << pushed;
  EXPECT_NE(pushed.err.find("no basic auth credentials"), std::string::npos) << pushed;
  RunResult pulled = ch12({"pull", "--config", config, image});
  EXPECT_NE(pulled.exit_code, 0) << pulled;
  EXPECT_NE(pulled.err.find("Get \"" + registry->url() + "/v2/busybox/manifests/latest\": no basic auth credentials"),
            std::string::npos)
      << pulled;
}

TEST_F(Login, LoggedInPushAndPullWorkAndTheFileIsDockers) {
  RunResult logged_in = login("pass");
  ASSERT_EQ(logged_in.exit_code, 0) << logged_in;
  EXPECT_EQ(logged_in.out, "Login Succeeded\n") << logged_in;
  EXPECT_NE(logged_in.err.find("WARNING! Your password will be stored unencrypted in " + config + "/config.json."),
            std::string::npos)
      << logged_in;
  // docker's shape: base64 of "user:pass".
  EXPECT_EQ(config_json(), nlohmann::json::parse(R"({"auths": {")" + registry->address() +
                                                 R"(": {"auth": "dXNlcjpwYXNz"}}})"));
  struct stat info {};
  ASSERT_EQ(::stat((config + "/config.json").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0600u);

  RunResult pushed = ch12({"push", "--config", config, image});
  ASSERT_EQ(pushed.exit_code, 0) << pushed;
  ASSERT_EQ(ch12({"rmi", image}).exit_code, 0);
  RunResult pulled = ch12({"pull", "--config", config, image});
  ASSERT_EQ(pulled.exit_code, 0) << pulled;
  EXPECT_NE(pulled.out.find("Status: Downloaded newer image for " + image), std::string::npos) << pulled;
}

TEST_F(Login, AWrongPasswordIsRefusedAndNotKept) {
  RunResult refused = ch12({"login", "--config", config, "-u", "user", "-p", "wrong", registry->address()});
  EXPECT_NE(refused.exit_code, 0) << refused;
  EXPECT_NE(refused.err.find("WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n"),
            std::string::npos)
      << refused;
  EXPECT_NE(refused.err.find("login attempt to " + registry->url() + "/v2/ failed with status: 401 Unauthorized"),
            std::string::npos)
      << refused;
  EXPECT_EQ(refused.out.find("Login Succeeded"), std::string::npos) << refused;
  EXPECT_FALSE(fs::exists(config + "/config.json"));
}

TEST_F(Login, LogoutRemovesTheEntry) {
  ASSERT_EQ(login("pass").exit_code, 0);
  RunResult logged_out = ch12({"logout", "--config", config, registry->address()});
  ASSERT_EQ(logged_out.exit_code, 0) << logged_out;
  EXPECT_EQ(logged_out.out, "Removing login credentials for " + registry->address() + "\n") << logged_out;
  EXPECT_EQ(config_json(), nlohmann::json::parse(R"({"auths": {}})"));
  RunResult pushed = ch12({"push", "--config", config, image});
  EXPECT_NE(pushed.exit_code, 0) << pushed;
  EXPECT_NE(pushed.err.find("no basic auth credentials"), std::string::npos) << pushed;
}

TEST_F(Login, TheFlagsAreCheckedAsDockerDoes) {
  RunResult no_user = ch12({"login", "--config", config, "--password-stdin", registry->address()}, "pass\n");
  EXPECT_NE(no_user.exit_code, 0) << no_user;
  EXPECT_NE(no_user.err.find("Must provide --username with --password-stdin"), std::string::npos) << no_user;
  RunResult both = ch12({"login", "--config", config, "-u", "user", "-p", "pass", "--password-stdin", registry->address()},
                        "pass\n");
  EXPECT_NE(both.exit_code, 0) << both;
  EXPECT_NE(both.err.find("--password and --password-stdin are mutually exclusive"), std::string::npos) << both;
  // No terminal to ask on, nothing kept.
  RunResult asked = ch12({"login", "--config", config, registry->address()});
  EXPECT_NE(asked.exit_code, 0) << asked;
  EXPECT_NE(asked.err.find("Cannot perform an interactive login from a non TTY device"), std::string::npos) << asked;
  // Kept credentials are used when none are given.
  ASSERT_EQ(login("pass").exit_code, 0);
  RunResult again = ch12({"login", "--config", config, registry->address()});
  EXPECT_EQ(again.exit_code, 0) << again;
  EXPECT_EQ(again.out, "Authenticating with existing credentials...\nLogin Succeeded\n") << again;
}

TEST_F(Login, TheConfigDirComesFromDocklingConfigWithoutTheFlag) {
  RunResult logged_in = run({"/usr/bin/env", "DOCKLING_CONFIG=" + config, bin("ch12-registry"), "--root", root, "login",
                             "-u", "user", "--password-stdin", registry->address()},
                            milliseconds(60000), "pass\n");
  ASSERT_EQ(logged_in.exit_code, 0) << logged_in;
  EXPECT_TRUE(config_json()["auths"].contains(registry->address()));
  RunResult pushed = run({"/usr/bin/env", "DOCKLING_CONFIG=" + config, bin("ch12-registry"), "--root", root, "push", "-q",
                          image},
                         milliseconds(60000));
  EXPECT_EQ(pushed.exit_code, 0) << pushed;
}

}  // namespace
}  // namespace dockling::ch12
