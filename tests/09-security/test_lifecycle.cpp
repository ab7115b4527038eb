// Chapter 09 (and the runtime library of chapter 01): a container's lifecycle across
// processes — oci create, start, state, kill, delete, list — side by side with runc, and
// delete after the process that created a container was killed.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "cgroup.hpp"
#include "dockling/error.hpp"
#include "dockling/fs.hpp"
#include "dockling/state.hpp"
#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"
#include "bundle.hpp"

namespace {

namespace fs = std::filesystem;
using namespace dockling::testing;
using nlohmann::json;

bool have(const char* path) { return ::access(path, X_OK) == 0; }

/// One runtime's command line: dockling's `ch09-security [--root R] oci` or `runc --root R`.
struct Runtime {
  std::vector<std::string> prefix;
  /// Runs `prefix + args` with its output in a file, read back as `out`: a created container
  /// keeps the creator's stdio, and a pipe it held would keep the test waiting.
  RunResult operator()(const std::vector<std::string>& args) const {
    dockling::TempDir scratch("ch09-output");
    std::string file = (scratch.path() / "output").string();
    std::string command;
    for (const auto& part : with(args)) command += "'" + part + "' ";
    RunResult result = run({"/bin/sh", "-c", command + "</dev/null >'" + file + "' 2>&1"});
    result.out = dockling::read_file(file);
    return result;
  }
  /// `state ID` as JSON (empty when it fails).
  json state(const std::string& id) const {
    auto result = run(with({"state", id}));
    return result.exit_code == 0 ? parse_json(result.out) : json();
  }
  std::vector<std::string> with(std::vector<std::string> args) const {
    args.insert(args.begin(), prefix.begin(), prefix.end());
    return args;
  }
  /// Waits up to 5 s for `state ID` to report `status`.
  std::string wait_for(const std::string& id, const std::string& status) const {
    std::string now;
    for (int i = 0; i < 100; ++i) {
      now = state(id).value("status", "");
      if (now == status) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return now;
  }
};

/// Deletes (-f) container `id` of `runtime` when it goes: also when an assertion or an
/// exception ends the test early (runc's state root is a TempDir that goes too).
struct ForceDelete {
  const Runtime& runtime;
  std::string id;
  ~ForceDelete() { runtime({"delete", "-f", id}); }
};

/// The statuses a runtime goes through for create, start, kill KILL, delete; and its state
/// JSON's keys while created.
struct Walk {
  std::vector<std::string> statuses;
  std::set<std::string> keys;
};

Walk walk(const Runtime& runtime, const Bundle& bundle, const std::string& id) {
  Walk walk;
  auto created = runtime({"create", "--bundle", bundle.path(), id});
  EXPECT_EQ(created.exit_code, 0) << created;
  json state = runtime.state(id);
  for (const auto& [key, value] : state.items()) walk.keys.insert(key);
  EXPECT_GT(state.value("pid", 0), 0) << state;
  EXPECT_EQ(state.value("bundle", ""), bundle.path()) << state;
  walk.statuses.push_back(state.value("status", ""));
  auto listed = run(runtime.with({"list", "-q"}));
  EXPECT_NE(listed.out.find(id), std::string::npos) << listed;

  auto started = runtime({"start", id});
  EXPECT_EQ(started.exit_code, 0) << started;
  walk.statuses.push_back(runtime.state(id).value("status", ""));
  auto again = runtime({"start", id});
  EXPECT_NE(again.exit_code, 0) << "a second start must fail\n" << again;
  auto busy = runtime({"delete", id});
  EXPECT_NE(busy.exit_code, 0) << "delete of a running container needs -f\n" << busy;

  auto killed = runtime({"kill", id, "KILL"});
  EXPECT_EQ(killed.exit_code, 0) << killed;
  walk.statuses.push_back(runtime.wait_for(id, "stopped"));
  EXPECT_EQ(runtime.state(id).value("pid", -1), 0) << "a stopped container's pid is 0";

  auto deleted = runtime({"delete", id});
  EXPECT_EQ(deleted.exit_code, 0) << deleted;
  auto gone = run(runtime.with({"state", id}));
  walk.statuses.push_back(gone.exit_code == 0 ? "still there" : "deleted");
  return walk;
}

TEST(OciLifecycle, CreateStartKillDeleteGoThroughRuncsStates_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  ASSERT_TRUE(have("/usr/sbin/runc")) << "runc is missing: apt-get install runc";
  Bundle bundle({"/bin/sleep", "60"});
  dockling::TempDir runc_root("runc-root");
  Runtime runc{{"/usr/sbin/runc", "--root", runc_root.path().string()}};
  Runtime ours{{bin("ch09-security"), "oci"}};
  Walk theirs = walk(runc, bundle, unique_name("runc"));
  Walk mine = walk(ours, bundle, unique_name("oci"));
  std::vector<std::string> expected = {"created", "running", "stopped", "deleted"};
  EXPECT_EQ(theirs.statuses, expected) << "runc itself";
  EXPECT_EQ(mine.statuses, expected);
  EXPECT_EQ(mine.keys, theirs.keys) << "state must have runc's fields";
}

TEST(OciLifecycle, ACreatedContainerWaitsForStartThenRunsItsCommand_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  dockling::TempDir out("ch09-out");
  Bundle bundle({"/bin/sh", "-c", "echo started > /out/file"});
  // A bind mount of a host directory, to see what the command wrote.
  bundle.config["mounts"].push_back(
      {{"destination", "/out"}, {"type", "bind"}, {"source", out.path()}, {"options", {"rbind"}}});
  bundle.save();
  Runtime ours{{bin("ch09-security"), "oci"}};
  std::string id = unique_name("oci");
  fs::path pid_file = out.path() / "pid";
  auto created = ours({"create", "--bundle", bundle.path(), "--pid-file", pid_file.string(), id});
  ASSERT_EQ(created.exit_code, 0) << created;
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(fs::exists(out.path() / "file")) << "the command ran before start";
  json state = ours.state(id);
  EXPECT_EQ(state.value("status", ""), "created");
  EXPECT_EQ(dockling::read_file(pid_file), std::to_string(state.value("pid", 0))) << "--pid-file";
  auto started = ours({"start", id});
  ASSERT_EQ(started.exit_code, 0) << started;
  EXPECT_EQ(ours.wait_for(id, "stopped"), "stopped");
  EXPECT_EQ(dockling::read_file(out.path() / "file"), "started\n");
  auto deleted = ours({"delete", id});
  EXPECT_EQ(deleted.exit_code, 0) << deleted;
}

/// As runc: `start` and `delete` use the spec saved at `create` (its command, mounts and
/// hooks), not config.json, which may have changed or gone since.
TEST(OciLifecycle, StartAndDeleteUseTheSpecSavedAtCreate_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  ASSERT_TRUE(have("/usr/sbin/runc")) << "runc is missing: apt-get install runc";
  dockling::TempDir runc_root("runc-root");
  for (const Runtime& runtime : {Runtime{{bin("ch09-security"), "oci"}},
                                 Runtime{{"/usr/sbin/runc", "--root", runc_root.path().string()}}}) {
    const std::string& name = runtime.prefix.front();
    dockling::TempDir out("ch09-out");
    Bundle bundle({"/bin/sh", "-c", "echo started > /out/file"});
    bundle.config["mounts"].push_back(
        {{"destination", "/out"}, {"type", "bind"}, {"source", out.path()}, {"options", {"rbind"}}});
    bundle.config["hooks"]["poststop"] = {
        {{"path", "/bin/sh"}, {"args", {"sh", "-c", "echo stopped > \"$0\"", (out.path() / "poststop").string()}}}};
    bundle.save();
    std::string id = unique_name("saved");
    auto created = runtime({"create", "--bundle", bundle.path(), id});
    ASSERT_EQ(created.exit_code, 0) << name << "\n" << created;
    std::ofstream(bundle.dir.path() / "config.json") << "not a config any more";
    auto started = runtime({"start", id});
    EXPECT_EQ(started.exit_code, 0) << name << "\n" << started;
    EXPECT_EQ(runtime.wait_for(id, "stopped"), "stopped") << name;
    auto deleted = runtime({"delete", "-f", id});
    EXPECT_EQ(deleted.exit_code, 0) << name << "\n" << deleted;
    EXPECT_EQ(dockling::read_file(out.path() / "file"), "started\n") << name << ": the saved command and mount";
    ASSERT_TRUE(fs::exists(out.path() / "poststop")) << name << ": the saved poststop hook did not run";
    EXPECT_EQ(dockling::read_file(out.path() / "poststop"), "stopped\n") << name;
  }
}

TEST(OciLifecycle, ErrorsNameTheContainer_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  Runtime ours{{bin("ch09-security"), "oci"}};
  for (const char* command : {"state", "start", "delete", "kill"}) {
    auto result = run({bin("ch09-security"), "oci", command, "no-such-container"});
    EXPECT_NE(result.exit_code, 0) << command;
    EXPECT_NE(result.err.find("no-such-container does not exist"), std::string::npos) << command << "\n" << result;
  }
  Bundle bundle({"/bin/sleep", "60"});
  std::string id = unique_name("oci");
  ASSERT_EQ(ours({"create", "--bundle", bundle.path(), id}).exit_code, 0);
  auto twice = ours({"create", "--bundle", bundle.path(), id});
  EXPECT_NE(twice.exit_code, 0);
  EXPECT_NE(twice.out.find("container with id exists: " + id), std::string::npos) << twice;
  auto bad_signal = ours({"kill", id, "SIGNOPE"});
  EXPECT_NE(bad_signal.out.find("SIGNOPE"), std::string::npos) << bad_signal;
  auto forced = ours({"delete", "-f", id});
  EXPECT_EQ(forced.exit_code, 0) << forced;
  EXPECT_EQ(run({bin("ch09-security"), "oci", "list", "-q"}).out, "");
}

/// The process that created a container is killed (SIGKILL: no clean-up of its own). Another
/// process lists the container as stopped and deletes it: its cgroups, its veth and lease, its
/// published port and its files all go.
TEST(OciLifecycle, DeleteUndoesWhatAKilledRunLeft_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  SubnetClaim subnet = claim_subnet();
  std::string bridge = unique_name("dl");
  struct Prune {  // also when an assertion ends the test early (on the stubs, `run` fails)
    std::string bridge;
    ~Prune() { run({bin("ch09-security"), "network", "prune", "--bridge", bridge}); }
  } prune{bridge};
  Background running({bin("ch09-security"), "run", "--bridge", bridge, "--subnet", subnet.cidr(), "-p",
                      "127.0.0.1:" + std::to_string(30000 + subnet.third) + ":80", "--memory", "64m", rootfs(),
                      "/bin/sh", "-c", "echo ready; exec sleep 60"});
  ASSERT_EQ(running.read_line().value_or(""), "ready");
  auto listed = run({bin("ch09-security"), "oci", "list", "-q"});
  std::string id = listed.out.substr(0, listed.out.find('\n'));
  ASSERT_EQ(id.size(), 64u) << listed;
  json state = parse_json(run({bin("ch09-security"), "oci", "state", id}).out);
  EXPECT_EQ(state.value("status", ""), "running") << state;

  running.signal(SIGKILL);
  running.wait();
  Runtime ours{{bin("ch09-security"), "oci"}};
  EXPECT_EQ(ours.wait_for(id, "stopped"), "stopped") << "the container dies with its run (PDEATHSIG)";
  fs::path leases = dockling::StateRoot::host_run_dir() / "network" / bridge / "leases";
  EXPECT_FALSE(fs::is_empty(leases)) << "the lease is still on file";
  std::string cgroup = dockling::ch08::make_cgroup(
      dockling::ch08::version_of(dockling::ch08::detect_layout(dockling::ch08::cgroup_root())), id,
      dockling::ch08::cgroup_root())->directories().front();
  // Its cgroup may be gone already: a parallel run sweeps empty cgroups whose run is dead.

  auto deleted = run({bin("ch09-security"), "oci", "delete", id});
  EXPECT_EQ(deleted.exit_code, 0) << deleted;
  EXPECT_FALSE(fs::exists(cgroup)) << "delete must remove the cgroup";
  EXPECT_TRUE(fs::is_empty(leases)) << "delete must give the lease back";
  EXPECT_FALSE(fs::exists(dockling::StateRoot(std::getenv("DOCKLING_ROOT")).container_dir(id))) << "its files";
  auto nft = run({"/usr/sbin/nft", "list", "ruleset"});
  EXPECT_EQ(nft.out.find(std::to_string(30000 + subnet.third)), std::string::npos) << "its published port\n" << nft.out;
  EXPECT_EQ(run({bin("ch09-security"), "oci", "list", "-q"}).out, "");
}

/// `kill --all` as runc's: the signal to every process of the container's cgroup, the exec'd
/// one too; and once the first process is gone (stopped), still no error.
TEST(OciLifecycle, KillAllReachesEveryProcessOfTheContainerAsRuncs_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  ASSERT_TRUE(have("/usr/sbin/runc")) << "runc is missing: apt-get install runc";
  Bundle bundle({"/bin/sleep", "60"});
  dockling::TempDir runc_root("runc-root");
  Runtime runc{{"/usr/sbin/runc", "--root", runc_root.path().string()}};
  Runtime ours{{bin("ch09-security"), "oci"}};
  for (const Runtime* runtime : {&runc, &ours}) {
    std::string id = unique_name("kill");
    SCOPED_TRACE(runtime->prefix.front());
    ForceDelete guard{*runtime, id};
    ASSERT_EQ((*runtime)({"create", "--bundle", bundle.path(), id}).exit_code, 0);
    ASSERT_EQ((*runtime)({"start", id}).exit_code, 0);
    Background exec(runtime->with({"exec", id, "/bin/sh", "-c", "echo ready; exec sleep 61"}));
    EXPECT_EQ(exec.read_line().value_or(""), "ready");
    auto killed = (*runtime)({"kill", "--all", id, "KILL"});
    EXPECT_EQ(killed.exit_code, 0) << killed;
    EXPECT_EQ(exec.wait().exit_code, 137) << "the exec'd process is killed too";
    EXPECT_EQ(runtime->wait_for(id, "stopped"), "stopped");
    auto again = (*runtime)({"kill", "--all", id, "KILL"});
    EXPECT_EQ(again.exit_code, 0) << "--all on a stopped container is no error\n" << again;
    EXPECT_NE((*runtime)({"kill", id, "KILL"}).exit_code, 0) << "without --all it is";
    EXPECT_EQ((*runtime)({"delete", id}).exit_code, 0);
  }
}

/// A created container's cgroup holds its waiting process; delete -f kills it and removes it.
TEST(OciLifecycle, DeleteForceRemovesTheCgroupOfACreatedContainer_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  Bundle bundle({"/bin/true"});
  Runtime ours{{bin("ch09-security"), "oci"}};
  std::string id = unique_name("oci");
  auto created = ours({"create", "--bundle", bundle.path(), id});
  ASSERT_EQ(created.exit_code, 0) << created;
  auto root = dockling::ch08::cgroup_root();
  auto cgroup = dockling::ch08::make_cgroup(dockling::ch08::version_of(dockling::ch08::detect_layout(root)), id, root);
  for (const auto& dir : cgroup->directories()) EXPECT_TRUE(fs::exists(dir)) << dir;
  auto deleted = ours({"delete", "-f", id});
  EXPECT_EQ(deleted.exit_code, 0) << deleted;
  for (const auto& dir : cgroup->directories()) EXPECT_FALSE(fs::exists(dir)) << dir << " is left";
}

/// `run` after a crashed run deletes the crashed one's container: nothing accumulates.
TEST(OciLifecycle, TheNextRunDeletesWhatACrashedRunLeft_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  Background running({bin("ch09-security"), "run", "--network", "none", rootfs(), "/bin/sh", "-c",
                      "echo ready; exec sleep 60"});
  ASSERT_EQ(running.read_line().value_or(""), "ready");
  running.signal(SIGKILL);
  running.wait();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // PDEATHSIG is asynchronous
  EXPECT_NE(run({bin("ch09-security"), "oci", "list", "-q"}).out, "") << "the crashed run's container is listed";
  auto next = run({bin("ch09-security"), "run", "--network", "none", rootfs(), "/bin/true"});
  EXPECT_EQ(next.exit_code, 0) << next;
  EXPECT_EQ(run({bin("ch09-security"), "oci", "list", "-q"}).out, "") << "the next run deletes it";
}

/// A bundle of `sleep 60`, created and started by dockling as `id`; deleted at the end.
struct RunningBundle {
  Bundle bundle{{"/bin/sleep", "60"}};
  std::string id = unique_name("oci");
  Runtime ours{{bin("ch09-security"), "oci"}};
  RunningBundle() {
    auto created = ours({"create", "--bundle", bundle.path(), id});
    EXPECT_EQ(created.exit_code, 0) << created;
    auto started = ours({"start", id});
    EXPECT_EQ(started.exit_code, 0) << started;
  }
  ~RunningBundle() { ours({"delete", "-f", id}); }
  std::vector<std::string> exec(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {bin("ch09-security"), "oci", "exec"};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
};

/// What runc's exec shows of the process it starts, and what ours must show the same way.
const char* kExecView =
    "id; hostname; pwd; grep -E '^(Cap|NoNewPrivs|Seccomp:)' /proc/self/status; ulimit -n; echo \"$HOME $PATH\"";

TEST(OciExec, TheProcessIsConfinedAsTheContainersAsWithRunc_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  ASSERT_TRUE(have("/usr/sbin/runc"));
  RunningBundle container;
  auto ours = run(container.exec({container.id, "/bin/sh", "-c", kExecView}));
  ASSERT_EQ(ours.exit_code, 0) << ours;
  dockling::TempDir runc_root("runc-root");
  Runtime runc{{"/usr/sbin/runc", "--root", runc_root.path().string()}};
  std::string id = unique_name("runc");
  ASSERT_EQ(runc({"create", "--bundle", container.bundle.path(), id}).exit_code, 0);
  ASSERT_EQ(runc({"start", id}).exit_code, 0);
  auto theirs = run({"/usr/sbin/runc", "--root", runc_root.path().string(), "exec", id, "/bin/sh", "-c", kExecView});
  runc({"delete", "-f", id});
  EXPECT_EQ(ours.out, theirs.out) << "dockling:\n" << ours << "\nrunc:\n" << theirs;
}

TEST(OciExec, JoinsEveryNamespaceAndTheCgroupOfTheContainer_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  RunningBundle container;
  // Seen from inside: the exec'd shell and the container's first process (PID 1 there).
  auto r = run(container.exec({container.id, "/bin/sh", "-c",
                               "for ns in mnt pid net uts ipc cgroup; do [ $(readlink /proc/self/ns/$ns) = "
                               "$(readlink /proc/1/ns/$ns) ] || echo \"$ns differs\"; done; "
                               "[ \"$(cat /proc/self/cgroup)\" = \"$(cat /proc/1/cgroup)\" ] || echo cgroup differs; "
                               "echo pid $$"}));
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out.find("differs"), std::string::npos) << r;
  EXPECT_NE(r.out.find("pid "), std::string::npos) << r;
  EXPECT_EQ(r.out.find("pid 1\n"), std::string::npos) << "the exec'd process is not the container's PID 1\n" << r;
}

TEST(OciExec, UserEnvAndCwdCanBeChangedAndExitCodesFollowDocker_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  RunningBundle container;
  auto r = run(container.exec({"-u", "65534:65534", "--cwd", "/tmp", "-e", "FOO=bar", container.id, "/bin/sh", "-c",
                               "id -u; id -g; pwd; echo $FOO"}));
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "65534\n65534\n/tmp\nbar\n");
  EXPECT_EQ(run(container.exec({container.id, "/bin/sh", "-c", "exit 7"})).exit_code, 7);
  auto missing = run(container.exec({container.id, "dockling-no-such-command"}));
  EXPECT_EQ(missing.exit_code, 127) << missing;
  EXPECT_NE(missing.err.find("dockling-no-such-command"), std::string::npos) << missing;
  auto stopped = run(container.exec({"no-such-container", "/bin/true"}));
  EXPECT_NE(stopped.exit_code, 0);
  EXPECT_NE(stopped.err.find("no-such-container does not exist"), std::string::npos) << stopped;
}

/// `exec -d` as runc's: nothing printed, back at once, the process runs on in the container,
/// and --pid-file names it (as the host sees it).
TEST(OciExec, DetachReturnsAtOnceAndThePidFileNamesTheProcessAsRuncs_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  ASSERT_TRUE(have("/usr/sbin/runc"));
  RunningBundle container;
  dockling::TempDir runc_root("runc-root");
  Runtime runc{{"/usr/sbin/runc", "--root", runc_root.path().string()}};
  std::string runc_id = unique_name("runc");
  ForceDelete guard{runc, runc_id};
  ASSERT_EQ(runc({"create", "--bundle", container.bundle.path(), runc_id}).exit_code, 0);
  ASSERT_EQ(runc({"start", runc_id}).exit_code, 0);
  for (auto [runtime, id] : {std::pair{&runc, runc_id}, std::pair{&container.ours, container.id}}) {
    SCOPED_TRACE(runtime->prefix.front());
    dockling::TempDir scratch("ch09-pid");
    std::string pid_file = (scratch.path() / "pid").string();
    auto started = std::chrono::steady_clock::now();
    auto detached = (*runtime)({"exec", "-d", "--pid-file", pid_file, id, "/bin/sleep", "31"});
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10)) << "it must not wait";
    EXPECT_EQ(detached.exit_code, 0) << detached;
    EXPECT_EQ(detached.out, "") << "nothing printed";
    ASSERT_TRUE(fs::exists(pid_file)) << "--pid-file";
    std::string pid = dockling::read_file(pid_file);
    ASSERT_FALSE(pid.empty());
    EXPECT_EQ(pid.find('\n'), std::string::npos) << "no newline, as runc";
    // runc may return just before its process has exec'd: wait for it a little.
    std::string cmdline, expected("/bin/sleep\0" "31\0", 14);
    for (int i = 0; i < 100 && cmdline != expected; ++i) {
      if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      try {
        cmdline = dockling::read_file(fmt::format("/proc/{}/cmdline", pid));
      } catch (const dockling::Error&) {
        break;  // gone
      }
    }
    EXPECT_EQ(cmdline, expected) << "the process runs on";
    auto seen = run(runtime->with({"exec", id, "/bin/sh", "-c", "ps | grep -c '[s]leep'"}));
    EXPECT_EQ(seen.out, "2\n") << "the container sees it beside its own sleep\n" << seen;
  }
}

/// `exec --process FILE` as runc's -p: args, env (the whole of it), cwd, user, capabilities,
/// noNewPrivileges and rlimits from the file; apparmorProfile read and ignored with a warning.
TEST(OciExec, ProcessFileGivesTheWholeProcessAsRuncs_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  ASSERT_TRUE(have("/usr/sbin/runc"));
  RunningBundle container;
  json process = {
      {"args", {"/bin/sh", "-c", std::string(kExecView) + "; pwd; echo \"$FOO\""}},
      {"env", {"PATH=/bin:/usr/bin", "FOO=from the file"}},
      {"cwd", "/tmp"},
      {"user", {{"uid", 65534}, {"gid", 65534}, {"additionalGids", {5}}}},
      {"capabilities", {{"bounding", {"CAP_KILL", "CAP_CHOWN"}}, {"effective", {"CAP_KILL"}},
                        {"permitted", {"CAP_KILL"}}}},
      {"noNewPrivileges", false},
      // soft = hard: runc 1.1's exec'd process gets its hard NOFILE limit as the soft one too
      {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"soft", 77}, {"hard", 77}}}}};
  dockling::TempDir files("ch09-process");
  std::string theirs_file = (files.path() / "runc.json").string();
  std::ofstream(theirs_file) << process.dump();
  // runc applies an AppArmor profile where the kernel offers AppArmor: only ours gets one.
  process["apparmorProfile"] = "docker-default";
  std::string ours_file = (files.path() / "process.json").string();
  std::ofstream(ours_file) << process.dump();
  auto ours = run(container.exec({"--process", ours_file, container.id}));
  EXPECT_EQ(ours.exit_code, 0) << ours;
  EXPECT_NE(ours.err.find("process.apparmorProfile is not honoured"), std::string::npos) << ours;
  EXPECT_NE(ours.out.find("uid=65534(nobody) gid=65534(nogroup) groups=5\n"), std::string::npos) << ours;
  EXPECT_NE(ours.out.find("/nonexistent /bin:/usr/bin\n/tmp\nfrom the file\n"), std::string::npos)
      << "HOME from passwd, PATH and FOO from the file\n" << ours;

  dockling::TempDir runc_root("runc-root");
  Runtime runc{{"/usr/sbin/runc", "--root", runc_root.path().string()}};
  std::string id = unique_name("runc");
  ForceDelete guard{runc, id};
  ASSERT_EQ(runc({"create", "--bundle", container.bundle.path(), id}).exit_code, 0);
  ASSERT_EQ(runc({"start", id}).exit_code, 0);
  auto reference = run({"/usr/sbin/runc", "--root", runc_root.path().string(), "exec", "-p", theirs_file, id});
  EXPECT_EQ(ours.out, reference.out) << "dockling:\n" << ours << "\nrunc:\n" << reference;

  auto both = run(container.exec({"--process", ours_file, container.id, "/bin/true"}));
  EXPECT_EQ(both.exit_code, 125) << both;
  std::ofstream(ours_file) << json{{"args", {"true"}}}.dump();
  auto no_cwd = run(container.exec({"-p", ours_file, container.id}));
  EXPECT_EQ(no_cwd.exit_code, 125) << no_cwd;
  EXPECT_NE(no_cwd.err.find(ours_file + ": process.cwd: missing"), std::string::npos) << no_cwd;
}

/// CVE-2019-5736: a process of the container that opens /proc/PID/exe of the joining runtime
/// must not reach the runtime's binary. The runtime runs from a sealed memfd copy: the link
/// names the copy, and writing to it fails.
TEST(OciExec, TheJoiningRuntimeRunsFromASealedCopyOfItsBinary_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  RunningBundle container;
  std::string before = dockling::read_file(bin("ch09-security"));
  Background exec(container.exec({container.id, "/bin/sh", "-c", "echo ready; exec sleep 1"}));
  ASSERT_EQ(exec.read_line().value_or(""), "ready");
  std::string exe = fmt::format("/proc/{}/exe", exec.pid());
  char target[4096] = {};
  ASSERT_GT(::readlink(exe.c_str(), target, sizeof target - 1), 0);
  EXPECT_EQ(std::string(target).rfind("/memfd:dockling-sealed", 0), 0u) << target;
  int fd = ::open(exe.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    EXPECT_LT(::write(fd, "x", 1), 0) << "the sealed copy was writable";
    ::close(fd);
  }
  exec.signal(SIGKILL);
  exec.wait();
  EXPECT_EQ(dockling::read_file(bin("ch09-security")), before);
}

}  // namespace
