// The engine under stress: a daemon killed with 20 containers running, a monitor killed, 50
// containers started and removed at once, and requests no client should send.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "dockling/fs.hpp"
#include "dockling/state.hpp"
#include "docker_cli_fixture.hpp"

namespace dockling::ch14 {
namespace {

/// A raw request on the daemon's socket; returns what came back until the daemon closed it
/// (or 10 s passed).
std::string raw_request(const std::string& socket_path, const std::string& request) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  socket_path.copy(address.sun_path, sizeof address.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return "connect failed";
  }
  timeval limit{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  [[maybe_unused]] ssize_t sent = ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string answer;
  char buffer[4096];
  for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) answer.append(buffer, static_cast<size_t>(n));
  ::close(fd);
  return answer;
}

TEST_F(DockerCli, TwentyContainersOutliveAKilledDaemonWithTheirWholeLogs) {
  for (int i = 0; i < 20; ++i) {
    RunResult started = docker({"run", "-d", "--name", "c" + std::to_string(i), "--network", "none", "busybox", "sh",
                                "-c", "for n in 1 2 3; do echo line $n; done; exec sleep 60"});
    ASSERT_EQ(started.exit_code, 0) << started;
  }
  daemon->signal(SIGKILL);
  daemon->wait();
  daemon.reset();
  start_daemon();
  RunResult ps = docker({"ps", "-q"});
  EXPECT_EQ(split_lines(ps.out).size(), 20u) << ps;
  for (int i = 0; i < 20; ++i) {
    std::string name = "c" + std::to_string(i);
    RunResult logs;
    for (int tries = 0; tries < 100 && (logs = docker({"logs", name})).out != "line 1\nline 2\nline 3\n"; ++tries)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(logs.out, "line 1\nline 2\nline 3\n") << name;
  }
  std::vector<std::string> all = split_lines(docker({"ps", "-aq"}).out);
  std::vector<std::string> rm = {"rm", "-f"};
  rm.insert(rm.end(), all.begin(), all.end());
  expect_ok(rm);
  EXPECT_EQ(docker({"ps", "-aq"}).out, "");
}

TEST_F(DockerCli, AKilledMonitorLeavesItsContainerDeadAndRemovable) {
  RunResult started = docker({"run", "-d", "--name", "orphan", "busybox", "sleep", "60"});
  ASSERT_EQ(started.exit_code, 0) << started;
  std::string id = started.out.substr(0, 64);
  auto record = nlohmann::json::parse(read_file(root + "/containers/" + id + "/config.json"));
  pid_t monitor = record["State"]["Monitor"].value("Pid", 0);
  ASSERT_GT(monitor, 0) << record.dump();
  ASSERT_EQ(::kill(monitor, SIGKILL), 0);
  RunResult state;
  for (int i = 0; i < 250; ++i) {
    state = docker({"inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", "orphan"});
    if (state.out == "exited 137\n") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(state.out, "exited 137\n") << "the container died with its monitor: " << state;
  RunResult waited = docker({"wait", "orphan"}, milliseconds(10000));
  EXPECT_EQ(waited.out, "137\n") << waited;
  expect_ok({"rm", "orphan"});
  // What the monitor would have undone: its run state, its cgroup, its host veth.
  EXPECT_FALSE(fs::exists(StateRoot(root).container_run_dir(id))) << "the lifecycle's state is gone";
  RunResult links = run({"/usr/sbin/ip", "-o", "link", "show", "master", bridge});
  EXPECT_EQ(links.out, "") << "no veth of the container is left on the bridge";
}

TEST_F(DockerCli, FiftyContainersStartedAtOnceAllGoAgain) {
  std::vector<std::thread> threads;
  std::mutex mutex;
  std::vector<RunResult> failures;
  for (int i = 0; i < 50; ++i)
    threads.emplace_back([&, i] {
      RunResult started = docker({"run", "-d", "--name", "p" + std::to_string(i), "--network", "none", "busybox", "sleep",
                                  "60"},
                                 milliseconds(120000));
      std::lock_guard lock(mutex);
      if (started.exit_code != 0) failures.push_back(started);
    });
  for (auto& thread : threads) thread.join();
  for (const auto& failure : failures) ADD_FAILURE() << failure;
  EXPECT_EQ(split_lines(docker({"ps", "-q"}).out).size(), 50u);
  threads.clear();
  for (int i = 0; i < 50; ++i)
    threads.emplace_back([&, i] {
      RunResult removed = docker({"rm", "-f", "p" + std::to_string(i)}, milliseconds(120000));
      std::lock_guard lock(mutex);
      if (removed.exit_code != 0) failures.push_back(removed);
    });
  for (auto& thread : threads) thread.join();
  for (const auto& failure : failures) ADD_FAILURE() << failure;
  EXPECT_EQ(docker({"ps", "-aq"}).out, "");
  // Nothing of them is left: no record, no run state, no cgroup, no monitor lock.
  EXPECT_TRUE(fs::is_empty(root + "/containers")) << "records left";
  StateRoot state(root);
  EXPECT_TRUE(!fs::exists(state.containers_run_dir()) || fs::is_empty(state.containers_run_dir())) << "run states left";
  EXPECT_TRUE(!fs::exists(root + "/engine/monitors") || fs::is_empty(root + "/engine/monitors")) << "monitor locks left";
}

TEST_F(DockerCli, AHalfWrittenRecordIsSkippedWithAMessageNamingIt) {
  ASSERT_EQ(docker({"create", "--name", "sound", "--network", "none", "busybox", "true"}).exit_code, 0);
  std::string broken = root + "/containers/" + std::string(64, 'b');
  fs::create_directories(broken);
  write_file(broken + "/config.json", "{\"Id\": \"bbbb");  // what a crash in the middle of a write would leave
  RunResult ps = docker({"ps", "-a", "--format", "{{.Names}}"});
  EXPECT_EQ(ps.exit_code, 0) << ps;
  EXPECT_EQ(ps.out, "sound\n") << "the sound record is listed: " << ps;
  EXPECT_NE(read_file((tmp.path() / "daemon.log").string()).find(broken + "/config.json: not a container record"),
            std::string::npos)
      << "the daemon's log names it";
  fs::remove_all(broken);
  expect_ok({"rm", "sound"});
}

TEST_F(DockerCli, BadRequestsGetDockersErrorsAndTheDaemonServesOn) {
  std::string malformed = raw_request(socket, "POST /v1.41/containers/create HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n"
                                              "Content-Type: application/json\r\nContent-Length: 9\r\n\r\n{\"Image\":");
  EXPECT_NE(malformed.find("HTTP/1.1 400 "), std::string::npos) << malformed;
  EXPECT_NE(malformed.find("{\"message\":\"invalid JSON: "), std::string::npos) << malformed;
  std::string unknown_image = raw_request(socket, "POST /containers/create HTTP/1.1\r\nHost: docker\r\nConnection: close\r\nContent-Length: 41\r\n\r\n"
                                                  "{\"Image\":\"nosuch\",\"UnknownField\":[1,2,3]}");
  EXPECT_NE(unknown_image.find("HTTP/1.1 404 "), std::string::npos) << "unknown fields are ignored: " << unknown_image;
  std::string huge = raw_request(socket, "POST /containers/create HTTP/1.1\r\nHost: docker\r\nConnection: close\r\nContent-Length: 2000000\r\n\r\n" +
                                             std::string(2000000, ' '));
  EXPECT_NE(huge.find("HTTP/1.1 413 "), std::string::npos) << huge.substr(0, 200);
  // A client that sends half a request and waits holds only its own connection.
  int slow = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  socket.copy(address.sun_path, sizeof address.sun_path - 1);
  ASSERT_EQ(::connect(slow, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  std::string half = "GET /v1.41/containers/json HTTP/1.1\r\nHost: dock";
  ASSERT_GT(::send(slow, half.data(), half.size(), MSG_NOSIGNAL), 0);
  RunResult version = docker({"version", "--format", "{{.Server.APIVersion}}"});
  EXPECT_EQ(version.out, "1.41\n") << version;
  ::close(slow);
  ASSERT_EQ(docker({"create", "--name", "stopped", "--network", "none", "busybox", "true"}).exit_code, 0);
  std::string not_modified = raw_request(socket, "POST /containers/stopped/stop HTTP/1.1\r\nHost: docker\r\n"
                                                 "Connection: close\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(not_modified.rfind("HTTP/1.1 304 ", 0), 0u) << "stop of a container that does not run: " << not_modified;
  expect_ok({"rm", "stopped"});
}

}  // namespace
}  // namespace dockling::ch14
