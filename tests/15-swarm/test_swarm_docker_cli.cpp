// The lecture notes' swarm on one host, typed into the real docker CLI (Debian's 20.10) against
// `ch15-swarm daemon`: swarm init, service create/ls/ps/logs/scale/update/rm, swarm leave; a
// manager killed and started again.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>

#include <regex>

#include "../14-engine/docker_cli_fixture.hpp"

namespace dockling::ch15 {
namespace {

using namespace std::chrono_literals;

/// A TCP port the kernel gave to nobody else just now (bound, then closed).
int unused_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

class SwarmDockerCli : public ch14::DockerCli {
 protected:
  SwarmDockerCli() { program = testing::bin("ch15-swarm"); }

  void TearDown() override {
    if (testing::is_root() && daemon) docker({"swarm", "leave", "--force"});
    ch14::DockerCli::TearDown();
  }

  /// Waits until `check` holds (polling every 100 ms), up to `limit`.
  bool eventually(const std::function<bool()>& check, std::chrono::milliseconds limit = 30s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (check()) return true;
      std::this_thread::sleep_for(100ms);
    }
    return check();
  }

  /// The service's REPLICAS column ("3/3").
  std::string replicas(const std::string& service) {
    return docker({"service", "ls", "--filter", "name=" + service, "--format", "{{.Replicas}}"}).out;
  }

  /// Initializes a swarm on 127.0.0.1 and a port of its own.
  void init() {
    std::string address = "127.0.0.1:" + std::to_string(unused_port());
    testing::RunResult result = docker({"swarm", "init", "--advertise-addr", address, "--listen-addr", address});
    ASSERT_EQ(result.exit_code, 0) << result;
    EXPECT_NE(result.out.find("Swarm initialized: current node ("), std::string::npos) << result;
    EXPECT_NE(result.out.find("    docker swarm join --token SWMTKN-1-"), std::string::npos) << result;
    EXPECT_NE(result.out.find(" " + address + "\n"), std::string::npos) << result;
  }
};

const char* const kLogger = "while true; do echo Hello from replica $(hostname); sleep 5; done";

TEST_F(SwarmDockerCli, TheLectureNotesLoggerServiceRunsScalesLogsAndGoes) {
  init();
  testing::RunResult created =
      docker({"service", "create", "--name", "logger", "--replicas", "3", "busybox", "sh", "-c", kLogger}, 90000ms);
  ASSERT_EQ(created.exit_code, 0) << created;
  EXPECT_NE(created.out.find("verify: Service converged"), std::string::npos) << created;
  EXPECT_EQ(replicas("logger"), "3/3\n");

  testing::RunResult listed = docker({"service", "ls"});
  EXPECT_TRUE(std::regex_search(listed.out, std::regex(R"(\n[0-9a-z]{12} +logger +replicated +3/3 +busybox(:latest)? *\n)")))
      << listed;
  testing::RunResult tasks = docker({"service", "ps", "logger"});
  ASSERT_EQ(tasks.exit_code, 0) << tasks;
  for (const char* slot : {"logger.1", "logger.2", "logger.3"})
    EXPECT_TRUE(std::regex_search(tasks.out, std::regex(std::string(slot) + R"( +busybox\S* +\S+ +Running +Running )")))
        << slot << "\n" << tasks;

  // Every replica says hello, each from its own hostname (its container's short id).
  std::set<std::string> hosts;
  ASSERT_TRUE(eventually([&] {
    testing::RunResult logs = docker({"service", "logs", "logger"});
    std::regex line(R"(logger\.\d\.[0-9a-z]{12}@\S+ +\| Hello from replica ([0-9a-f]{12}))");
    for (std::sregex_iterator it(logs.out.begin(), logs.out.end(), line), end; it != end; ++it) hosts.insert((*it)[1]);
    return hosts.size() == 3;
  })) << hosts.size() << " replicas logged";

  testing::RunResult scaled = docker({"service", "scale", "-d", "logger=5"});
  EXPECT_EQ(scaled.exit_code, 0) << scaled;
  EXPECT_NE(scaled.out.find("logger scaled to 5"), std::string::npos) << scaled;
  EXPECT_TRUE(eventually([&] { return replicas("logger") == "5/5\n"; })) << replicas("logger");
  expect_ok({"service", "scale", "-d", "logger=2"});
  EXPECT_TRUE(eventually([&] { return replicas("logger") == "2/2\n"; })) << replicas("logger");
  // Scaled down: the highest slots go, their containers with them (after docker's 10 s grace:
  // sh as pid 1 ignores SIGTERM).
  EXPECT_TRUE(eventually([&] { return split_lines(docker({"ps", "-aq"}).out).size() == 2; }, 40s))
      << docker({"ps", "-a"});

  testing::RunResult removed = docker({"service", "rm", "logger"});
  EXPECT_EQ(removed.exit_code, 0) << removed;
  EXPECT_EQ(removed.out, "logger\n");
  EXPECT_TRUE(eventually([&] { return docker({"ps", "-aq"}).out.empty(); }, 40s)) << docker({"ps", "-a"});
  EXPECT_TRUE(eventually([&] { return docker({"service", "ps", "-q", "logger"}).exit_code != 0; }));

  testing::RunResult left = docker({"swarm", "leave", "--force"});
  EXPECT_EQ(left.exit_code, 0) << left;
  EXPECT_EQ(left.out, "Node left the swarm.\n");
}

TEST_F(SwarmDockerCli, AManagerKilledAndStartedAgainKeepsItsServicesAndTasks) {
  init();
  expect_ok({"service", "create", "-d", "--name", "kept", "--replicas", "2", "busybox", "sleep", "600"});
  ASSERT_TRUE(eventually([&] { return replicas("kept") == "2/2\n"; })) << replicas("kept");
  std::string tasks = docker({"service", "ps", "-q", "kept"}).out;
  std::string containers = docker({"ps", "-q"}).out;
  // kill -9: no goodbye. The containers run on under their monitors; the store has every task.
  daemon->signal(SIGKILL);
  daemon->wait();
  daemon.reset();
  start_daemon();
  EXPECT_TRUE(eventually([&] { return replicas("kept") == "2/2\n"; })) << replicas("kept");
  EXPECT_EQ(docker({"service", "ps", "-q", "kept"}).out, tasks) << "the same tasks, none started twice";
  EXPECT_EQ(docker({"ps", "-q"}).out, containers);
  expect_ok({"service", "scale", "-d", "kept=3"});
  EXPECT_TRUE(eventually([&] { return replicas("kept") == "3/3\n"; })) << replicas("kept");
  expect_ok({"service", "rm", "kept"});
  EXPECT_TRUE(eventually([&] { return docker({"ps", "-aq"}).out.empty(); }, 40s)) << docker({"ps", "-a"});
}

TEST_F(SwarmDockerCli, AnUpdatedImageRollsOutOneTaskAtATime) {
  init();
  expect_ok({"tag", "busybox", "busybox:v2"});
  expect_ok({"service", "create", "-d", "--name", "rolled", "--replicas", "3", "--stop-grace-period", "1s", "busybox",
             "sleep", "600"});
  ASSERT_TRUE(eventually([&] { return replicas("rolled") == "3/3\n"; })) << replicas("rolled");
  testing::RunResult updated =
      docker({"service", "update", "--image", "busybox:v2", "--update-parallelism", "1", "rolled"}, 120000ms);
  EXPECT_EQ(updated.exit_code, 0) << updated;
  testing::RunResult running =
      docker({"service", "ps", "--filter", "desired-state=running", "--format", "{{.Name}} {{.Image}}", "rolled"});
  EXPECT_EQ(running.out, "rolled.1 busybox:v2\nrolled.2 busybox:v2\nrolled.3 busybox:v2\n") << running;
  testing::RunResult history =
      docker({"service", "ps", "--filter", "desired-state=shutdown", "--format", "{{.Name}} {{.Image}}", "rolled"});
  EXPECT_EQ(history.out, "rolled.1 busybox:latest\nrolled.2 busybox:latest\nrolled.3 busybox:latest\n") << history;
  expect_ok({"service", "rm", "rolled"});
  EXPECT_TRUE(eventually([&] { return docker({"ps", "-aq"}).out.empty(); }, 40s)) << docker({"ps", "-a"});
}

TEST_F(SwarmDockerCli, AnUpdateWhoseNewTaskFailsPausesWithTheOldTasksServingAndRollsBack) {
  init();
  expect_ok({"service", "create", "-d", "--name", "fragile", "--replicas", "3", "--stop-grace-period", "1s",
             "--update-failure-action", "pause", "--update-monitor", "2s", "--update-delay", "2s", "busybox", "sleep",
             "600"});
  ASSERT_TRUE(eventually([&] { return replicas("fragile") == "3/3\n"; })) << replicas("fragile");
  auto serving = [&] {  // replicas of the old spec that run
    std::string commands = docker({"ps", "--filter", "status=running", "--format", "{{.Command}}"}).out;
    std::size_t count = 0;
    for (const auto& line : split_lines(commands)) count += line.find("sleep 600") != std::string::npos;
    return count;
  };
  // The new command ends at once: the first new task fails (within the 2 s delay that follows its
  // start, so before a second old task stops), the update pauses, docker's CLI says so.
  testing::RunResult updated = docker({"service", "update", "--args", "false", "fragile"}, 120000ms);
  EXPECT_EQ(updated.exit_code, 1) << updated;
  EXPECT_TRUE(std::regex_search(updated.err, std::regex("service update paused: update paused due to failure or early "
                                                        "termination of task [0-9a-z]{25}")))
      << updated;
  EXPECT_EQ(docker({"service", "inspect", "--format", "{{.UpdateStatus.State}}", "fragile"}).out, "paused\n");
  EXPECT_TRUE(eventually([&] { return serving() == 2; })) << docker({"ps", "-a"});

  expect_ok({"service", "update", "-d", "--rollback", "fragile"});
  EXPECT_TRUE(eventually([&] {
    return docker({"service", "inspect", "--format", "{{.UpdateStatus.State}}", "fragile"}).out == "rollback_completed\n";
  })) << docker({"service", "inspect", "fragile"});
  EXPECT_TRUE(eventually([&] { return serving() == 3; })) << docker({"ps", "-a"});
  expect_ok({"service", "rm", "fragile"});
  EXPECT_TRUE(eventually([&] { return docker({"ps", "-aq"}).out.empty(); }, 40s)) << docker({"ps", "-a"});
}

TEST_F(SwarmDockerCli, NodeLsShowsThisNodeAsTheLeader) {
  init();
  testing::RunResult nodes = docker({"node", "ls"});
  ASSERT_EQ(nodes.exit_code, 0) << nodes;
  EXPECT_TRUE(std::regex_search(nodes.out, std::regex(R"([0-9a-z]{25} \* +\S+ +Ready +Active +Leader +20\.10\.24-dockling)")))
      << nodes;
  testing::RunResult info = docker({"info", "--format", "{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}"});
  EXPECT_EQ(info.out, "active true\n") << info;
}

TEST_F(SwarmDockerCli, NetworkLsShowsTheEnginesNetworksAndOnAManagerTheSwarmsBeside) {
  const char* const format = "{{.Name}} {{.Driver}} {{.Scope}}";
  const std::string local = "bridge bridge local\nhost host local\nnone null local\n";
  EXPECT_EQ(docker({"network", "ls", "--format", format}).out, local);
  init();
  expect_ok({"network", "create", "-d", "overlay", "--subnet", "10.0.9.0/24", "appnet"});
  // The ingress network comes with the swarm, as docker's: the routing mesh is on it.
  EXPECT_EQ(docker({"network", "ls", "--format", format}).out,
            "appnet overlay swarm\nbridge bridge local\nhost host local\ningress overlay swarm\nnone null local\n");
  EXPECT_EQ(docker({"network", "ls", "--filter", "driver=overlay", "--format", format}).out,
            "appnet overlay swarm\ningress overlay swarm\n");
  EXPECT_EQ(docker({"network", "inspect", "--format", "{{.Ingress}} {{range .IPAM.Config}}{{.Subnet}}{{end}}", "ingress"}).out,
            "true 10.0.0.0/24\n");
  EXPECT_EQ(docker({"network", "ls", "--filter", "scope=local", "--format", "{{.Name}}"}).out, "bridge\nhost\nnone\n");
  // Each one, found by name, whichever side holds it.
  EXPECT_EQ(docker({"network", "inspect", "--format", "{{.Name}} {{.Scope}}", "bridge", "appnet"}).out,
            "bridge local\nappnet swarm\n");
  testing::RunResult unknown = docker({"network", "inspect", "nosuchnet"});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.err.find("No such network: nosuchnet"), std::string::npos) << unknown;
  expect_ok({"network", "rm", "appnet"});
}

TEST_F(SwarmDockerCli, ErrorsAreDockers) {
  testing::RunResult not_yet = docker({"service", "ls"});
  EXPECT_NE(not_yet.exit_code, 0);
  EXPECT_NE(not_yet.err.find("This node is not a swarm manager. Use \"docker swarm init\""), std::string::npos) << not_yet;
  init();
  testing::RunResult again = docker({"swarm", "init", "--advertise-addr", "127.0.0.1"});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.err.find("This node is already part of a swarm."), std::string::npos) << again;
  testing::RunResult bad_constraint =
      docker({"service", "create", "-d", "--name", "x", "--constraint", "node.hostname=host1", "busybox", "true"});
  EXPECT_NE(bad_constraint.exit_code, 0);
  EXPECT_NE(bad_constraint.err.find("constraint"), std::string::npos) << bad_constraint;
  EXPECT_EQ(docker({"service", "ls", "-q"}).out, "") << "nothing created";
  expect_ok({"service", "create", "-d", "--name", "dup", "busybox", "true"});
  testing::RunResult duplicate = docker({"service", "create", "-d", "--name", "dup", "busybox", "true"});
  EXPECT_NE(duplicate.err.find("name conflicts with an existing object: service dup already exists"), std::string::npos)
      << duplicate;
  expect_ok({"service", "rm", "dup"});
  testing::RunResult leave = docker({"swarm", "leave"});
  EXPECT_NE(leave.err.find("Use `--force` to ignore this message."), std::string::npos) << leave;
  EXPECT_TRUE(eventually([&] { return docker({"ps", "-aq"}).out.empty(); }, 40s)) << docker({"ps", "-a"});
}

}  // namespace
}  // namespace dockling::ch15
