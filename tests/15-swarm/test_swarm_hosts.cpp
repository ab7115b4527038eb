// The swarm on three lab hosts (scripts/lab): the lecture notes' logger service spread over
// them, its logs gathered from all, a drained node emptied, a killed worker's replicas run
// again elsewhere, replicas on two hosts that talk over an overlay network, and joins that
// must be refused. Our own commands (ch15-swarm swarm|service|
// node), as a user types them on host1.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "lab_fixture.hpp"

namespace dockling::ch15 {
namespace {

using namespace std::chrono_literals;
using testing::Lab;
using dockling::testing::RunResult;

const char* const kLogger = "while true; do echo Hello from replica $(hostname); sleep 5; done";
/// A web server whose page names its container (its hostname).
const char* const kWeb = "mkdir -p /www && echo hello from $(hostname) > /www/index.html && exec httpd -f -p 80 -h /www";
/// A client that asks for `web` by name, again and again, and prints the page's last line.
/// Through busybox's nslookup and nc: the static busybox's wget crashes in glibc's name services.
const char* const kAskWeb = "while true; do for ip in $(nslookup web | sed -n 's/^Address: //p'); do "
                            "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 $ip 80 | tail -n 1; done; sleep 0.5; done";

class SwarmHosts : public ::testing::Test {
 protected:
  Lab lab;

  void SetUp() override {
    DOCKLING_REQUIRE_ROOT();
    RunResult up = lab.up(3);
    ASSERT_EQ(up.exit_code, 0) << up;
  }

  /// `ch15-swarm ARGS` on host `host`.
  RunResult swarm(int host, std::vector<std::string> args, std::chrono::milliseconds timeout = 60000ms) {
    args.insert(args.begin(), "ch15-swarm");
    return lab.exec(host, args, timeout);
  }
  /// Waits until `check` holds (polling every 100 ms), up to `limit`.
  static bool eventually(const std::function<bool()>& check, std::chrono::milliseconds limit = 30s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (check()) return true;
      std::this_thread::sleep_for(100ms);
    }
    return check();
  }
  std::string replicas(const std::string& service) {
    return swarm(1, {"service", "ls", "--filter", "name=" + service, "--format", "{{.Replicas}}"}).out;
  }
  /// How many of the service's tasks that should run are on each host.
  std::map<std::string, int> placement(const std::string& service) {
    std::map<std::string, int> hosts;
    RunResult tasks = swarm(1, {"service", "ps", "--filter", "desired-state=running", "--format", "{{.Node}}", service});
    std::istringstream lines(tasks.out);
    for (std::string line; std::getline(lines, line);)
      if (!line.empty()) ++hosts[line];
    return hosts;
  }
  void create_logger(int count) {
    RunResult created = swarm(1, {"service", "create", "-d", "--name", "logger", "--replicas", std::to_string(count),
                                  "busybox", "sh", "-c", kLogger});
    ASSERT_EQ(created.exit_code, 0) << created;
    std::string want = std::to_string(count) + "/" + std::to_string(count) + "\n";
    ASSERT_TRUE(eventually([&] { return replicas_ok(want); })) << replicas("logger");
  }
  bool replicas_ok(const std::string& want) { return replicas("logger") == want; }

  /// What answers HTTP on `address`:`port`, asked from host `from` ("" when nothing does).
  std::string ask_port(int from, const std::string& address, int port = 8080) {
    RunResult answer = lab.exec(from, {"sh", "-c", "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 2 " + address + " " +
                                                       std::to_string(port) + " | tail -n 1"});
    return answer.out;
  }

  /// The routing mesh scenario, typed into `cli` on host1: two web replicas on host2 publish
  /// port 8080, which answers on all three hosts (host1 and host3 run none), spread over
  /// both; a second service is refused the port; once the service is gone, so is the port.
  void expect_mesh_scenario(const std::function<RunResult(std::vector<std::string>)>& cli) {
    RunResult web = cli({"service", "create", "-d", "--name", "web", "--replicas", "2", "-p", "8080:80", "--constraint",
                         "node.hostname==host2", "busybox", "sh", "-c", kWeb});
    ASSERT_EQ(web.exit_code, 0) << web;
    EXPECT_EQ(cli({"service", "ls", "--format", "{{.Name}} {{.Ports}}"}).out, "web *:8080->80/tcp\n");
    std::set<std::string> replicas;  // the web tasks' container ids on host2: their hostnames
    ASSERT_TRUE(eventually([&] {
      std::istringstream ids(swarm(2, {"ps", "-q"}).out);
      replicas.clear();
      for (std::string id; std::getline(ids, id);) replicas.insert("hello from " + id + "\n");
      return replicas.size() == 2 && ask_port(3, lab.address(1)) != "";
    }, 40s)) << cli({"service", "ps", "web"});
    // Every host answers, the ones with no replica too; each connection goes to one replica.
    std::map<std::string, int> seen;
    for (int host : {1, 2, 3})
      for (int i = 0; i < 5; ++i) seen[ask_port(3, lab.address(host))]++;
    for (const auto& [answer, count] : seen) EXPECT_TRUE(replicas.count(answer)) << answer << " (" << count << " times)";
    EXPECT_EQ(seen.size(), 2u) << "15 connections, all to one replica";
    EXPECT_TRUE(replicas.count(ask_port(1, lab.address(1)))) << "a host asking its own address";
    EXPECT_TRUE(replicas.count(ask_port(3, "127.0.0.1"))) << "a host asking localhost";

    RunResult taken = cli({"service", "create", "-d", "--name", "other", "-p", "8080:81", "busybox", "sleep", "60"});
    EXPECT_NE(taken.exit_code, 0);
    EXPECT_NE(taken.err.find("port '8080' is already in use by service 'web'"), std::string::npos) << taken;
    // Moved to another port: the tasks stay, the hosts' rules follow.
    RunResult moved = cli({"service", "update", "-d", "--publish-rm", "80", "--publish-add", "8081:80", "web"});
    ASSERT_EQ(moved.exit_code, 0) << moved;
    EXPECT_EQ(cli({"service", "ls", "--format", "{{.Name}} {{.Ports}}"}).out, "web *:8081->80/tcp\n");
    EXPECT_TRUE(eventually([&] { return replicas.count(ask_port(3, lab.address(1), 8081)) == 1; }))
        << cli({"service", "inspect", "web"});
    EXPECT_EQ(ask_port(3, lab.address(1)), "") << "8080 is free again";

    ASSERT_EQ(cli({"service", "rm", "web"}).exit_code, 0);
    for (int host : {1, 2, 3})
      EXPECT_TRUE(eventually([&] { return lab.exec(host, {"nft", "list", "table", "ip", "dockling_mesh"}).exit_code != 0; }))
          << "host" << host << " keeps the routing mesh's table";
    EXPECT_EQ(ask_port(3, lab.address(1)), "") << "no service, no port";
    EXPECT_EQ(ask_port(3, "127.0.0.1"), "");
  }

  /// The overlay network scenario, typed into `cli` on host1 (ours or docker's: the same
  /// commands): a web server on host2, a client on host3 that asks it by name over VXLAN, the
  /// network refused removal while in use, then removed.
  void expect_overlay_scenario(const std::function<RunResult(std::vector<std::string>)>& cli) {
    RunResult made = cli({"network", "create", "-d", "overlay", "appnet"});
    ASSERT_EQ(made.exit_code, 0) << made;
    // Beside the engine's own networks, as dockerd lists them on a manager.
    EXPECT_EQ(cli({"network", "ls", "--format", "{{.Name}} {{.Driver}} {{.Scope}}"}).out,
              "appnet overlay swarm\nbridge bridge local\nhost host local\ningress overlay swarm\nnone null local\n");
    RunResult web = cli({"service", "create", "-d", "--name", "web", "--network", "appnet", "--constraint",
                         "node.hostname==host2", "busybox", "sh", "-c", kWeb});
    ASSERT_EQ(web.exit_code, 0) << web;
    RunResult client = cli({"service", "create", "-d", "--name", "client", "--network", "appnet", "--constraint",
                            "node.hostname==host3", "busybox", "sh", "-c", kAskWeb});
    ASSERT_EQ(client.exit_code, 0) << client;
    std::string web_host;  // the web task's container id on host2: its hostname
    EXPECT_TRUE(eventually([&] {
      web_host = swarm(2, {"ps", "-q"}).out;
      return !web_host.empty() && cli({"service", "logs", "client"}).out.find("hello from " + web_host) != std::string::npos;
    }, 40s)) << cli({"service", "logs", "client"}) << cli({"service", "ps", "--no-trunc", "web", "client"});
    RunResult inspected =
        cli({"network", "inspect", "--format", "{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}", "appnet"});
    EXPECT_EQ(inspected.out, "10.0.1.0/24 10.0.1.1\n") << inspected;
    // A network in use stays; once its services are gone it goes.
    RunResult in_use = cli({"network", "rm", "appnet"});
    EXPECT_NE(in_use.exit_code, 0);
    EXPECT_NE(in_use.err.find("is in use by service"), std::string::npos) << in_use;
    ASSERT_EQ(cli({"service", "rm", "web", "client"}).exit_code, 0);
    RunResult removed = cli({"network", "rm", "appnet"});
    EXPECT_EQ(removed.exit_code, 0) << removed;
    EXPECT_EQ(cli({"network", "ls", "-q", "--filter", "name=appnet"}).out, "");
    // With its tasks gone, the hosts take its bridge and VXLAN link down.
    for (int host : {2, 3})
      EXPECT_TRUE(eventually([&] { return lab.exec(host, {"ip", "link", "show", "dlov4097"}).exit_code != 0; }))
          << "host" << host << " keeps the network's bridge";
  }

  /// The real docker CLI (from the build tree) on host1, whose DOCKER_HOST the lab sets.
  std::function<RunResult(std::vector<std::string>)> docker_cli(std::chrono::milliseconds timeout = 90000ms) {
    const std::string cli = Lab::build_dir() + "/tools/docker/usr/bin/docker";
    EXPECT_TRUE(std::filesystem::exists(cli)) << cli << " is missing: run scripts/fetch-docker-cli " << Lab::build_dir();
    return [this, cli, timeout](std::vector<std::string> args) {
      args.insert(args.begin(), {"env", "DOCKER_CONFIG=" + lab.disk_dir() + "/docker-config", cli});
      return lab.exec(1, args, timeout);
    };
  }
};

TEST_F(SwarmHosts, TheLoggerServiceSpreadsOverThreeHostsLogsFromAllScalesAndGoes) {
  RunResult nodes = swarm(1, {"node", "ls", "--format", "{{.Hostname}} {{.Status}} {{.ManagerStatus}}"});
  EXPECT_EQ(nodes.out, "host1 Ready Leader\nhost2 Ready \nhost3 Ready \n") << nodes;
  create_logger(3);
  EXPECT_EQ(placement("logger"), (std::map<std::string, int>{{"host1", 1}, {"host2", 1}, {"host3", 1}}));

  // Every replica's lines reach the manager, from its own host.
  std::set<std::string> seen;
  EXPECT_TRUE(eventually([&] {
    RunResult logs = swarm(1, {"service", "logs", "logger"});
    std::regex line(R"(logger\.\d\.[0-9a-z]{12}@(host\d) +\| Hello from replica [0-9a-f]{12})");
    for (std::sregex_iterator it(logs.out.begin(), logs.out.end(), line), end; it != end; ++it) seen.insert((*it)[1]);
    return seen.size() == 3;
  })) << seen.size() << " hosts logged";

  EXPECT_EQ(swarm(1, {"service", "scale", "-d", "logger=5"}).out, "logger scaled to 5\n");
  EXPECT_TRUE(eventually([&] { return replicas_ok("5/5\n"); })) << replicas("logger");
  EXPECT_EQ(placement("logger"), (std::map<std::string, int>{{"host1", 2}, {"host2", 2}, {"host3", 1}}));
  swarm(1, {"service", "scale", "-d", "logger=2"});
  EXPECT_TRUE(eventually([&] { return replicas_ok("2/2\n"); })) << replicas("logger");

  RunResult removed = swarm(1, {"service", "rm", "logger"});
  EXPECT_EQ(removed.out, "logger\n") << removed;
  // Each host stops its containers (sh as pid 1 ignores SIGTERM: docker's 10 s grace) and removes them.
  for (int host : {1, 2, 3})
    EXPECT_TRUE(eventually([&] { return swarm(host, {"ps", "-aq"}).out.empty(); }, 40s)) << swarm(host, {"ps", "-a"});
  RunResult left = swarm(3, {"swarm", "leave"});
  EXPECT_EQ(left.out, "Node left the swarm.\n") << left;
  EXPECT_TRUE(eventually([&] {
    return swarm(1, {"node", "ls", "--format", "{{.Hostname}} {{.Status}}"}).out.find("host3 Down") != std::string::npos;
  }));
}

// The same lecture notes typed into the real docker CLI (Debian's 20.10, unpacked into the build
// tree) on host1, whose DOCKER_HOST the lab sets to its daemon.
TEST_F(SwarmHosts, TheDockerCliDrivesTheLoggerServiceOverThreeHosts) {
  auto docker = docker_cli();
  RunResult nodes = docker({"node", "ls", "--format", "{{.Hostname}} {{.Status}} {{.Availability}}"});
  EXPECT_EQ(nodes.out, "host1 Ready Active\nhost2 Ready Active\nhost3 Ready Active\n") << nodes;
  RunResult created = docker({"service", "create", "--name", "logger", "--replicas", "3", "busybox", "sh", "-c", kLogger});
  ASSERT_EQ(created.exit_code, 0) << created;
  EXPECT_NE(created.out.find("verify: Service converged"), std::string::npos) << created;
  RunResult placed = docker({"service", "ps", "--filter", "desired-state=running", "--format", "{{.Node}}", "logger"});
  std::vector<std::string> hosts;
  std::istringstream lines(placed.out);
  for (std::string line; std::getline(lines, line);) hosts.push_back(line);
  std::sort(hosts.begin(), hosts.end());
  EXPECT_EQ(hosts, (std::vector<std::string>{"host1", "host2", "host3"})) << placed;

  std::set<std::string> seen;
  EXPECT_TRUE(eventually([&] {
    RunResult logs = docker({"service", "logs", "logger"});
    std::regex line(R"(logger\.\d\.[0-9a-z]{12}@(host\d) +\| Hello from replica [0-9a-f]{12})");
    for (std::sregex_iterator it(logs.out.begin(), logs.out.end(), line), end; it != end; ++it) seen.insert((*it)[1]);
    return seen.size() == 3;
  })) << seen.size() << " hosts logged";

  EXPECT_EQ(docker({"service", "scale", "-d", "logger=5"}).exit_code, 0);
  EXPECT_TRUE(eventually([&] { return replicas_ok("5/5\n"); })) << replicas("logger");
  EXPECT_EQ(docker({"service", "scale", "-d", "logger=2"}).exit_code, 0);
  EXPECT_TRUE(eventually([&] { return replicas_ok("2/2\n"); })) << replicas("logger");
  RunResult removed = docker({"service", "rm", "logger"});
  EXPECT_EQ(removed.out, "logger\n") << removed;
  for (int host : {1, 2, 3})
    EXPECT_TRUE(eventually([&] { return swarm(host, {"ps", "-aq"}).out.empty(); }, 40s)) << swarm(host, {"ps", "-a"});
}

TEST_F(SwarmHosts, AKilledWorkersReplicasRunAgainOnTheOthers) {
  create_logger(3);
  ASSERT_EQ(placement("logger")["host2"], 1);
  ASSERT_EQ(lab.kill(2).exit_code, 0);
  EXPECT_TRUE(eventually([&] {
    return swarm(1, {"node", "ls", "--format", "{{.Hostname}} {{.Status}}"}).out.find("host2 Down") != std::string::npos;
  }));
  EXPECT_TRUE(eventually([&] {
    std::map<std::string, int> now = placement("logger");
    return now.count("host2") == 0 && replicas_ok("3/3\n");
  })) << swarm(1, {"service", "ps", "logger"});
  // The dead host's task is history, told to shut down: never run twice.
  RunResult history = swarm(1, {"service", "ps", "--format", "{{.Node}} {{.DesiredState}}", "logger"});
  EXPECT_NE(history.out.find("host2 Shutdown"), std::string::npos) << history;
  swarm(1, {"service", "rm", "logger"});
}

TEST_F(SwarmHosts, ANodeThatWasOnlySlowComesBackAndStopsItsReplacedTask) {
  create_logger(3);
  // host2's daemon stops answering (SIGSTOP: a machine that froze), long enough to be called down.
  std::smatch match;
  std::string status = lab.status().out;
  ASSERT_TRUE(std::regex_search(status, match, std::regex(R"(host2 \S+ (\d+))"))) << status;
  pid_t daemon = std::stoi(match[1]);
  ASSERT_EQ(::kill(daemon, SIGSTOP), 0);
  bool replaced = eventually([&] { return placement("logger").count("host2") == 0 && replicas_ok("3/3\n"); });
  ASSERT_EQ(::kill(daemon, SIGCONT), 0);
  ASSERT_TRUE(replaced) << swarm(1, {"service", "ps", "logger"});
  // Back, it is told its task was replaced: it stops it, and the slot does not run twice.
  EXPECT_TRUE(eventually([&] {
    return swarm(1, {"node", "ls", "--format", "{{.Hostname}} {{.Status}}"}).out.find("host2 Ready") != std::string::npos;
  }));
  EXPECT_TRUE(eventually([&] { return swarm(2, {"ps", "-q"}).out.empty(); }, 40s)) << swarm(2, {"ps", "-a"});
  RunResult history = swarm(1, {"service", "ps", "--format", "{{.Node}} {{.DesiredState}} {{.CurrentState}}", "logger"});
  EXPECT_TRUE(std::regex_search(history.out, std::regex("host2 Shutdown Shutdown"))) << history;
  EXPECT_EQ(placement("logger").count("host2"), 0u);
  swarm(1, {"service", "rm", "logger"});
}

TEST_F(SwarmHosts, ADrainedNodesTasksMoveAndAPausedOneGetsNoNewOnes) {
  create_logger(3);
  RunResult drained = swarm(1, {"node", "update", "--availability", "drain", "host3"});
  ASSERT_EQ(drained.exit_code, 0) << drained;
  EXPECT_TRUE(eventually([&] { return placement("logger").count("host3") == 0 && replicas_ok("3/3\n"); }))
      << swarm(1, {"service", "ps", "logger"});
  EXPECT_TRUE(eventually([&] { return swarm(3, {"ps", "-q"}).out.empty(); }, 40s)) << "host3 still runs a task";
  swarm(1, {"node", "update", "--availability", "active", "host3"});
  swarm(1, {"node", "update", "--availability", "pause", "host2"});
  swarm(1, {"service", "scale", "-d", "logger=5"});
  EXPECT_TRUE(eventually([&] { return replicas_ok("5/5\n"); })) << replicas("logger");
  std::map<std::string, int> placed = placement("logger");
  EXPECT_GE(placed["host2"], 1) << "a paused node keeps its tasks";
  EXPECT_EQ(placed["host1"] + placed["host3"], 5 - placed["host2"]);
  EXPECT_EQ(placed["host3"], 2) << "the new tasks went to the active nodes with the fewest";
  swarm(1, {"service", "rm", "logger"});
}

TEST_F(SwarmHosts, AGlobalServiceRunsOnceOnEveryActiveNodeWithItsMemoryLimit) {
  RunResult created = swarm(1, {"service", "create", "-d", "--name", "everywhere", "--mode", "global",
                                "--limit-memory", "64m", "busybox", "sleep", "600"});
  ASSERT_EQ(created.exit_code, 0) << created;
  EXPECT_TRUE(eventually([&] {
    return placement("everywhere") == std::map<std::string, int>{{"host1", 1}, {"host2", 1}, {"host3", 1}} &&
           swarm(1, {"service", "ls", "--filter", "name=everywhere", "--format", "{{.Mode}} {{.Replicas}}"}).out ==
               "global 3/3\n";
  })) << swarm(1, {"service", "ps", "everywhere"});
  // The limit reaches the container the agent made on host2 (64 MiB).
  std::string container = swarm(2, {"ps", "-q"}).out;
  ASSERT_FALSE(container.empty());
  container.pop_back();
  EXPECT_EQ(swarm(2, {"inspect", "--format", "{{.HostConfig.Memory}}", container}).out, "67108864\n");
  // A drained node loses its task and gets no other.
  ASSERT_EQ(swarm(1, {"node", "update", "--availability", "drain", "host3"}).exit_code, 0);
  EXPECT_TRUE(eventually([&] {
    return placement("everywhere") == std::map<std::string, int>{{"host1", 1}, {"host2", 1}};
  })) << swarm(1, {"service", "ps", "everywhere"});
  EXPECT_TRUE(eventually([&] { return swarm(3, {"ps", "-q"}).out.empty(); }, 40s)) << "host3 still runs a task";
  swarm(1, {"service", "rm", "everywhere"});
}

TEST_F(SwarmHosts, AHostWithoutTheImagePullsItFromTheLabRegistryItsMirror) {
  RunResult removed = swarm(2, {"rmi", "busybox", "alpine"});
  ASSERT_EQ(removed.exit_code, 0) << removed;
  ASSERT_EQ(swarm(2, {"images", "-q"}).out, "");
  RunResult created = swarm(1, {"service", "create", "-d", "--name", "pulled", "--constraint", "node.hostname==host2",
                                "busybox", "sleep", "600"});
  ASSERT_EQ(created.exit_code, 0) << created;
  EXPECT_TRUE(eventually([&] {
    return swarm(1, {"service", "ls", "--filter", "name=pulled", "--format", "{{.Replicas}}"}).out == "1/1\n";
  })) << swarm(1, {"service", "ps", "--no-trunc", "pulled"});
  EXPECT_EQ(swarm(2, {"images", "--format", "{{.Repository}}:{{.Tag}}"}).out, "busybox:latest\n");
  swarm(1, {"service", "rm", "pulled"});
}

TEST_F(SwarmHosts, AReplicaReachesAnotherHostsReplicaByServiceNameOverAnOverlayNetwork) {
  expect_overlay_scenario([&](std::vector<std::string> args) { return swarm(1, std::move(args)); });
}

TEST_F(SwarmHosts, TheDockerCliMakesAnOverlayNetworkWhoseTasksFindEachOther) {
  expect_overlay_scenario(docker_cli());
}

TEST_F(SwarmHosts, APublishedPortAnswersOnEveryHostAlsoOnesThatRunNoReplica) {
  expect_mesh_scenario([&](std::vector<std::string> args) { return swarm(1, std::move(args)); });
}

TEST_F(SwarmHosts, TheDockerCliPublishesAPortThroughTheRoutingMesh) {
  expect_mesh_scenario(docker_cli());
}

TEST_F(SwarmHosts, WhenTheWebServersHostDiesItsNameAnswersTheReplacementOnAnotherHost) {
  ASSERT_EQ(swarm(1, {"network", "create", "-d", "overlay", "appnet"}).exit_code, 0);
  ASSERT_EQ(swarm(1, {"service", "create", "-d", "--name", "web", "--network", "appnet", "--constraint",
                      "node.role==worker", "busybox", "sh", "-c", kWeb}).exit_code, 0);
  ASSERT_EQ(swarm(1, {"service", "create", "-d", "--name", "client", "--network", "appnet", "--constraint",
                      "node.role==manager", "busybox", "sh", "-c", kAskWeb}).exit_code, 0);
  auto answered_by = [&](int host) {  // the client's log has the page of the web task on `host`
    std::string id = swarm(host, {"ps", "-q"}).out;
    return !id.empty() && swarm(1, {"service", "logs", "client"}).out.find("hello from " + id) != std::string::npos;
  };
  int first = 0;
  ASSERT_TRUE(eventually([&] {
    first = answered_by(2) ? 2 : answered_by(3) ? 3 : 0;
    return first != 0;
  }, 40s)) << swarm(1, {"service", "logs", "client"}) << swarm(1, {"service", "ps", "web", "client"});
  int other = first == 2 ? 3 : 2;
  ASSERT_EQ(lab.kill(first).exit_code, 0);
  EXPECT_TRUE(eventually([&] { return answered_by(other); }, 40s))
      << swarm(1, {"service", "ps", "web"}) << swarm(1, {"service", "logs", "--tail", "5", "client"});
  swarm(1, {"service", "rm", "web", "client"});
}

TEST_F(SwarmHosts, WrongForgedAndRotatedTokensAndATakenNameAreRefused) {
  ASSERT_EQ(swarm(3, {"swarm", "leave"}).exit_code, 0);
  std::string token = swarm(1, {"swarm", "join-token", "-q", "worker"}).out;
  ASSERT_FALSE(token.empty());
  token.pop_back();
  std::string manager = lab.address(1) + ":2377";
  // The swarm's part right, the secret made up: refused, and nothing joined.
  std::string forged = token.substr(0, token.size() - 25) + std::string(25, 'a');
  RunResult refused = swarm(3, {"swarm", "join", "--token", forged, manager});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("A valid join token is necessary to join this cluster"), std::string::npos) << refused;
  RunResult malformed = swarm(3, {"swarm", "join", "--token", "SWMTKN-1-nonsense", manager});
  EXPECT_NE(malformed.err.find("invalid join token"), std::string::npos) << malformed;
  // A rotated token: the old one stops working, the new one works.
  ASSERT_EQ(swarm(1, {"swarm", "join-token", "--rotate", "-q", "worker"}).exit_code, 0);
  RunResult old = swarm(3, {"swarm", "join", "--token", token, manager});
  EXPECT_NE(old.err.find("A valid join token is necessary"), std::string::npos) << old;
  std::string fresh = swarm(1, {"swarm", "join-token", "-q", "worker"}).out;
  fresh.pop_back();
  EXPECT_NE(fresh, token);
  RunResult joined = swarm(3, {"swarm", "join", "--token", fresh, manager});
  EXPECT_EQ(joined.exit_code, 0) << joined;
  EXPECT_EQ(joined.out, "This node joined a swarm as a worker.\n");
  RunResult twice = swarm(3, {"swarm", "join", "--token", fresh, manager});
  EXPECT_NE(twice.err.find("This node is already part of a swarm."), std::string::npos) << twice;

  // The swarm port, spoken to directly: a join under the name of a node that is up is refused,
  // an agent's call without a node's secret gets nothing, and docker's API is not served there.
  std::string url = "http://" + manager;
  RunResult impostor = lab.exec(3, {"curl", "-s", "-X", "POST", "-d",
                                    nlohmann::json{{"Token", fresh}, {"Hostname", "host1"}, {"Addr", lab.address(3)},
                                                   {"ListenAddr", lab.address(3) + ":2377"}}
                                        .dump(),
                                    url + "/swarm/rpc/join"});
  EXPECT_NE(impostor.out.find("a node named host1 is already part of this swarm"), std::string::npos) << impostor;
  RunResult session = lab.exec(3, {"curl", "-s", "-X", "POST", "-H", "Authorization: Bearer made.up", "-d", "{}",
                                   url + "/swarm/rpc/session"});
  EXPECT_NE(session.out.find("not a member of the swarm"), std::string::npos) << session;
  RunResult api = lab.exec(3, {"curl", "-s", url + "/v1.41/services"});
  EXPECT_NE(api.out.find("page not found"), std::string::npos) << api;
  // host1, host2, and host3 twice: the one that left stays, Down, as in docker.
  EXPECT_EQ(swarm(1, {"node", "ls", "-q"}).out.size(), 4u * 26) << swarm(1, {"node", "ls"});
}

}  // namespace
}  // namespace dockling::ch15
