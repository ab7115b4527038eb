/// @file docker_cli_fixture.hpp
/// @brief The fixture of chapter 14's tests: a daemon on a state root of its own (its own
/// bridge and subnet), busybox imported, and the real docker CLI (Debian's docker.io 20.10,
/// unpacked into the build tree by scripts/fetch-docker-cli) pointed at it. Every test removes
/// what it made; TearDown checks that nothing is left.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "dockling/fs.hpp"
#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"

namespace dockling::ch14 {

using namespace dockling::testing;
namespace fs = std::filesystem;

/// True when a server accepts connections on the unix socket `path` (a socket file left by a
/// killed daemon refuses them).
inline bool accepts(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  path.copy(address.sun_path, sizeof address.sun_path - 1);
  bool connected = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return connected;
}

/// BUILD/tools/docker/usr/bin/docker.
inline std::string docker_cli() { return (fs::path(bin("ch14-engine")).parent_path().parent_path() / "tools/docker/usr/bin/docker").string(); }

class DockerCli : public ::testing::Test {
 protected:
  TempDir tmp{"dockling-ch14-engine"};
  std::string root = (tmp.path() / "root").string();
  std::string socket = root + "/engine.sock";
  std::optional<Background> daemon;
  SubnetClaim subnet = claim_subnet();       ///< the bridge network's, for tests that use one
  std::string bridge = unique_name("dl");    ///< the daemon's containers' bridge
  /// The binary whose daemon the tests drive (chapter 15's fixture sets ch15-swarm).
  std::string program = bin("ch14-engine");

  void SetUp() override {
    DOCKLING_REQUIRE_ROOT();
    ASSERT_TRUE(fs::exists(docker_cli())) << docker_cli() << " is missing: run scripts/fetch-docker-cli " << fs::path(bin("ch14-engine")).parent_path().parent_path().string();
    RunResult imported = run({"/bin/sh", "-c", "/bin/tar -C \"$0\" -c . | \"$1\" --root \"$2\" import - busybox",
                              rootfs(), program, root},
                             milliseconds(60000));
    ASSERT_EQ(imported.exit_code, 0) << imported;
    start_daemon();
  }
  void TearDown() override {
    if (!is_root()) return;
    // Nothing of a container stays: every test removes what it made, through the API.
    if (daemon) {
      RunResult left = docker({"ps", "-aq"});
      EXPECT_EQ(left.out, "") << "containers left behind";
      for (const auto& id : split_lines(left.out)) docker({"rm", "-f", id});
      stop_daemon();
    }
    RunResult pruned = run({program, "--root", root, "network", "prune", "--bridge", bridge});
    EXPECT_EQ(pruned.exit_code, 0) << pruned;
    EXPECT_EQ(mounts_under(tmp.path()), "");
  }
  void start_daemon() {
    daemon.emplace(std::vector<std::string>{"/usr/bin/env", "DOCKLING_BRIDGE=" + bridge, "DOCKLING_SUBNET=" + subnet.cidr(),
                                            program, "--root", root, "daemon", "--log-file",
                                            (tmp.path() / "daemon.log").string()});
    for (int i = 0; i < 1000 && !accepts(socket); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_TRUE(accepts(socket)) << read_file((tmp.path() / "daemon.log").string());
  }
  void stop_daemon() {
    daemon->signal(SIGTERM);
    EXPECT_EQ(daemon->wait().exit_code, 0) << read_file((tmp.path() / "daemon.log").string());
    daemon.reset();
  }
  /// The docker CLI with DOCKER_HOST on our daemon.
  RunResult docker(const std::vector<std::string>& args, milliseconds timeout = milliseconds(60000)) {
    std::vector<std::string> argv = {"/usr/bin/env", "-u", "DOCKER_CONFIG", "DOCKER_HOST=unix://" + socket,
                                     "DOCKER_CONFIG=" + (tmp.path() / "docker-config").string(), docker_cli()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, timeout);
  }
  /// Runs the docker CLI with `args`, expecting success (and showing its output when not).
  void expect_ok(const std::vector<std::string>& args) {
    RunResult result = docker(args);
    EXPECT_EQ(result.exit_code, 0) << result;
  }
  static std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    size_t start = 0;
    for (size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1)
      if (end > start) lines.push_back(text.substr(start, end - start));
    return lines;
  }
};

}  // namespace dockling::ch14
