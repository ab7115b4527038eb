// Chapter 15: the lab the swarm's tests run on (scripts/lab), checked on its own, without the
// swarm (--no-swarm): hosts with their own names, addresses, state roots and /run, a bridge
// between them, a registry holding busybox, each host's daemon and containers under the
// host's own cgroups, a host that dies as a machine dies, and nothing left after down.
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dockling/fs.hpp"
#include "dockling/testing.hpp"
#include "lab_fixture.hpp"

namespace {

namespace fs = std::filesystem;
using namespace dockling::testing;
using dockling::ch15::testing::Lab;

/// The docker CLI that scripts/fetch-docker-cli unpacks into the build tree (on PATH in exec).
std::string docker_cli() { return Lab::build_dir() + "/tools/docker/usr/bin/docker"; }

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

/// The pids in the cgroup directories named `name`, in the v2 tree and every v1 hierarchy
/// (and below them).
std::set<pid_t> processes_in_cgroups(const std::string& name) {
  std::set<pid_t> found;
  std::error_code ec;
  std::vector<fs::path> tops = {fs::path("/sys/fs/cgroup") / name};
  for (const auto& hierarchy : fs::directory_iterator("/sys/fs/cgroup", ec)) tops.push_back(hierarchy.path() / name);
  for (const auto& top : tops) {
    if (!fs::is_directory(top, ec)) continue;
    std::vector<fs::path> dirs = {top};
    for (const auto& entry : fs::recursive_directory_iterator(top, ec))
      if (entry.is_directory(ec)) dirs.push_back(entry.path());
    for (const auto& dir : dirs) {
      std::string file = (dir / "cgroup.procs").string();
      std::istringstream procs(dockling::path_exists(file) ? dockling::read_file(file) : "");
      for (pid_t pid; procs >> pid;) found.insert(pid);
    }
  }
  return found;
}

/// The cgroup directories named `name` (exactly, or starting with it when `prefix`) at the top
/// of the v2 tree or of any v1 hierarchy.
std::vector<std::string> cgroups_named(const std::string& name, bool prefix = false) {
  std::vector<std::string> found;
  std::error_code ec;
  std::vector<fs::path> roots = {"/sys/fs/cgroup"};
  for (const auto& hierarchy : fs::directory_iterator("/sys/fs/cgroup", ec)) roots.push_back(hierarchy.path());
  for (const auto& root : roots) {
    for (const auto& entry : fs::directory_iterator(root, ec)) {
      std::string base = entry.path().filename();
      if (entry.is_directory(ec) && (base == name || (prefix && base.rfind(name, 0) == 0)))
        found.push_back(entry.path());
    }
  }
  return found;
}

/// True while process `pid` lives (a zombie does not).
bool alive(pid_t pid) {
  std::string stat;
  try {
    stat = dockling::read_file("/proc/" + std::to_string(pid) + "/stat");
  } catch (const std::exception&) {
    return false;
  }
  size_t state = stat.rfind(')') + 2;
  return state < stat.size() && stat[state] != 'Z' && stat[state] != 'X';
}

/// The daemon pid `status` gives for hostN, 0 for "dead" or no such line.
pid_t daemon_pid(Lab& lab, int host) {
  std::istringstream lines(lab.status().out);
  std::string name, address, pid;
  while (lines >> name >> address >> pid)
    if (name == "host" + std::to_string(host)) return pid == "dead" ? 0 : std::stoi(pid);
  return 0;
}

/// The names of this machine's links.
std::string links() { return run({"/usr/sbin/ip", "-o", "link", "show"}).out; }

class LabTest : public ::testing::Test {
 protected:
  void SetUp() override { DOCKLING_REQUIRE_ROOT(); }
  Lab lab;
};

TEST_F(LabTest, EachHostHasItsOwnNameAddressStateRootAndRun) {
  RunResult up = lab.up(2, false);
  ASSERT_EQ(up.exit_code, 0) << up;
  for (int host : {1, 2}) {
    std::string n = std::to_string(host);
    RunResult name = lab.exec(host, {"hostname"});
    EXPECT_EQ(name.exit_code, 0) << name;
    EXPECT_EQ(name.out, "host" + n + "\n");
    RunResult addresses = lab.exec(host, {"ip", "-4", "-o", "addr", "show", "dev", "eth0"});
    EXPECT_NE(addresses.out.find(" " + lab.address(host) + "/24 "), std::string::npos) << addresses;
    RunResult route = lab.exec(host, {"ip", "route", "show", "default"});
    EXPECT_EQ(route.out.rfind("default via " + lab.subnet().substr(0, lab.subnet().size() - 4) + "1 dev eth0", 0), 0u)
        << route;
    // The test process's own DOCKLING_ROOT is a temporary directory: exec puts the host's.
    RunResult env = lab.exec(host, {"sh", "-c", "echo $DOCKLING_ROOT $DOCKLING_CGROUP_PARENT"});
    EXPECT_EQ(env.out, "/var/lib/dockling " + lab.cgroup_parent(host) + "\n") << env;
    // A file written in the host's state root lands in its root on disk, and its own /run.
    RunResult wrote =
        lab.exec(host, {"sh", "-c", "echo " + n + " >/var/lib/dockling/which && echo " + n + " >/run/which"});
    ASSERT_EQ(wrote.exit_code, 0) << wrote;
  }
  for (int host : {1, 2}) {
    std::string n = std::to_string(host);
    EXPECT_EQ(dockling::read_file(lab.host_root(host) + "/which"), n + "\n");
    RunResult run_dir = lab.exec(host, {"cat", "/run/which"});
    EXPECT_EQ(run_dir.out, n + "\n") << "each host has its own /run";
  }
  EXPECT_FALSE(fs::exists("/run/which")) << "the machine's /run is not a host's";
  EXPECT_NE(trimmed(dockling::read_file("/proc/sys/kernel/hostname")), "host1") << "the machine keeps its name";
}

TEST_F(LabTest, ExecPassesStdinStdoutAndTheExitCode) {
  RunResult up = lab.up(1, false);
  ASSERT_EQ(up.exit_code, 0) << up;
  RunResult echoed = lab.exec(1, {"sh", "-c", "cat; exit 7"}, milliseconds(30000), "through the lab\n");
  EXPECT_EQ(echoed.exit_code, 7) << echoed;
  EXPECT_EQ(echoed.out, "through the lab\n");
  RunResult no_host = lab.exec(5, {"true"});
  EXPECT_EQ(no_host.exit_code, 125) << no_host;
  EXPECT_NE(no_host.err.find("host5"), std::string::npos) << no_host;
}

TEST_F(LabTest, Host1ReachesHost2OverTheLabBridge) {
  RunResult up = lab.up(2, false);
  ASSERT_EQ(up.exit_code, 0) << up;
  std::string busybox = rootfs() + "/bin/busybox";
  RunResult ping = lab.exec(1, {busybox, "ping", "-c", "1", "-W", "5", lab.address(2)});
  EXPECT_EQ(ping.exit_code, 0) << ping;
  RunResult by_name = lab.exec(2, {busybox, "ping", "-c", "1", "-W", "5", "host1"});
  EXPECT_EQ(by_name.exit_code, 0) << "each host's /etc/hosts names the others\n" << by_name;
}

TEST_F(LabTest, TheRegistryServesBusyboxToEveryHost) {
  RunResult up = lab.up(2, false);
  ASSERT_EQ(up.exit_code, 0) << up;
  std::string image = lab.registry() + "/library/busybox:latest";
  RunResult pulled = lab.exec(2, {"ch15-swarm", "pull", "-q", "--insecure-registry", lab.registry(), image});
  EXPECT_EQ(pulled.exit_code, 0) << pulled;
  RunResult images = lab.exec(2, {"ch15-swarm", "images", "--format", "{{.Repository}}:{{.Tag}}"});
  EXPECT_NE(images.out.find("busybox:latest\n"), std::string::npos) << images;
  EXPECT_NE(images.out.find("alpine:latest\n"), std::string::npos) << images;
  EXPECT_NE(images.out.find(lab.registry() + "/library/busybox:latest\n"), std::string::npos) << images;
}

TEST_F(LabTest, AContainerRunsOnAHostUnderTheHostsCgroupParent) {
  RunResult up = lab.up(2, false);
  ASSERT_EQ(up.exit_code, 0) << up;
  Background container({"/usr/bin/env", "DOCKLING_LAB=" + lab.name(), "DOCKLING_LAB_SUBNET=" + lab.subnet(),
                        Lab::script(), "exec", "2", "ch15-swarm", "run", "--rm", "busybox", "sh", "-c",
                        "echo ready; exec sleep 2"});
  ASSERT_EQ(container.read_line(milliseconds(30000)), "ready");
  // Its cgroup is PARENT/<64 hex digits>, in host2's parent: not in host1's, not in dockling/.
  std::vector<std::string> ids;
  for (const auto& parent : cgroups_named(lab.cgroup_parent(2))) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(parent, ec))
      if (std::regex_match(entry.path().filename().string(), std::regex("[0-9a-f]{64}")))
        ids.push_back(entry.path());
  }
  EXPECT_FALSE(ids.empty()) << "no container's cgroup under " << lab.cgroup_parent(2);
  EXPECT_FALSE(processes_in_cgroups(lab.cgroup_parent(2)).empty());
  EXPECT_TRUE(processes_in_cgroups(lab.cgroup_parent(1)).empty());
  RunResult finished = container.wait(milliseconds(30000));
  EXPECT_EQ(finished.exit_code, 0) << finished;
  RunResult code = lab.exec(2, {"ch15-swarm", "run", "--rm", "busybox", "sh", "-c", "hostname; exit 3"});
  EXPECT_EQ(code.exit_code, 3) << "the container's exit code comes back through exec\n" << code;
}

TEST_F(LabTest, TheHostsDaemonRunsContainersForTheDockerCli) {
  ASSERT_TRUE(fs::exists(docker_cli())) << docker_cli() << " is missing: scripts/fetch-docker-cli " << Lab::build_dir();
  RunResult up = lab.up(2, false);
  ASSERT_EQ(up.exit_code, 0) << up;
  RunResult ran = lab.exec(1, {"docker", "run", "--rm", "busybox", "echo", "hello from host1"});
  EXPECT_EQ(ran.exit_code, 0) << ran;
  EXPECT_EQ(ran.out, "hello from host1\n");
  RunResult ps = lab.exec(2, {"docker", "ps", "-aq"});
  EXPECT_EQ(ps.exit_code, 0) << ps;
  EXPECT_EQ(ps.out, "") << "host2's daemon is another daemon";
}

TEST_F(LabTest, KillTakesTheHostsDaemonMonitorsAndContainersAndLeavesTheOthers) {
  ASSERT_TRUE(fs::exists(docker_cli())) << docker_cli() << " is missing: scripts/fetch-docker-cli " << Lab::build_dir();
  RunResult up = lab.up(2, false);
  ASSERT_EQ(up.exit_code, 0) << up;
  pid_t daemon1 = daemon_pid(lab, 1), daemon2 = daemon_pid(lab, 2);
  ASSERT_NE(daemon1, 0);
  ASSERT_NE(daemon2, 0);
  for (int host : {1, 2}) {
    RunResult started = lab.exec(host, {"docker", "run", "-d", "busybox", "sleep", "1000"});
    ASSERT_EQ(started.exit_code, 0) << started;
  }
  RunResult pid_text = lab.exec(2, {"sh", "-c", "docker inspect -f '{{.State.Pid}}' $(docker ps -q)"});
  ASSERT_EQ(pid_text.exit_code, 0) << pid_text;
  pid_t container2 = std::stoi(pid_text.out);
  EXPECT_EQ(processes_in_cgroups(lab.cgroup_parent(2)).count(container2), 1u)
      << "the daemon's container is under host2's cgroup parent";
  std::set<pid_t> host2_processes = processes_in_cgroups(lab.own_cgroup(2));
  EXPECT_GE(host2_processes.size(), 3u) << "holder, daemon and the container's monitor at least";

  RunResult killed = lab.kill(2);
  ASSERT_EQ(killed.exit_code, 0) << killed;
  EXPECT_FALSE(alive(daemon2));
  EXPECT_FALSE(alive(container2));
  for (pid_t pid : host2_processes) EXPECT_FALSE(alive(pid)) << "pid " << pid << " of host2 lives on";
  EXPECT_TRUE(processes_in_cgroups(lab.cgroup_parent(2)).empty());
  EXPECT_EQ(links().find(lab.veth(2) + "@"), std::string::npos) << "host2's link is gone";
  RunResult dead = lab.exec(2, {"true"});
  EXPECT_EQ(dead.exit_code, 125);
  EXPECT_NE(dead.err.find("dead"), std::string::npos) << dead;
  EXPECT_EQ(daemon_pid(lab, 2), 0) << lab.status();

  // host1 goes on: its daemon and its container.
  EXPECT_EQ(daemon_pid(lab, 1), daemon1);
  RunResult ps = lab.exec(1, {"docker", "ps", "-q"});
  EXPECT_EQ(ps.exit_code, 0) << ps;
  EXPECT_EQ(trimmed(ps.out).size(), 12u) << ps;
  RunResult removed = lab.exec(1, {"sh", "-c", "docker rm -f $(docker ps -aq)"});
  EXPECT_EQ(removed.exit_code, 0) << removed;
}

TEST_F(LabTest, DownLeavesNoLinkHolderMountCgroupOrDirectory) {
  ASSERT_TRUE(fs::exists(docker_cli())) << docker_cli() << " is missing: scripts/fetch-docker-cli " << Lab::build_dir();
  RunResult up = lab.up(2, false);
  ASSERT_EQ(up.exit_code, 0) << up;
  // A container left running: its overlay mount lives in host1's mount namespace.
  RunResult started = lab.exec(1, {"docker", "run", "-d", "busybox", "sleep", "1000"});
  ASSERT_EQ(started.exit_code, 0) << started;
  std::set<pid_t> processes = processes_in_cgroups(lab.own_cgroup(1));
  for (int host : {1, 2})
    for (pid_t pid : processes_in_cgroups(lab.own_cgroup(host))) processes.insert(pid);
  for (pid_t pid : processes_in_cgroups(lab.cgroup_parent(1))) processes.insert(pid);
  ASSERT_FALSE(processes.empty());

  RunResult down = lab.down();
  ASSERT_EQ(down.exit_code, 0) << down;
  for (pid_t pid : processes) EXPECT_FALSE(alive(pid)) << "pid " << pid << " lives on";
  std::string all_links = links();
  EXPECT_EQ(all_links.find(lab.bridge() + ":"), std::string::npos) << all_links;
  EXPECT_EQ(all_links.find(" dl-" + lab.name() + "-"), std::string::npos) << all_links;
  EXPECT_EQ(dockling::read_file("/proc/self/mounts").find("dockling-lab-" + lab.name()), std::string::npos);
  EXPECT_EQ(cgroups_named("dockling-lab-" + lab.name() + "-", true), std::vector<std::string>{});
  EXPECT_FALSE(fs::exists(lab.state_dir()));
  EXPECT_FALSE(fs::exists(lab.disk_dir()));
  RunResult again = lab.down();
  EXPECT_EQ(again.exit_code, 0) << "down on a lab that is not up succeeds\n" << again;
}

TEST_F(LabTest, UpRefusesALabThatIsUpAndLeavesItAsItWas) {
  RunResult up = lab.up(1, false);
  ASSERT_EQ(up.exit_code, 0) << up;
  RunResult second = lab.up(1, false);
  EXPECT_NE(second.exit_code, 0);
  EXPECT_NE(second.err.find("is up already"), std::string::npos) << second;
  RunResult name = lab.exec(1, {"hostname"});
  EXPECT_EQ(name.out, "host1\n") << name;
}

}  // namespace
