// Chapter 07: user namespaces, seen from inside (the probe) and from the host (/proc/PID).
#include <fcntl.h>
#include <grp.h>
#include <mqueue.h>
#include <pwd.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include <gtest/gtest.h>

#include "dockling/error.hpp"
#include "dockling/fd.hpp"
#include "dockling/fs.hpp"
#include "dockling/process.hpp"
#include "dockling/state.hpp"
#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"
#include "id_ranges.hpp"
#include "newidmap.hpp"
#include "userns.hpp"

namespace {

namespace fs = std::filesystem;
using namespace dockling::testing;
using dockling::ch07::IdMapping;
using dockling::ch07::IdMaps;

constexpr uid_t kNobody = 65534;

std::vector<std::string> ch07(std::vector<std::string> flags, const std::string& root,
                              std::vector<std::string> command) {
  // --network none: not about networking; never touch the default bridge.
  std::vector<std::string> argv = {bin("ch07-user-namespace"), "run", "--network", "none"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.push_back(root);
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

/// The same command, run by the unprivileged user nobody (65534) with no groups.
std::vector<std::string> as_nobody(std::vector<std::string> argv) {
  // A state directory nobody may write, and its runtime directory (else /tmp/dockling-run-65534,
  // which would outlive the test), kept until the test process ends.
  static dockling::TempDir state("dockling-nobody-root");
  static const std::string runtime_dir = [] {
    std::string dir = (state.path() / "run").string();
    ::mkdir(dir.c_str(), 0700);
    ::chown(dir.c_str(), kNobody, kNobody);
    ::chown(state.path().c_str(), kNobody, kNobody);
    return dir;
  }();
  std::vector<std::string> with = {"/usr/bin/setpriv",
                                   "--reuid",
                                   "65534",
                                   "--regid",
                                   "65534",
                                   "--clear-groups",
                                   "/usr/bin/env",
                                   "DOCKLING_ROOT=" + state.path().string(),
                                   "XDG_RUNTIME_DIR=" + runtime_dir};
  with.insert(with.end(), argv.begin(), argv.end());
  return with;
}

unsigned long random_below(unsigned long limit) { return std::stoul(dockling::random_hex(4), nullptr, 16) % limit; }

/// The range a root run maps (the "dockling" line of /etc/subuid, or 100000:65536).
IdMapping expected_uid_range() {
  return dockling::ch07::root_id_maps(dockling::ch07::read_optional_file("/etc/subuid"),
                                      dockling::ch07::read_optional_file("/etc/subgid"))
      .uids.front();
}

/// The value of `key` in the probe's environment ("" when it is not set).
std::string probe_env(const nlohmann::json& probe, const std::string& key) {
  for (const auto& entry : probe["env"]) {
    std::string text = entry.get<std::string>();
    if (text.rfind(key + "=", 0) == 0) return text.substr(key.size() + 1);
  }
  return "";
}

nlohmann::json map_json(const IdMapping& m) { return nlohmann::json::array({{m.inside, m.outside, m.count}}); }


/// A child cloned into a new user namespace that waits until it is destroyed.
struct WaitingChild {
  dockling::UniqueFd read_end, write_end;
  dockling::Child child;
  WaitingChild() {
    int fds[2];
    dockling::check(::pipe2(fds, O_CLOEXEC), "pipe2");
    read_end = dockling::UniqueFd(fds[0]);
    write_end = dockling::UniqueFd(fds[1]);
    long pid = ::syscall(SYS_clone, static_cast<unsigned long>(CLONE_NEWUSER | SIGCHLD), nullptr, nullptr, nullptr, 0);
    if (pid == 0) {
      write_end.reset();
      char byte;
      [[maybe_unused]] ssize_t n = ::read(read_end.get(), &byte, 1);
      ::_exit(0);
    }
    dockling::check(static_cast<int>(pid), "clone", "CLONE_NEWUSER");
    child = dockling::Child(static_cast<pid_t>(pid));
  }
  std::string proc(const std::string& file) const {
    return dockling::read_file("/proc/" + std::to_string(child.pid()) + "/" + file);
  }
};

/// The parsed "INSIDE OUTSIDE COUNT" lines of a uid_map or gid_map text.
std::vector<std::vector<unsigned long>> parse_map(const std::string& text) {
  std::vector<std::vector<unsigned long>> lines;
  std::istringstream in(text);
  unsigned long a, b, c;
  while (in >> a >> b >> c) lines.push_back({a, b, c});
  return lines;
}

// --- the exercise, on a real child -------------------------------------------------

TEST(WriteIdMaps, RootWritesARangeForAWaitingChild_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  WaitingChild waiting;
  unsigned long uid_start = 200000 + random_below(1000) * 65536, gid_start = uid_start + 65536;
  dockling::ch07::write_id_maps(waiting.child.pid(), IdMaps{{{0, uid_start, 65536}}, {{0, gid_start, 1000}}, false});
  EXPECT_EQ(parse_map(waiting.proc("uid_map")), (std::vector<std::vector<unsigned long>>{{0, uid_start, 65536}}));
  EXPECT_EQ(parse_map(waiting.proc("gid_map")), (std::vector<std::vector<unsigned long>>{{0, gid_start, 1000}}));
  EXPECT_EQ(waiting.proc("setgroups"), "allow\n");
}

TEST(WriteIdMaps, AnOrdinaryUserDeniesSetgroupsBeforeItsGidMap_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  // In a forked process that becomes an ordinary user, as a rootless runtime is. The kernel
  // refuses its gid_map unless setgroups was denied first.
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  dockling::UniqueFd read_end(fds[0]), write_end(fds[1]);
  uid_t uid = static_cast<uid_t>(20000 + random_below(40000));
  pid_t pid = ::fork();
  if (pid == 0) {
    std::string report;
    try {
      read_end.reset();
      dockling::check(::setgroups(0, nullptr), "setgroups");
      dockling::check(::setresgid(uid + 1, uid + 1, uid + 1), "setresgid");
      dockling::check(::setresuid(uid, uid, uid), "setresuid");
      // Changing ids made us non-dumpable, which gives our /proc files to root; a user who
      // starts a runtime with exec(2) is dumpable.
      dockling::check(::prctl(PR_SET_DUMPABLE, 1), "prctl", "PR_SET_DUMPABLE");
      WaitingChild waiting;
      dockling::ch07::write_id_maps(waiting.child.pid(), dockling::ch07::rootless_id_maps(uid, uid + 1));
      report = waiting.proc("uid_map") + "|" + waiting.proc("setgroups") + "|" + waiting.proc("gid_map");
    } catch (const std::exception& e) {
      report = std::string("error: ") + e.what();
    }
    dockling::write_all(write_end.get(), report);
    ::_exit(0);
  }
  dockling::Child writer(pid);
  write_end.reset();
  std::string report = dockling::read_all(read_end.get());
  ASSERT_EQ(report.find("error"), std::string::npos) << report;
  size_t bar1 = report.find('|'), bar2 = report.rfind('|');
  EXPECT_EQ(parse_map(report.substr(0, bar1)), (std::vector<std::vector<unsigned long>>{{0, uid, 1}}));
  EXPECT_EQ(report.substr(bar1 + 1, bar2 - bar1 - 1), "deny\n");
  EXPECT_EQ(parse_map(report.substr(bar2 + 1)), (std::vector<std::vector<unsigned long>>{{0, uid + 1, 1}}));
}

// --- root runs ----------------------------------------------------------------------

TEST(UserNamespace, RootRunIsRootInsideAndTheRangeOutside_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  std::string mounts = host_mounts();
  auto result = run(ch07({"--userns", "private"}, rootfs(), {"probe"}));
  ASSERT_EQ(result.exit_code, 0) << result;
  auto probe = parse_json(result.out);
  EXPECT_EQ(probe["uid"], 0);
  EXPECT_EQ(probe["gid"], 0);
  EXPECT_EQ(probe["groups"], nlohmann::json::array({0}));  // root's from the rootfs, not the host's
  EXPECT_EQ(probe["uid_map"], map_json(expected_uid_range()));
  EXPECT_EQ(host_mounts(), mounts);
}

TEST(UserNamespace, RootKeepsTheHostsIdsByDefault) {
  DOCKLING_REQUIRE_ROOT();
  auto result = run(ch07({}, rootfs(), {"probe"}));
  ASSERT_EQ(result.exit_code, 0) << result;
  auto probe = parse_json(result.out);
  EXPECT_EQ(probe["uid_map"], nlohmann::json::parse("[[0,0,4294967295]]"));
}

/// The pid of the runtime's child (the container's first process), from the host's /proc.
pid_t container_pid(pid_t runtime) {
  for (const auto& entry : fs::directory_iterator("/proc")) {
    std::string pid = entry.path().filename();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    try {
      std::string stat = dockling::read_file("/proc/" + pid + "/stat");
      if (std::stoi(stat.substr(stat.rfind(')') + 4)) == runtime) return std::stoi(pid);
    } catch (const std::exception&) {
    }
  }
  return -1;
}

TEST(UserNamespace, TheHostSeesTheMappedUidOfTheProcessAndItsFiles_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  std::string mounts = host_mounts();
  std::string name = unique_name("file-");
  Background runtime(ch07({"--userns", "private", "--tmpfs", "/scratch"}, rootfs(),
                          {"/bin/sh", "-c", "touch /scratch/" + name + " && echo ready && exec sleep 60"}));
  auto line = runtime.read_line();
  ASSERT_EQ(line, "ready") << runtime.wait();
  pid_t pid = container_pid(runtime.pid());
  ASSERT_GT(pid, 0);
  unsigned long outside = expected_uid_range().outside;

  std::string status = dockling::read_file("/proc/" + std::to_string(pid) + "/status");
  size_t uid_line = status.find("\nUid:");
  ASSERT_NE(uid_line, std::string::npos);
  EXPECT_EQ(parse_map(status.substr(uid_line + 5, status.find('\n', uid_line + 1) - uid_line - 5)).front(),
            (std::vector<unsigned long>{outside, outside, outside}))
      << status.substr(uid_line, 40);  // real, effective, saved: the container's root is host uid OUTSIDE

  struct stat st {};
  std::string file = "/proc/" + std::to_string(pid) + "/root/scratch/" + name;
  ASSERT_EQ(::stat(file.c_str(), &st), 0) << file;
  EXPECT_EQ(st.st_uid, outside);  // made by root inside, owned by the mapped uid outside

  runtime.signal(SIGKILL);  // the container dies with it
  runtime.wait();
  EXPECT_EQ(host_mounts(), mounts);
}

TEST(UserNamespace, IdMappedRootfsKeepsRootsFilesRoots_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  struct stat host {};
  ASSERT_EQ(::stat((rootfs() + "/bin/busybox").c_str(), &host), 0);
  ASSERT_EQ(host.st_uid, 0u);
  auto result = run(ch07({"--userns", "private"}, rootfs(), {"stat", "-c", "%u:%g", "/bin/busybox", "/etc/passwd"}));
  ASSERT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, "0:0\n0:0\n") << result;  // not 65534 (nobody): the rootfs is id-mapped
  EXPECT_EQ(result.err, "") << result;            // no warning that id-mapping failed
}

/// The container's own /proc and /sys, not the host's: a new proc of its PID namespace (PID 1
/// is its command, only its processes are listed) and a new sysfs of its network namespace
/// (only lo with --network none). As root and rootless.
TEST(UserNamespace, ProcAndSysAreTheContainersOwn_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  std::string mounts = host_mounts();
  const std::vector<std::string> command = {
      "/bin/sh", "-c", "cat /proc/1/comm; ls /proc | grep -c '^[0-9]'; ls /sys/class/net; grep -E ' /(proc|sys) ' /proc/mounts"};
  RootfsCopy root;
  for (const auto& argv : {ch07({"--userns", "private"}, rootfs(), command), as_nobody(ch07({}, root.path, command))}) {
    auto result = run(argv);
    ASSERT_EQ(result.exit_code, 0) << result;
    std::istringstream lines(result.out);
    std::string comm, count, net;
    std::getline(lines, comm);
    std::getline(lines, count);
    std::getline(lines, net);
    EXPECT_EQ(comm, "sh") << "PID 1 is the host's init: the host's /proc\n" << result;
    EXPECT_LT(std::stoi(count), 10) << "the host's processes are listed\n" << result;
    EXPECT_EQ(net, "lo") << "the host's /sys\n" << result;
    EXPECT_NE(result.out.find("proc /proc proc rw,nosuid,nodev,noexec"), std::string::npos) << result;
    EXPECT_NE(result.out.find("sysfs /sys sysfs ro,nosuid,nodev,noexec"), std::string::npos) << result;
  }
  EXPECT_EQ(host_mounts(), mounts);
}

TEST(UserNamespace, IpcHostShowsTheHostsQueuesInAUserNamespace_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  // The kernel lets only the owner of an IPC namespace mount its mqueue: here that is the
  // host's user namespace, not the container's. The runtime mounts it for the child.
  std::string queue = "/" + unique_name("dlq-");
  mq_attr attr{};
  attr.mq_maxmsg = 1;
  attr.mq_msgsize = 8;
  mqd_t created = ::mq_open(queue.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600, &attr);
  ASSERT_NE(created, static_cast<mqd_t>(-1)) << std::strerror(errno);
  std::string mounts = host_mounts();
  auto result = run(ch07({"--userns", "private", "--ipc", "host"}, rootfs(), {"ls", "/dev/mqueue"}));
  ::mq_close(created);
  ::mq_unlink(queue.c_str());
  ASSERT_EQ(result.exit_code, 0) << result;
  EXPECT_NE(result.out.find(queue.substr(1)), std::string::npos) << result;
  EXPECT_EQ(host_mounts(), mounts);
}

TEST(UserNamespace, AStateRootOnlyTheHostsRootMayEnter_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  // The container's root is host uid 100000: it could not reach ROOT/containers/ID/hosts by
  // name through a 0700 directory. The runtime hands the child the files themselves.
  dockling::TempDir state("dockling-private-root");
  fs::permissions(state.path(), fs::perms(0700));
  std::string name = unique_name("h");
  auto result = run({"/usr/bin/env", "DOCKLING_ROOT=" + state.path().string(), bin("ch07-user-namespace"), "run",
                     "--network", "none", "--userns", "private", "--hostname", name, rootfs(), "cat",
                     "/etc/hostname"});
  ASSERT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, name + "\n") << result;
}

TEST(UserNamespace, BadModeIsRefused) {
  auto result = run(ch07({"--userns", "remap"}, rootfs(), {"true"}));
  EXPECT_EQ(result.exit_code, 125) << result;
  EXPECT_NE(result.err.find("remap"), std::string::npos) << result;
}

// --- rootless -----------------------------------------------------------------------

TEST(Rootless, AnOrdinaryUserIsRootInsideWithOneId_Exercise) {
  DOCKLING_REQUIRE_ROOT();  // to become another user
  RootfsCopy root;
  auto result = run(as_nobody(ch07({}, root.path, {"probe"})));
  ASSERT_EQ(result.exit_code, 0) << result;
  auto probe = parse_json(result.out);
  EXPECT_EQ(probe["uid"], 0);
  EXPECT_EQ(probe["gid"], 0);
  EXPECT_EQ(probe["uid_map"], map_json({0, kNobody, 1}));
  EXPECT_EQ(probe["gid_map"], map_json({0, kNobody, 1}));

  auto setgroups = run(as_nobody(ch07({}, root.path, {"cat", "/proc/self/setgroups"})));
  EXPECT_EQ(setgroups.out, "deny\n") << setgroups;
}

TEST(Rootless, HostFilesAreNotWritable_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  RootfsCopy root;
  std::string name = unique_name("marker-");
  auto result = run(as_nobody(ch07({}, root.path, {"/bin/sh", "-c", "touch /etc/" + name + " && echo wrote"})));
  EXPECT_NE(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, "") << result;
  EXPECT_NE(result.err.find("Permission denied"), std::string::npos) << result;
  EXPECT_FALSE(fs::exists(root.path + "/etc/" + name));
  // The host's root owns the rootfs: inside, its files belong to nobody.
  auto owner = run(as_nobody(ch07({}, root.path, {"stat", "-c", "%u", "/etc/passwd"})));
  EXPECT_EQ(owner.out, "65534\n") << owner;
}

TEST(Rootless, AUsersOwnRootfsBelongsToRootInside_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  // Rootless runs cannot id-map (that needs CAP_SYS_ADMIN on the host); a user who unpacked
  // the rootfs owns its files, and with the single-id map those are root's inside.
  RootfsCopy root;
  for (const auto& entry : fs::recursive_directory_iterator(root.path))
    ASSERT_EQ(::lchown(entry.path().c_str(), kNobody, kNobody), 0) << entry.path();
  ASSERT_EQ(::lchown(root.path.c_str(), kNobody, kNobody), 0);
  std::string name = unique_name("mine-");
  auto result = run(as_nobody(ch07({}, root.path, {"/bin/sh", "-c", "stat -c %u:%g /etc/passwd && touch /etc/" + name})));
  ASSERT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, "0:0\n") << result;
  struct stat st {};
  ASSERT_EQ(::stat((root.path + "/etc/" + name).c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, kNobody);  // written by root inside, owned by the user outside
}

TEST(Rootless, SubordinateRangesThroughNewuidmap) {
  DOCKLING_REQUIRE_ROOT();
  if (!dockling::ch07::find_idmap_helpers(std::getenv("PATH")))
    GTEST_SKIP() << "newuidmap/newgidmap not in PATH: install the uidmap package (scripts/setup-deps does)";
  HostUser user;
  unsigned long count = 65536, uid_start = 300000 + random_below(1000) * 2 * count, gid_start = uid_start + count;
  SubordinateIds ranges(user.name + ":" + std::to_string(uid_start) + ":" + std::to_string(count),
                        std::to_string(user.uid) + ":" + std::to_string(gid_start) + ":" + std::to_string(count));  // by uid
  RootfsCopy root;
  dockling::TempDir state("dockling-subid-root");

  auto result = run(as_user(user, state, ch07({}, root.path, {"probe"})));
  ASSERT_EQ(result.exit_code, 0) << result;
  auto probe = parse_json(result.out);
  EXPECT_EQ(probe["uid"], 0);
  EXPECT_EQ(probe["uid_map"], nlohmann::json::array({{0, user.uid, 1}, {1, uid_start, count}}));
  EXPECT_EQ(probe["gid_map"], nlohmann::json::array({{0, user.gid, 1}, {1, gid_start, count}}));

  // Now uid 1000 exists inside: -u may become it, and its files are START+999 on the host.
  auto as_1000 = run(as_user(user, state, ch07({"-u", "1000:1000"}, root.path, {"probe"})));
  ASSERT_EQ(as_1000.exit_code, 0) << as_1000;
  EXPECT_EQ(parse_json(as_1000.out)["uid"], 1000);
  EXPECT_EQ(parse_json(as_1000.out)["gid"], 1000);

  std::string mounts = host_mounts();
  std::string name = unique_name("file-");
  Background runtime(as_user(user, state, ch07({"--tmpfs", "/tmp"}, root.path,
                                              {"/bin/sh", "-c", "touch /tmp/" + name + " && chown 1000:1000 /tmp/" +
                                                                    name + " && echo ready && exec sleep 60"})));
  auto line = runtime.read_line();
  ASSERT_EQ(line, "ready") << runtime.wait();
  pid_t pid = container_pid(runtime.pid());
  ASSERT_GT(pid, 0);
  struct stat st {};
  std::string file = "/proc/" + std::to_string(pid) + "/root/tmp/" + name;
  ASSERT_EQ(::stat(file.c_str(), &st), 0) << file;
  EXPECT_EQ(st.st_uid, uid_start + 999);
  EXPECT_EQ(st.st_gid, gid_start + 999);
  auto container = dockling::ProcessIdentity::of(pid);
  runtime.signal(SIGKILL);
  runtime.wait();
  EXPECT_EQ(host_mounts(), mounts);
  // The container dies with its runtime (parent-death signal), but a moment later: a run that
  // still sees it alive rightly leaves its state alone.
  for (int i = 0; i < 500 && container.alive(); ++i) ::usleep(10000);
  ASSERT_FALSE(container.alive()) << "the container outlived its killed runtime by 5 s";
  // The next run of the same root deletes what the killed one left (its state.json).
  auto next = run(as_user(user, state, ch07({}, root.path, {"true"})));
  EXPECT_EQ(next.exit_code, 0) << next;
  std::string run_dir = "/tmp/dockling-run-" + std::to_string(user.uid) + "/roots";
  EXPECT_TRUE(!std::filesystem::exists(run_dir) || std::filesystem::is_empty(run_dir))
      << "the killed run's state is still in " << run_dir;
}

TEST(Rootless, HostUsernsNeedsRoot) {
  DOCKLING_REQUIRE_ROOT();
  RootfsCopy root;
  auto result = run(as_nobody(ch07({"--userns", "host"}, root.path, {"true"})));
  EXPECT_EQ(result.exit_code, 125) << result;
  EXPECT_NE(result.err.find("--userns host needs root"), std::string::npos) << result;
}

// --- -u/--user ----------------------------------------------------------------------

TEST(User, NumericUserAndGroupInEitherNamespace_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  unsigned long uid = 1000 + random_below(60000), gid = 1000 + random_below(60000);
  std::string spec = std::to_string(uid) + ":" + std::to_string(gid);
  for (const char* mode : {"host", "private"}) {
    auto result = run(ch07({"--userns", mode, "-u", spec}, rootfs(), {"probe"}));
    ASSERT_EQ(result.exit_code, 0) << mode << "\n" << result;
    auto probe = parse_json(result.out);
    EXPECT_EQ(probe["uid"], uid) << mode;
    EXPECT_EQ(probe["gid"], gid) << mode;
    EXPECT_EQ(probe["euid"], uid) << mode;
    EXPECT_EQ(probe["groups"], nlohmann::json::array({gid})) << mode;  // docker 20.10: the primary group
    EXPECT_EQ(probe_env(probe, "HOME"), "/") << mode;  // a uid passwd does not know
  }
}

TEST(User, NamesComeFromTheRootfs_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  auto result = run(ch07({"--userns", "private", "-u", "nobody"}, rootfs(), {"probe"}));
  ASSERT_EQ(result.exit_code, 0) << result;
  auto probe = parse_json(result.out);
  EXPECT_EQ(probe["uid"], kNobody);
  EXPECT_EQ(probe["gid"], kNobody);
}

TEST(User, SupplementaryGroupsFromTheRootfsGroupFile_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  RootfsCopy root;
  std::string name = "u" + dockling::random_hex(4);
  unsigned long uid = 2000 + random_below(30000), gid = uid + 1, extra = uid + 2;
  std::ofstream(root.path + "/etc/passwd", std::ios::app)
      << name << ":x:" << uid << ":" << gid << ":test:/home/" << name << ":/bin/sh\n";
  std::ofstream(root.path + "/etc/group", std::ios::app)
      << name << ":x:" << gid << ":\nextra" << name << ":x:" << extra << ":someone," << name << "\n";
  auto result = run(ch07({"--userns", "private", "-u", name}, root.path, {"probe"}));
  ASSERT_EQ(result.exit_code, 0) << result;
  auto probe = parse_json(result.out);
  EXPECT_EQ(probe["uid"], uid);
  EXPECT_EQ(probe["gid"], gid);
  EXPECT_EQ(probe["groups"], nlohmann::json::array({gid, extra}));
  EXPECT_EQ(probe_env(probe, "HOME"), "/home/" + name);

  // USER:GROUP replaces the memberships (docker: `-u web:nogroup` gives groups=65534 only);
  // --group-add adds names and numbers.
  auto with_group = run(ch07({"--userns", "private", "-u", name + ":" + std::to_string(extra), "--group-add", "nogroup",
                              "--group-add", std::to_string(uid + 3)},
                             root.path, {"probe"}));
  ASSERT_EQ(with_group.exit_code, 0) << with_group;
  auto grouped = parse_json(with_group.out);
  EXPECT_EQ(grouped["gid"], extra);
  EXPECT_EQ(grouped["groups"], nlohmann::json::array({extra, uid + 3, kNobody}));

  auto unknown = run(ch07({"--group-add", "no" + name, "-u", name}, root.path, {"true"}));
  EXPECT_EQ(unknown.exit_code, 125) << unknown;
  EXPECT_NE(unknown.err.find("Unable to find group no" + name + ": no matching entries in group file"), std::string::npos)
      << unknown;
}

TEST(User, HomeComesFromPasswdUnlessTheEnvironmentSetsIt) {
  DOCKLING_REQUIRE_ROOT();
  // docker 20.10: root -> /root, -u nobody -> /nonexistent, -e HOME=... wins.
  auto root_home = run(ch07({}, rootfs(), {"probe"}));
  ASSERT_EQ(root_home.exit_code, 0) << root_home;
  EXPECT_EQ(probe_env(parse_json(root_home.out), "HOME"), "/root");
  auto nobody = run(ch07({"-u", "nobody"}, rootfs(), {"probe"}));
  ASSERT_EQ(nobody.exit_code, 0) << nobody;
  EXPECT_EQ(probe_env(parse_json(nobody.out), "HOME"), "/nonexistent");
  std::string home = "/h" + dockling::random_hex(4);
  auto given = run(ch07({"-u", "nobody", "-e", "HOME=" + home}, rootfs(), {"probe"}));
  ASSERT_EQ(given.exit_code, 0) << given;
  EXPECT_EQ(probe_env(parse_json(given.out), "HOME"), home);
}

TEST(User, UnknownUserFailsWith125) {
  DOCKLING_REQUIRE_ROOT();
  std::string name = unique_name("ghost-");
  auto result = run(ch07({"--userns", "private", "-u", name}, rootfs(), {"true"}));
  EXPECT_EQ(result.exit_code, 125) << result;
  EXPECT_NE(result.err.find("unable to find user " + name), std::string::npos) << result;
}

TEST(User, RootlessCannotBecomeAnUnmappedUser_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  RootfsCopy root;
  auto result = run(as_nobody(ch07({"-u", "1000"}, root.path, {"true"})));
  EXPECT_EQ(result.exit_code, 125) << result;
  EXPECT_NE(result.err.find("user 1000 is not mapped"), std::string::npos) << result;
}

}  // namespace
