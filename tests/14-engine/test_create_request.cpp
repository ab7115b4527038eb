// POST /containers/create's body turned into `run` flags: what docker's CLI sends for
// `docker run -d --name web -p 8080:80 -v data:/data -e A=1 --rm -m 64m busybox httpd -f`.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "create_request.hpp"
#include "dockling/error.hpp"

namespace dockling::ch14 {
namespace {

using json = nlohmann::json;

TEST(CreateRequest, DockersFieldsBecomeRunFlags) {
  json body = {{"Image", "busybox"},
               {"Cmd", {"httpd", "-f", "-p", "80"}},
               {"Env", {"A=1"}},
               {"WorkingDir", "/srv"},
               {"ExposedPorts", {{"80/tcp", json::object()}}},
               {"Labels", json::object()},
               {"Volumes", {{"/scratch", json::object()}}},
               {"HostConfig",
                {{"AutoRemove", true},
                 {"NetworkMode", "default"},
                 {"Binds", {"data:/data"}},
                 {"PortBindings", {{"80/tcp", {{{"HostIp", ""}, {"HostPort", "8080"}}}}}},
                 {"Memory", 67108864},
                 {"NanoCpus", 1500000000},
                 {"CapAdd", nullptr}}}};
  std::vector<std::string> args = run_arguments(body, "web");
  std::vector<std::string> expected = {"run", "--pull", "never", "--name", "web", "-e", "A=1", "-w", "/srv",
                                       "--expose", "80/tcp", "--rm", "--network", "bridge", "-v", "data:/data",
                                       "-v", "/scratch",
                                       "-p", "8080:80/tcp", "--memory", "67108864", "--cpus", "1.5",
                                       "busybox", "httpd", "-f", "-p", "80"};
  EXPECT_EQ(args, expected);
}

TEST(CreateRequest, AnEntrypointComesBeforeTheCommand) {
  json body = {{"Image", "busybox"}, {"Entrypoint", {"sh", "-c"}}, {"Cmd", {"echo hi"}}};
  std::vector<std::string> expected = {"run", "--pull", "never", "--entrypoint", "sh", "busybox", "-c", "echo hi"};
  EXPECT_EQ(run_arguments(body, ""), expected);
}

TEST(CreateRequest, AWrongTypeIsRefusedNamingTheField) {
  try {
    run_arguments(json{{"Image", "busybox"}, {"Env", "A=1"}, {"HostConfig", {{"Binds", 3}}}}, "");
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 400);
    EXPECT_NE(std::string(e.what()).find("HostConfig.Binds"), std::string::npos) << e.what();
  }
  EXPECT_THROW(run_arguments(json{{"Cmd", {"true"}}}, ""), Error);  // no image
}

}  // namespace
}  // namespace dockling::ch14
