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

TEST(CreateRequest, ANamedNetworkIsALaterChaptersOrDockers404) {
  json body = {{"Image", "busybox"},
               {"HostConfig", {{"NetworkMode", "appnet"}}},
               {"NetworkingConfig", {{"EndpointsConfig", {{"appnet", {{"IPAMConfig", {{"IPv4Address", "10.0.1.5"}}}}}}}}}};
  try {
    run_arguments(body, "");  // chapter 14 alone knows no such network
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 404);
    EXPECT_STREQ(e.what(), "network appnet not found");
  }
  json seen;
  NetworkFlags networks = [&](const std::string& name, const json& endpoint) -> std::optional<std::vector<std::string>> {
    seen = endpoint;
    if (name != "appnet") return std::nullopt;
    return std::vector<std::string>{"--bridge", "dlov4097", "--ip", endpoint["IPAMConfig"]["IPv4Address"]};
  };
  std::vector<std::string> expected = {"run", "--pull", "never", "--bridge", "dlov4097", "--ip", "10.0.1.5", "busybox"};
  EXPECT_EQ(run_arguments(body, "", networks), expected);
  EXPECT_EQ(seen, body["NetworkingConfig"]["EndpointsConfig"]["appnet"]);
  body["HostConfig"]["NetworkMode"] = "other";
  EXPECT_THROW(run_arguments(body, "", networks), Error);
}

}  // namespace
}  // namespace dockling::ch14
