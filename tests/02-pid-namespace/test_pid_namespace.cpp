// Chapter 02: the command as PID 1 of a new PID namespace, what PID 1 must do, and --init.
//
// In this chapter the container has no /proc of its own (the rootfs's /proc is an empty
// directory: chapter 03 mounts one), so what the probe cannot see from inside, the tests
// read from the host's /proc: every process of the container is a host process too.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "dockling/fd.hpp"
#include "dockling/testing.hpp"

namespace {

using namespace dockling::testing;
using namespace std::chrono_literals;

std::vector<std::string> ch02(std::vector<std::string> args) {
  std::vector<std::string> argv = {bin("ch02-pid-namespace"), "run"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}
std::vector<std::string> plain(std::vector<std::string> command) {
  command.insert(command.begin(), rootfs());
  return ch02(command);
}
std::vector<std::string> with_init(std::vector<std::string> command) {
  command.insert(command.begin(), {"--init", rootfs()});
  return ch02(command);
}

int random_between(int low, int high) {
  static std::mt19937 engine{std::random_device{}()};
  return std::uniform_int_distribution<int>(low, high)(engine);
}

/// A process as the host sees it in /proc/PID/stat.
struct HostProcess {
  pid_t pid;
  char state;  ///< R, S, ... Z for a zombie
};

/// A file under /proc, or "" when it cannot be read: a process may end while we read its
/// files (then read(2) fails with ESRCH, which std::ifstream would throw as an exception).
std::string read_proc_file(const std::string& path) {
  dockling::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  std::string text;
  char buffer[4096];
  ssize_t n;
  while (fd && (n = ::read(fd.get(), buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<size_t>(n));
  return text;
}

/// The children of `parent` on the host, found by reading every /proc/PID/stat.
std::vector<HostProcess> children_of(pid_t parent) {
  std::vector<HostProcess> children;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return children;
  while (dirent* entry = ::readdir(proc)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    std::string stat = read_proc_file(std::string("/proc/") + entry->d_name + "/stat");
    size_t paren = stat.rfind(')');  // the name may hold spaces and parentheses
    if (paren == std::string::npos) continue;
    std::istringstream rest(stat.substr(paren + 1));
    char state = 0;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent) children.push_back({std::stoi(entry->d_name), state});
  }
  ::closedir(proc);
  return children;
}

/// The only child of `parent` (waiting briefly for it to appear), or -1.
pid_t only_child_of(pid_t parent) {
  for (int i = 0; i < 200; ++i) {
    auto children = children_of(parent);
    if (children.size() == 1) return children.front().pid;
    std::this_thread::sleep_for(10ms);
  }
  return -1;
}

/// A line of /proc/PID/status, e.g. field(pid, "NSpid") → "4242\t1".
std::string status_field(pid_t pid, const std::string& name) {
  std::istringstream file(read_proc_file("/proc/" + std::to_string(pid) + "/status"));
  for (std::string line; std::getline(file, line);)
    if (line.rfind(name + ":\t", 0) == 0) return line.substr(name.size() + 2);
  return {};
}

size_t zombies(const std::vector<HostProcess>& processes) {
  size_t count = 0;
  for (const auto& process : processes) count += process.state == 'Z';
  return count;
}

// --- without --init: the command is PID 1 -----------------------------------------------------

TEST(PidNamespace, CommandIsPidOne) {
  DOCKLING_REQUIRE_ROOT();
  auto r = run(plain({"/bin/probe"}));
  ASSERT_EQ(r.exit_code, 0) << r;
  auto report = parse_json(r.out);
  EXPECT_EQ(report["pid"], 1) << r;
  EXPECT_EQ(report["ppid"], 0) << "its parent, the runtime, lies outside the namespace\n" << r;
}

TEST(PidNamespace, HostSeesANewNamespaceWithTheCommandAsPidOne) {
  DOCKLING_REQUIRE_ROOT();
  Background runtime(plain({"/bin/sh", "-c", "echo ready; exec sleep 30"}));
  ASSERT_EQ(runtime.read_line(), "ready");
  pid_t command = only_child_of(runtime.pid());
  ASSERT_GT(command, 0) << "the runtime should have one child, the command";
  EXPECT_NE(namespace_inode(std::to_string(command), "pid"),
            namespace_inode("self", "pid"))
      << "the command must be in a PID namespace of its own";
  // NSpid: its pid in each namespace, outermost first: the host's pid, then 1.
  EXPECT_EQ(status_field(command, "NSpid"), std::to_string(command) + "\t1");
  // SIGKILL is the one signal a parent namespace can always send to PID 1. The runtime then
  // reaps the command and reports 128+9 (killing the runtime instead would leave the dead
  // command for the host's init to reap).
  ::kill(command, SIGKILL);
  EXPECT_EQ(runtime.wait().exit_code, 128 + SIGKILL);
}

TEST(PidNamespace, WithoutAProcOfItsOwnPsSeesNothing) {
  DOCKLING_REQUIRE_ROOT();
  // /proc inside the chroot is the rootfs's empty directory: ps has nothing to read.
  auto r = run(plain({"/bin/sh", "-c", "ps | wc -l; test -e /proc/self || echo no-proc-self"}));
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "1\nno-proc-self\n") << "only ps's header line is expected\n" << r;
}

TEST(PidNamespace, ExitCodesPassThrough) {
  DOCKLING_REQUIRE_ROOT();
  int code = random_between(1, 120);
  EXPECT_EQ(run(plain({"/bin/sh", "-c", "exit " + std::to_string(code)})).exit_code, code);
  EXPECT_EQ(run(plain({"/bin/true"})).exit_code, 0);
  auto missing = run(plain({"dockling-no-such-command"}));
  EXPECT_EQ(missing.exit_code, 127) << missing;
  // A child of PID 1 can be killed; the shell reports it as 128+9. (`; exit $?` keeps the
  // outer shell from exec'ing the inner one, which would make it PID 1.)
  EXPECT_EQ(run(plain({"/bin/sh", "-c", "sh -c 'kill -KILL $$'; exit $?"})).exit_code, 137);
}

TEST(PidNamespace, PidOneIgnoresSignalsItHasNoHandlerFor) {
  DOCKLING_REQUIRE_ROOT();
  // Not a bug: the kernel protects a namespace's init from the signals it did not ask for,
  // even SIGKILL when it comes from inside the namespace.
  auto r = run(plain({"/bin/sh", "-c", "kill -KILL $$; kill -TERM $$; echo survived"}));
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "survived\n") << r;
}

TEST(PidNamespace, SigtermToTheRuntimeReachesACommandThatTrapsIt) {
  DOCKLING_REQUIRE_ROOT();
  int code = random_between(1, 120);
  Background runtime(plain({"/bin/sh", "-c",
                            "trap 'exit " + std::to_string(code) +
                                "' TERM; echo ready; while :; do sleep 0.1; done"}));
  ASSERT_EQ(runtime.read_line(), "ready");
  runtime.signal(SIGTERM);
  auto r = runtime.wait(10s);
  EXPECT_EQ(r.exit_code, code) << r;
}

TEST(PidNamespace, SigtermToTheRuntimeIsLostOnAPidOneWithoutHandler) {
  DOCKLING_REQUIRE_ROOT();
  // The classic "docker stop waits 10 seconds": sleep as PID 1 has no SIGTERM handler, so
  // the forwarded SIGTERM is dropped and sleep ends on its own, with 0. (--init fixes it.)
  Background runtime(plain({"/bin/sh", "-c", "echo ready; exec sleep 1"}));
  ASSERT_EQ(runtime.read_line(), "ready");
  std::this_thread::sleep_for(100ms);  // let the shell exec sleep
  runtime.signal(SIGTERM);
  auto r = runtime.wait(10s);
  EXPECT_EQ(r.exit_code, 0) << "SIGTERM should have been dropped\n" << r;
}

TEST(PidNamespace, WithoutInitOrphansStayZombies) {
  DOCKLING_REQUIRE_ROOT();
  // The probe leaves an orphan that ends after 300 ms. The kernel hands it to PID 1, which
  // is `sleep 30` by then and never calls wait: the orphan stays a zombie.
  // (Not `sleep 0.3 &`: a shell opens /dev/null for a background job, and this rootfs has
  // no /dev/null before chapter 03.)
  Background runtime(plain({"/bin/sh", "-c", "probe orphan 300 >&2; echo ready; exec sleep 30"}));
  ASSERT_EQ(runtime.read_line(), "ready");
  pid_t pid_one = only_child_of(runtime.pid());
  ASSERT_GT(pid_one, 0);
  size_t found = 0;
  for (int i = 0; i < 300 && found == 0; ++i) {
    found = zombies(children_of(pid_one));
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(found, 1u) << "the orphan should be left a zombie under a PID 1 that does not reap";
  ::kill(pid_one, SIGKILL);  // when PID 1 ends, the kernel ends and reaps the whole namespace
  EXPECT_EQ(runtime.wait().exit_code, 128 + SIGKILL);
}

// --- with --init: a small init is PID 1, the command PID 2 --------------------------------------

TEST(Init, CommandIsPidTwoAndTheInitItsParent_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  auto r = run(with_init({"/bin/probe"}));
  ASSERT_EQ(r.exit_code, 0) << r;
  auto report = parse_json(r.out);
  EXPECT_EQ(report["pid"], 2) << r;
  EXPECT_EQ(report["ppid"], 1) << r;
}

TEST(Init, ExitCodesPassThrough_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  int code = random_between(1, 120);
  EXPECT_EQ(run(with_init({"/bin/sh", "-c", "exit " + std::to_string(code)})).exit_code, code);
  EXPECT_EQ(run(with_init({"/bin/true"})).exit_code, 0);
  auto missing = run(with_init({"dockling-no-such-command"}));
  EXPECT_EQ(missing.exit_code, 127) << missing;
  // The command is no longer PID 1: its own signals kill it, and the init reports 128+N.
  auto killed = run(with_init({"/bin/sh", "-c", "kill -KILL $$; echo survived"}));
  EXPECT_EQ(killed.exit_code, 137) << killed;
  EXPECT_EQ(killed.out, "") << killed;
  EXPECT_EQ(run(with_init({"/bin/sh", "-c", "kill -TERM $$"})).exit_code, 143);
}

TEST(Init, ForwardsSigtermToACommandWithoutHandler_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  Background runtime(with_init({"/bin/sh", "-c", "echo ready; exec sleep 30"}));
  ASSERT_EQ(runtime.read_line(), "ready");
  std::this_thread::sleep_for(100ms);  // let the shell exec sleep
  runtime.signal(SIGTERM);
  auto r = runtime.wait(10s);
  EXPECT_EQ(r.exit_code, 128 + SIGTERM) << r;
}

TEST(Init, ForwardsEachOfTheSixSignals_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  int code = random_between(1, 120);
  std::string script;
  for (std::string name : {"HUP", "INT", "QUIT", "USR1", "USR2"})
    script += "trap 'echo got " + name + "' " + name + "; ";
  script += "trap 'exit " + std::to_string(code) + "' TERM; echo ready; while :; do sleep 0.05; done";
  Background runtime(with_init({"/bin/sh", "-c", script}));
  ASSERT_EQ(runtime.read_line(), "ready");
  const std::pair<int, const char*> signals[] = {
      {SIGHUP, "HUP"}, {SIGINT, "INT"}, {SIGQUIT, "QUIT"}, {SIGUSR1, "USR1"}, {SIGUSR2, "USR2"}};
  for (const auto& [signal, name] : signals) {
    runtime.signal(signal);
    EXPECT_EQ(runtime.read_line(), std::string("got ") + name);
  }
  runtime.signal(SIGTERM);
  auto r = runtime.wait(10s);
  EXPECT_EQ(r.exit_code, code) << r;
}

TEST(Init, ReapsOrphanedZombies_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  // The probe leaves an orphan that ends after one second; the kernel hands it to the
  // namespace's PID 1, the init. Seen from the host, the init first has two children (the
  // command, the orphan); when the orphan ends, the init must reap it, leaving one child and
  // no zombie.
  Background runtime(with_init({"/bin/sh", "-c", "probe orphan 1000 >&2; echo ready; exec sleep 30"}));
  ASSERT_EQ(runtime.read_line(), "ready");
  pid_t init = only_child_of(runtime.pid());
  ASSERT_GT(init, 0);
  EXPECT_EQ(status_field(init, "Name"), "init") << "the init names itself (prctl PR_SET_NAME)";
  EXPECT_EQ(status_field(init, "NSpid"), std::to_string(init) + "\t1");
  EXPECT_EQ(children_of(init).size(), 2u) << "the orphan should have been handed to the init";
  std::vector<HostProcess> children;
  for (int i = 0; i < 500; ++i) {
    children = children_of(init);
    if (children.size() == 1) break;
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(children.size(), 1u) << "the orphan was not reaped";
  EXPECT_EQ(zombies(children), 0u);
  runtime.signal(SIGTERM);  // forwarded to sleep 30
  EXPECT_EQ(runtime.wait(10s).exit_code, 128 + SIGTERM);
}

}  // namespace
