// The real docker CLI (Debian's docker.io 20.10, unpacked into the build tree by
// scripts/fetch-docker-cli) against our daemon: the lecture notes' commands, typed as written.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "dockling/fs.hpp"
#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"

namespace dockling::ch14 {
namespace {

using namespace dockling::testing;
namespace fs = std::filesystem;

/// True when a server accepts connections on the unix socket `path` (a socket file left by a
/// killed daemon refuses them).
bool accepts(const std::string& path) {
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
std::string docker_cli() { return (fs::path(bin("ch14-engine")).parent_path().parent_path() / "tools/docker/usr/bin/docker").string(); }

class DockerCli : public ::testing::Test {
 protected:
  TempDir tmp{"dockling-ch14-engine"};
  std::string root = (tmp.path() / "root").string();
  std::string socket = root + "/engine.sock";
  std::optional<Background> daemon;
  SubnetClaim subnet = claim_subnet();       ///< the bridge network's, for tests that use one
  std::string bridge = unique_name("dl");    ///< the daemon's containers' bridge

  void SetUp() override {
    DOCKLING_REQUIRE_ROOT();
    ASSERT_TRUE(fs::exists(docker_cli())) << docker_cli() << " is missing: run scripts/fetch-docker-cli " << fs::path(bin("ch14-engine")).parent_path().parent_path().string();
    RunResult imported = run({"/bin/sh", "-c", "/bin/tar -C \"$0\" -c . | \"$1\" --root \"$2\" import - busybox",
                              rootfs(), bin("ch14-engine"), root},
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
    RunResult pruned = run({bin("ch14-engine"), "--root", root, "network", "prune", "--bridge", bridge});
    EXPECT_EQ(pruned.exit_code, 0) << pruned;
    EXPECT_EQ(mounts_under(tmp.path()), "");
  }
  void start_daemon() {
    daemon.emplace(std::vector<std::string>{"/usr/bin/env", "DOCKLING_BRIDGE=" + bridge, "DOCKLING_SUBNET=" + subnet.cidr(),
                                            bin("ch14-engine"), "--root", root, "daemon", "--log-file",
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
  static std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    size_t start = 0;
    for (size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1)
      if (end > start) lines.push_back(text.substr(start, end - start));
    return lines;
  }
};

TEST_F(DockerCli, RunStreamsTheOutputAndReturnsTheExitCode) {
  RunResult hello = docker({"run", "--rm", "--network", "none", "busybox", "echo", "hello from dockling"});
  EXPECT_EQ(hello.exit_code, 0) << hello;
  EXPECT_EQ(hello.out, "hello from dockling\n");
  // Its stdin at its end at once (a script's </dev/null): the CLI half-closes the attach
  // connection, and still reads the output.
  RunResult closed = run({"/bin/sh", "-c", "exec \"$@\" </dev/null", "sh", "/usr/bin/env", "DOCKER_HOST=unix://" + socket,
                          docker_cli(), "run", "--rm", "--network", "none", "busybox", "echo", "stdin closed"});
  EXPECT_EQ(closed.out, "stdin closed\n") << closed;
  RunResult failed = docker({"run", "--rm", "--network", "none", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(failed.exit_code, 3) << failed;
  EXPECT_EQ(failed.out, "out\n");
  EXPECT_EQ(failed.err, "err\n");
  EXPECT_EQ(docker({"ps", "-aq"}).out, "") << "--rm removed both";
}

TEST_F(DockerCli, ADetachedContainerIsListedLoggedStoppedAndRemoved) {
  RunResult started = docker({"run", "-d", "--name", "web", "--network", "none", "busybox", "sh", "-c",
                              "echo started; trap 'echo bye; exit 0' TERM; while true; do sleep 0.1; done"});
  ASSERT_EQ(started.exit_code, 0) << started;
  EXPECT_TRUE(std::regex_match(started.out, std::regex("[0-9a-f]{64}\n"))) << started;
  std::string id = started.out.substr(0, 12);
  RunResult ps = docker({"ps"});
  EXPECT_NE(ps.out.find(id + "   busybox   \"sh -c 'echo started…\""), std::string::npos) << ps;
  EXPECT_NE(ps.out.find("   Up "), std::string::npos) << ps;
  EXPECT_NE(ps.out.find("web\n"), std::string::npos) << ps;
  for (int i = 0; i < 100 && docker({"logs", "web"}).out.empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(docker({"logs", "web"}).out, "started\n");
  EXPECT_EQ(docker({"inspect", "--format", "{{.State.Status}} {{.Name}}", "web"}).out, "running /web\n");
  // top: the host's ps, only the container's processes (its shell and its sleep).
  RunResult top = docker({"top", "web"});
  EXPECT_EQ(top.exit_code, 0) << top;
  EXPECT_TRUE(std::regex_search(top.out, std::regex("^UID +PID +PPID +C +STIME +TTY +TIME +CMD\n"))) << top;
  EXPECT_NE(top.out.find("sh -c echo started;"), std::string::npos) << top;
  EXPECT_EQ(top.out.find("ch14-engine"), std::string::npos) << "the monitor is not the container's: " << top;
  // rename: the record's name changes; a name in use is refused.
  EXPECT_EQ(docker({"rename", "web", "site"}).exit_code, 0);
  EXPECT_EQ(docker({"inspect", "--format", "{{.Name}}", started.out.substr(0, 12)}).out, "/site\n");
  ASSERT_EQ(docker({"create", "--name", "other", "--network", "none", "busybox", "true"}).exit_code, 0);
  RunResult taken = docker({"rename", "site", "other"});
  EXPECT_EQ(taken.exit_code, 1) << taken;
  EXPECT_NE(taken.err.find("is already in use"), std::string::npos) << taken;
  EXPECT_EQ(docker({"rm", "other"}).exit_code, 0);
  EXPECT_EQ(docker({"rename", "site", "web"}).exit_code, 0);

  RunResult refused = docker({"rm", "web"});
  EXPECT_EQ(refused.exit_code, 1) << refused;
  EXPECT_NE(refused.err.find("You cannot remove a running container " + started.out.substr(0, 64)), std::string::npos) << refused;

  RunResult stopped = docker({"stop", "web"});
  EXPECT_EQ(stopped.exit_code, 0) << stopped;
  EXPECT_EQ(stopped.out, "web\n");
  EXPECT_EQ(docker({"logs", "web"}).out, "started\nbye\n");
  RunResult all = docker({"ps", "-a", "--format", "{{.Names}} {{.Status}}"});
  EXPECT_TRUE(std::regex_search(all.out, std::regex("^web Exited \\(0\\) .* ago\n$"))) << all;
  EXPECT_EQ(docker({"rm", "web"}).out, "web\n");
  EXPECT_EQ(docker({"ps", "-aq"}).out, "");
}

TEST_F(DockerCli, TheLectureNotesWebServerAnswersAtTheAddressInspectGives) {
  RunResult started = docker({"run", "-d", "--name", "web", "busybox", "sh", "-c",
                              "mkdir /www && echo hello from web > /www/index.html && exec httpd -f -p 80 -h /www"});
  ASSERT_EQ(started.exit_code, 0) << started;
  RunResult inspected = docker({"inspect", "--format", "{{.NetworkSettings.IPAddress}}", "web"});
  std::string address = inspected.out.substr(0, inspected.out.find('\n'));
  EXPECT_EQ(address.rfind(subnet.address(0).substr(0, subnet.address(0).rfind('.') + 1), 0), 0u)
      << "an address of the daemon's subnet " << subnet.cidr() << ": " << inspected;
  RunResult page;
  for (int i = 0; i < 100; ++i) {
    page = run({"/usr/bin/curl", "-s", "--max-time", "2", "http://" + address + "/"});
    if (page.out == "hello from web\n") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(page.out, "hello from web\n") << page;
  EXPECT_EQ(docker({"stop", "-t", "1", "web"}).exit_code, 0);
  EXPECT_EQ(docker({"inspect", "--format", "[{{.NetworkSettings.IPAddress}}]", "web"}).out, "[]\n")
      << "a stopped container holds no address";
  EXPECT_EQ(docker({"rm", "web"}).exit_code, 0);
}

TEST_F(DockerCli, StopKillsWhatIgnoresTheSignalAfterTheTimeout) {
  ASSERT_EQ(docker({"run", "-d", "--name", "stubborn", "--network", "none", "busybox", "sleep", "60"}).exit_code, 0);
  auto started = std::chrono::steady_clock::now();
  RunResult stopped = docker({"stop", "-t", "1", "stubborn"});
  EXPECT_EQ(stopped.exit_code, 0) << stopped;
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::seconds(1)) << "PID 1 ignores SIGTERM: SIGKILL after -t";
  EXPECT_EQ(docker({"inspect", "--format", "{{.State.ExitCode}}", "stubborn"}).out, "137\n");
  EXPECT_EQ(docker({"rm", "stubborn"}).exit_code, 0);
}

TEST_F(DockerCli, ErrorsAreDockersAndTheVersionIsTheApis) {
  RunResult version = docker({"version", "--format", "{{.Server.APIVersion}}"});
  EXPECT_EQ(version.out, "1.41\n") << version;
  RunResult missing = docker({"rm", "nosuch"});
  EXPECT_EQ(missing.exit_code, 1) << missing;
  EXPECT_EQ(missing.err, "Error: No such container: nosuch\n");
  ASSERT_EQ(docker({"create", "--name", "twice", "--network", "none", "busybox", "true"}).exit_code, 0);
  RunResult conflict = docker({"create", "--name", "twice", "--network", "none", "busybox", "true"});
  EXPECT_EQ(conflict.exit_code, 1) << conflict;  // docker create's; docker run's would be 125
  EXPECT_NE(conflict.err.find("Conflict. The container name \"/twice\" is already in use"), std::string::npos) << conflict;
  EXPECT_NE(docker({"ps", "-a", "--format", "{{.Names}} {{.Status}}"}).out.find("twice Created"), std::string::npos);
  RunResult waited = docker({"wait", "twice"}, milliseconds(10000));
  EXPECT_EQ(waited.out, "0\n") << "dockerd answers a created container's wait at once: " << waited;
  EXPECT_EQ(docker({"rm", "twice"}).exit_code, 0);
  RunResult images = docker({"images", "--format", "{{.Repository}}:{{.Tag}}"});
  EXPECT_EQ(images.out, "busybox:latest\n") << images;
  RunResult curl = run({"/usr/bin/curl", "-s", "-i", "--unix-socket", socket, "http://docker/_ping"});
  EXPECT_NE(curl.out.find("Api-Version: 1.41\r\n"), std::string::npos) << curl;
  EXPECT_NE(curl.out.find("\r\n\r\nOK"), std::string::npos) << curl;
}

TEST_F(DockerCli, VolumesThroughTheDaemonAndRmDashVRemovesTheAnonymousOnes) {
  ASSERT_EQ(docker({"run", "--rm", "--network", "none", "-v", "notes:/notes", "busybox", "sh", "-c",
                    "echo kept > /notes/n"}).exit_code,
            0);
  RunResult read = docker({"run", "--rm", "--network", "none", "-v", "notes:/notes", "busybox", "cat", "/notes/n"});
  EXPECT_EQ(read.out, "kept\n") << read;
  ASSERT_EQ(docker({"run", "--name", "scratchy", "--network", "none", "-v", "/scratch", "busybox", "true"}).exit_code, 0);
  RunResult mounts = docker({"inspect", "--format", "{{range .Mounts}}{{.Type}} {{.Destination}}{{end}}", "scratchy"});
  EXPECT_EQ(mounts.out, "volume /scratch\n") << mounts;
  RunResult volumes = run({bin("ch14-engine"), "--root", root, "volume", "ls", "-q"});
  ASSERT_EQ(volumes.out.size(), 6u + 65u) << "notes and one anonymous volume: " << volumes;
  EXPECT_EQ(docker({"rm", "-v", "scratchy"}).exit_code, 0);
  EXPECT_EQ(run({bin("ch14-engine"), "--root", root, "volume", "ls", "-q"}).out, "notes\n") << "named volumes stay";
}

TEST_F(DockerCli, ContainersOutliveAKilledDaemonAndTheNextOneServesThem) {
  ASSERT_EQ(docker({"run", "-d", "--name", "survivor", "--network", "none", "busybox", "sh", "-c",
                    "echo before; trap 'exit 0' TERM; while true; do sleep 0.1; done"}).exit_code,
            0);
  daemon->signal(SIGKILL);
  daemon->wait();
  daemon.reset();
  // A second daemon on the root is refused while the first holds it; this one is gone.
  start_daemon();
  RunResult ps = docker({"ps", "--format", "{{.Names}} {{.State}}"});
  EXPECT_EQ(ps.out, "survivor running\n") << ps;
  EXPECT_EQ(docker({"logs", "survivor"}).out, "before\n");
  EXPECT_EQ(docker({"stop", "survivor"}).exit_code, 0);
  EXPECT_EQ(docker({"rm", "survivor"}).exit_code, 0);

  RunResult second = run({bin("ch14-engine"), "--root", root, "daemon"});
  EXPECT_EQ(second.exit_code, 1) << second;
  EXPECT_NE(second.err.find("another daemon (pid " + std::to_string(daemon->pid()) + ") holds the state root " + root),
            std::string::npos)
      << second;
}

}  // namespace
}  // namespace dockling::ch14
