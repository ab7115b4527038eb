/// @file lab_fixture.hpp
/// @brief Chapter 15's tests on several hosts: a lab of scripts/lab of this test process's own
/// (its own name, bridge and subnet, so that tests run beside each other and beside a lab a
/// user made), started from this build tree and removed by the destructor, whatever happened.
///
///     Lab lab;
///     ASSERT_EQ(lab.up(3).exit_code, 0);               // host1 inits the swarm, 2 and 3 join
///     RunResult ps = lab.exec(1, {"ch15-swarm", "node", "ls"});
///     lab.kill(2);                                     // host2 dies as a machine dies
///
/// The name is "t" and the pid modulo 100000 (a letter added when a lab of that name is up
/// already: two test processes whose pids are equal modulo 100000 at the same time); the
/// subnet is a /24 of 10.213.0.0/16 claimed as claim_subnet() does for the other chapters'
/// bridges, so it is never one that another test or a link of the machine uses.
#pragma once

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "dockling/fs.hpp"
#include "dockling/testing.hpp"

namespace dockling::ch15::testing {

using namespace dockling::testing;
namespace fs = std::filesystem;

class Lab {
 public:
  Lab() : name_(pick_name()) {}
  ~Lab() {
    if (owned_) down();
  }
  Lab(const Lab&) = delete;
  Lab& operator=(const Lab&) = delete;

  /// `scripts/lab up HOSTS` from this build tree; without `swarm`, the daemons only (--no-swarm).
  RunResult up(int hosts, bool swarm = true) {
    std::vector<std::string> args = {"up", std::to_string(hosts), "--build", build_dir()};
    if (!swarm) args.push_back("--no-swarm");
    RunResult result = lab(args, milliseconds(120000));
    // A refusal because a lab of this name is up is another process's lab: never ours to remove.
    owned_ = owned_ || result.err.find("is up already") == std::string::npos;
    return result;
  }
  /// `scripts/lab exec HOST ARGS...`: the command's exit code, stdout and stderr (125 and the
  /// lab's message when it could not run it: a dead host, a lab that is not up).
  RunResult exec(int host, const std::vector<std::string>& args, milliseconds timeout = milliseconds(60000),
                 const std::string& input = {}) {
    std::vector<std::string> argv = {"exec", std::to_string(host)};
    argv.insert(argv.end(), args.begin(), args.end());
    return lab(argv, timeout, input);
  }
  /// `scripts/lab kill HOST`: the host dies abruptly, as a machine does.
  RunResult kill(int host) { return lab({"kill", std::to_string(host)}); }
  /// `scripts/lab down`: everything of the lab goes (the destructor calls it too).
  RunResult down() { return lab({"down"}, milliseconds(60000)); }
  /// `scripts/lab status`: "hostN ADDRESS PID-or-dead" lines.
  RunResult status() { return lab({"status"}); }

  /// The lab's name (DOCKLING_LAB).
  const std::string& name() const { return name_; }
  /// Its subnet, 10.213.X.0/24 (DOCKLING_LAB_SUBNET).
  std::string subnet() const { return subnet_.cidr(); }
  /// Host N's address, 10.213.X.(N+10).
  std::string address(int host) const { return subnet_.address(host + 10); }
  /// The registry every host reaches: 10.213.X.1:5000 (busybox is there as library/busybox).
  std::string registry() const { return subnet_.address(1) + ":5000"; }
  /// The cgroup that holds host N's containers' cgroups (its DOCKLING_CGROUP_PARENT).
  std::string cgroup_parent(int host) const { return "dockling-lab-" + name_ + "-host" + std::to_string(host); }
  /// The cgroup of host N's own processes: its holder, daemon, monitors, what exec runs.
  std::string own_cgroup(int host) const { return cgroup_parent(host) + "-daemon"; }
  /// Where the lab keeps pids and addresses, and where each host's state root lies on disk.
  std::string state_dir() const { return "/run/dockling-lab/" + name_; }
  std::string disk_dir() const { return "/var/tmp/dockling-lab-" + name_; }
  /// Host N's state root as this (the machine's) mount namespace sees it.
  std::string host_root(int host) const { return disk_dir() + "/host" + std::to_string(host) + "/root"; }
  /// The lab's bridge, and the machine's end of host N's link.
  std::string bridge() const { return "dlab-" + name_; }
  std::string veth(int host) const { return "dl-" + name_ + "-" + std::to_string(host); }

  /// The build tree the binaries come from (BUILD/bin/ch15-swarm).
  static std::string build_dir() { return fs::path(bin("ch15-swarm")).parent_path().parent_path().string(); }
  /// scripts/lab of the source tree this build was configured from (its CMakeCache.txt says
  /// where), or next to this header when the cache does not.
  static std::string script() {
    std::string source;
    try {
      std::string cache = read_file(build_dir() + "/CMakeCache.txt");
      const std::string key = "CMAKE_HOME_DIRECTORY:INTERNAL=";
      size_t at = cache.find(key);
      if (at != std::string::npos) source = cache.substr(at + key.size(), cache.find('\n', at) - at - key.size());
    } catch (const std::exception&) {
    }
    if (source.empty()) source = fs::path(__FILE__).parent_path().parent_path().parent_path().string();
    return source + "/scripts/lab";
  }

 private:
  /// "t" and the pid modulo 100000; a letter more while a lab of that name is up.
  static std::string pick_name() {
    std::string base = "t" + std::to_string(::getpid() % 100000);
    if (!fs::exists("/run/dockling-lab/" + base)) return base;
    for (char letter = 'a'; letter <= 'z'; ++letter)
      if (!fs::exists("/run/dockling-lab/" + base + letter)) return base + letter;
    return base;  // up will say that it is up already
  }

  /// scripts/lab ARGS with this lab's name and subnet. DOCKLING_LAB_DAEMON, when the
  /// environment has it, still picks the daemons' binary.
  RunResult lab(const std::vector<std::string>& args, milliseconds timeout = milliseconds(60000),
                const std::string& input = {}) {
    std::vector<std::string> argv = {"/usr/bin/env", "DOCKLING_LAB=" + name_, "DOCKLING_LAB_SUBNET=" + subnet_.cidr(),
                                     "DOCKLING_BUILD=" + build_dir(), script()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, timeout, input);
  }

  std::string name_;
  SubnetClaim subnet_ = claim_subnet();
  bool owned_ = false;  ///< an up of ours ran: down removes what it made
};

}  // namespace dockling::ch15::testing
