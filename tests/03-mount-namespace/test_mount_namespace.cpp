// Chapter 03: a mount namespace, pivot_root, /proc /sys /dev, masked and read-only paths,
// --read-only, --tmpfs, -w, -e and --env-file, and mounts that never leak to the host.
//
// Every test derives from HostMountsUnchanged: the host's mount table must be byte-identical
// before and after it, also when the command fails or the runtime is killed.
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "container_mounts.hpp"
#include "dockling/error.hpp"
#include "dockling/fs.hpp"
#include "dockling/state.hpp"
#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"
#include "env_step.hpp"

namespace {

namespace fs = std::filesystem;
using namespace dockling::testing;
using dockling::TempDir;

const std::string kBinary = "ch03-mount-namespace";

/// Saves the host's mount table before the test and compares it afterwards.
class HostMountsUnchanged : public ::testing::Test {
 protected:
  void SetUp() override { before_ = host_mounts(); }
  void TearDown() override {
    EXPECT_EQ(host_mounts(), before_) << "the host's mount table changed: a mount leaked out of the container";
  }

 private:
  std::string before_;
};

class MountNamespace : public HostMountsUnchanged {};
class ContainerFilesystems : public HostMountsUnchanged {};
class MountSafety : public HostMountsUnchanged {};
class RunFlags : public HostMountsUnchanged {};
class Cleanup : public HostMountsUnchanged {};

/// `ch03-mount-namespace run FLAGS... ROOTFS COMMAND...`
std::vector<std::string> ch03(const std::vector<std::string>& flags, const std::vector<std::string>& command,
                              const std::string& root = rootfs()) {
  std::vector<std::string> argv = {bin(kBinary), "run"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.push_back(root);
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

/// Runs the probe in a container and returns its report (asserting exit code 0).
nlohmann::json probe(const std::vector<std::string>& flags = {}, const std::string& root = rootfs()) {
  auto r = run(ch03(flags, {"/bin/probe"}, root));
  EXPECT_EQ(r.exit_code, 0) << r;
  if (r.exit_code != 0) return nlohmann::json::object();
  return parse_json(r.out);
}

/// A private copy of the test rootfs, for tests that change it or plant traps in it.
class RootfsCopy {
 public:
  RootfsCopy() : dir_("dockling-ch03") {
    fs::copy(rootfs(), path(), fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  }
  std::string path() const { return (dir_.path() / "rootfs").string(); }

 private:
  TempDir dir_;
};

std::set<std::string> entries_of(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.insert(entry.path().filename());
  return names;
}

std::set<std::string> strings_of(const nlohmann::json& array) {
  std::set<std::string> result;
  if (!array.is_array()) return result;
  for (const auto& item : array) result.insert(item.get<std::string>());
  return result;
}

/// What the container's /proc/self/mounts says: mount point → "fstype options".
std::map<std::string, std::string> container_mounts(const std::vector<std::string>& flags = {}) {
  auto r = run(ch03(flags, {"/bin/sh", "-c", "cat /proc/self/mounts"}));
  EXPECT_EQ(r.exit_code, 0) << r;
  std::map<std::string, std::string> mounts;
  std::istringstream lines(r.out);
  std::string source, target, type, options;
  std::string rest;
  while (lines >> source >> target >> type >> options) {
    std::getline(lines, rest);
    mounts[target] = type + " " + options;
  }
  return mounts;
}

bool has_option(const std::string& type_and_options, const std::string& option) {
  std::string options = "," + type_and_options.substr(type_and_options.find(' ') + 1) + ",";
  return options.find("," + option + ",") != std::string::npos;
}

// ---------------------------------------------------------------------------------------
// The namespace and the new root
// ---------------------------------------------------------------------------------------

TEST_F(MountNamespace, HasItsOwnMountNamespace_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  auto report = probe();
  ASSERT_TRUE(report["ns"]["mnt"].is_number()) << report.dump();
  EXPECT_NE(report["ns"]["mnt"].get<ino_t>(), namespace_inode("self", "mnt"));
}

TEST_F(MountNamespace, RootIsTheRootfs_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  auto report = probe();
  EXPECT_EQ(report["cwd"], "/");
  EXPECT_EQ(strings_of(report["root_entries"]), entries_of(rootfs()));
}

TEST_F(MountNamespace, HostPathsOutsideTheRootAreInvisible_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  TempDir outside("dockling-ch03");
  auto marker = outside.path() / unique_name("marker-");
  std::ofstream(marker) << "host";
  auto r = run(ch03({}, {"/bin/sh", "-c", "test -e " + marker.string() + " && echo visible || echo hidden"}));
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "hidden\n");
}

// Chapter 01's test of the same name passes because the escape works; here it must not.
TEST_F(MountNamespace, ChrootEscapeNoLongerReachesTheHost_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  TempDir outside("dockling-ch03");
  auto marker = outside.path() / unique_name("escape-marker-");
  std::ofstream(marker) << "host";
  auto r = run(ch03({}, {"/bin/probe", "escape", marker.string()}));
  ASSERT_EQ(r.exit_code, 0) << r;
  auto report = parse_json(r.out);
  EXPECT_EQ(report["escaped"], false) << "the probe climbed out to the host's root\n" << r;
  EXPECT_TRUE(report["error"].is_null()) << "the escape should have run to its end\n" << r;
}

TEST_F(MountNamespace, OldRootIsDetached_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  // Only the container's own mounts are left: none of the host's (cgroups, /work, ...).
  std::set<std::string> allowed = {"/", "/proc", "/sys", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue"};
  for (const auto& path : dockling::ch03::kMaskedPaths) allowed.insert(path);
  for (const auto& path : dockling::ch03::kReadOnlyPaths) allowed.insert(path);
  auto report = probe();
  ASSERT_TRUE(report["mount_points"].is_array()) << report.dump();
  for (const auto& point : strings_of(report["mount_points"]))
    EXPECT_TRUE(allowed.count(point)) << "a mount from outside the container: " << point;
}

// ---------------------------------------------------------------------------------------
// /proc, /sys, /dev, masked and read-only paths
// ---------------------------------------------------------------------------------------

TEST_F(ContainerFilesystems, ProcSysDevAreMounted_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  auto report = probe();
  EXPECT_TRUE(report["mounts"].is_number()) << "no /proc in the container: " << report.dump();
  auto points = strings_of(report["mount_points"]);
  for (const char* path : {"/proc", "/sys", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue"})
    EXPECT_TRUE(points.count(path)) << path << " is not mounted";

  auto mounts = container_mounts();
  EXPECT_EQ(mounts["/proc"].substr(0, 5), "proc ");
  EXPECT_EQ(mounts["/sys"].substr(0, 6), "sysfs ");
  EXPECT_TRUE(has_option(mounts["/sys"], "ro")) << mounts["/sys"];
  EXPECT_EQ(mounts["/dev"].substr(0, 6), "tmpfs ");
  EXPECT_EQ(mounts["/dev/pts"].substr(0, 7), "devpts ");
  EXPECT_TRUE(has_option(mounts["/dev/pts"], "ptmxmode=666")) << mounts["/dev/pts"];
  EXPECT_EQ(mounts["/dev/shm"].substr(0, 6), "tmpfs ");
  EXPECT_EQ(mounts["/dev/mqueue"].substr(0, 7), "mqueue ");
}

TEST_F(ContainerFilesystems, ProcIsAFreshProcMount_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  // mountinfo's 4th field is the directory of the filesystem that is mounted: "/" for a new
  // proc mount, not a bind of some part of the host's.
  // After the optional fields comes "-", then the filesystem type.
  auto r = run(ch03({}, {"/bin/sh", "-c",
                         "awk '$5 == \"/proc\" { for (i = 7; $i != \"-\"; i++) {}; print $4, $(i + 1) }' "
                         "/proc/self/mountinfo"}));
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "/ proc\n");
  // And it shows the reader's own view: /proc/self is the container's process.
  auto self = run(ch03({}, {"/bin/readlink", "/proc/self/ns/mnt"}));
  ASSERT_EQ(self.exit_code, 0) << self;
  EXPECT_EQ(self.out.rfind("mnt:[", 0), 0u) << self;
  EXPECT_NE(self.out, "mnt:[" + std::to_string(namespace_inode("self", "mnt")) + "]\n") << self;
}

// Enabled once chapter 02's PID namespace is chained in (see mount_step.cpp's TODO(merge)).
TEST_F(ContainerFilesystems, ProcShowsOnlyContainerProcesses_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  auto report = probe();
  ASSERT_TRUE(report["ns"]["pid"].is_number()) << report.dump();
  if (report["ns"]["pid"].get<ino_t>() == namespace_inode("self", "pid"))
    GTEST_SKIP() << "needs chapter 02's PID namespace";
  auto r = run(ch03({}, {"/bin/sh", "-c", "ls /proc"}));
  ASSERT_EQ(r.exit_code, 0) << r;
  std::istringstream names(r.out);
  std::set<std::string> pids;
  for (std::string name; names >> name;)
    if (name.find_first_not_of("0123456789") == std::string::npos) pids.insert(name);
  EXPECT_TRUE(pids.count("1")) << r;
  EXPECT_LE(pids.size(), 3u) << "the host's processes are visible in /proc\n" << r;
}

TEST_F(ContainerFilesystems, DevHasTheStandardDevicesAndLinks_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  std::string script =
      "for d in null zero full random urandom tty; do test -c /dev/$d && echo $d; done;"
      "for l in fd stdin stdout stderr ptmx; do echo $l $(readlink /dev/$l); done;"
      "echo gone > /dev/null && head -c 5 /dev/zero | wc -c; test -c /dev/pts/ptmx && echo pts";
  auto r = run(ch03({}, {"/bin/sh", "-c", script}));
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out,
            "null\nzero\nfull\nrandom\nurandom\ntty\n"
            "fd /proc/self/fd\nstdin /proc/self/fd/0\nstdout /proc/self/fd/1\nstderr /proc/self/fd/2\n"
            "ptmx pts/ptmx\n5\npts\n");
  // The devices are usable by anyone (0666), as in docker.
  auto modes = run(ch03({}, {"/bin/sh", "-c", "stat -c %a /dev/null /dev/urandom"}));
  EXPECT_EQ(modes.out, "666\n666\n") << modes;
}

TEST_F(ContainerFilesystems, MaskedPathsAreHidden_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  // The container sees the host's kernel: test each masked path that this kernel has.
  std::string script;
  std::set<std::string> present;
  for (const auto& path : dockling::ch03::kMaskedPaths) {
    if (!dockling::path_exists(path)) continue;
    present.insert(path);
    if (dockling::is_directory(path)) {
      script += "echo " + path + " $(ls -A " + path + " | wc -l);";
    } else {
      script += "echo " + path + " $(cat " + path + " 2>/dev/null | wc -c);";
    }
  }
  ASSERT_FALSE(present.empty()) << "this kernel has none of docker's masked paths";
  auto r = run(ch03({}, {"/bin/sh", "-c", script}));
  ASSERT_EQ(r.exit_code, 0) << r;
  std::string expected;
  for (const auto& path : dockling::ch03::kMaskedPaths)
    if (present.count(path)) expected += path + " 0\n";
  EXPECT_EQ(r.out, expected) << "a masked path shows the host's data";
  auto points = strings_of(probe()["mount_points"]);
  for (const auto& path : present) EXPECT_TRUE(points.count(path)) << path << " is not masked";
}

TEST_F(ContainerFilesystems, ReadOnlyPathsRefuseWrites_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  // Writes the host's own value back: harmless even if the path were writable.
  std::string script = "v=$(cat /proc/sys/kernel/hostname); echo \"$v\" > /proc/sys/kernel/hostname";
  auto r = run(ch03({}, {"/bin/sh", "-c", script}));
  EXPECT_NE(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find("Read-only file system"), std::string::npos) << r;
  if (dockling::path_exists("/proc/sysrq-trigger")) {
    // A newline is no sysrq command; the write is refused before it reaches the kernel.
    auto sysrq = run(ch03({}, {"/bin/sh", "-c", "echo > /proc/sysrq-trigger"}));
    EXPECT_NE(sysrq.exit_code, 0) << sysrq;
    EXPECT_NE(sysrq.err.find("Read-only file system"), std::string::npos) << sysrq;
  }
  auto mounts = container_mounts();
  for (const auto& path : dockling::ch03::kReadOnlyPaths) {
    if (!dockling::path_exists(path)) continue;
    ASSERT_TRUE(mounts.count(path)) << path << " has no mount of its own";
    EXPECT_TRUE(has_option(mounts[path], "ro")) << path << ": " << mounts[path];
  }
}

// ---------------------------------------------------------------------------------------
// Symbolic links in the rootfs must not steer the mounts
// ---------------------------------------------------------------------------------------

TEST_F(MountSafety, SymlinkedProcStaysInsideTheRoot_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  RootfsCopy copy;
  fs::remove(fs::path(copy.path()) / "proc");
  fs::create_directory_symlink("/etc", fs::path(copy.path()) / "proc");  // a hostile rootfs
  std::string host_passwd = dockling::read_file("/etc/passwd");

  auto r = run(ch03({}, {"/bin/probe"}, copy.path()));
  ASSERT_EQ(r.exit_code, 0) << r;
  auto points = strings_of(parse_json(r.out)["mount_points"]);
  // The link was followed inside the root: proc landed on the container's own /etc.
  EXPECT_TRUE(points.count("/etc")) << r;
  EXPECT_EQ(dockling::read_file("/etc/passwd"), host_passwd);
  EXPECT_EQ(host_mounts().find(" /etc "), std::string::npos) << "something is mounted on the host's /etc";
}

TEST_F(MountSafety, MagicLinkTargetIsRefused) {
  DOCKLING_REQUIRE_ROOT();
  RootfsCopy copy;
  // /proc/1/root is a "magic link": it jumps to PID 1's root, the host's, whatever our root.
  fs::remove(fs::path(copy.path()) / "sys");
  fs::create_directory_symlink("/proc/1/root/etc", fs::path(copy.path()) / "sys");
  auto r = run(ch03({}, {"/bin/true"}, copy.path()));
  EXPECT_EQ(r.exit_code, 125) << r;
  EXPECT_NE(r.err.find("/sys"), std::string::npos) << r;
  EXPECT_EQ(host_mounts().find(" /etc "), std::string::npos) << "something is mounted on the host's /etc";
}

// ---------------------------------------------------------------------------------------
// --read-only, --tmpfs, -w, -e, --env-file
// ---------------------------------------------------------------------------------------

TEST_F(RunFlags, ReadOnlyRootRefusesWrites_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  std::string name = unique_name("x-");
  auto r = run(ch03({"--read-only"}, {"/bin/touch", "/" + name}));
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_NE(r.err.find("Read-only file system"), std::string::npos) << r;
  EXPECT_FALSE(dockling::path_exists(rootfs() + "/" + name));
  EXPECT_TRUE(has_option(container_mounts({"--read-only"})["/"], "ro"));
}

TEST_F(RunFlags, TmpfsIsWritableUnderAReadOnlyRoot_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  RootfsCopy copy;
  std::string name = unique_name("scratch-");
  std::string script = "echo data > /tmp/" + name + " && cat /tmp/" + name + " && touch /" + name +
                       "/f && stat -c %a /" + name + " && awk '$2 == \"/tmp\" || $2 == \"/" + name +
                       "\" { print $2, $3, $4 }' /proc/self/mounts";
  auto r = run(ch03({"--read-only", "--tmpfs", "/tmp", "--tmpfs", "/" + name + ":size=1m,mode=1777,exec"},
                    {"/bin/sh", "-c", script}, copy.path()));
  ASSERT_EQ(r.exit_code, 0) << r;
  std::istringstream lines(r.out);
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line, "data");
  std::getline(lines, line);
  EXPECT_EQ(line, "1777") << "mode=1777 was not applied";
  std::map<std::string, std::string> mounts;
  while (std::getline(lines, line)) mounts[line.substr(0, line.find(' '))] = line.substr(line.find(' ') + 1);
  // Docker's defaults: noexec,nosuid,nodev; "exec" lifts noexec; size=1m is 1024k.
  for (const char* option : {"rw", "noexec", "nosuid", "nodev"})
    EXPECT_TRUE(has_option(mounts["/tmp"], option)) << option << ": " << mounts["/tmp"];
  EXPECT_FALSE(has_option(mounts["/" + name], "noexec")) << mounts["/" + name];
  EXPECT_TRUE(has_option(mounts["/" + name], "size=1024k")) << mounts["/" + name];
  // Nothing written in a tmpfs reaches the rootfs.
  EXPECT_FALSE(dockling::path_exists(copy.path() + "/tmp/" + name));
}

TEST_F(RunFlags, TmpfsPathMustBeAbsolute) {
  auto r = run(ch03({"--tmpfs", "relative/path"}, {"/bin/true"}));
  EXPECT_EQ(r.exit_code, 125) << r;
  EXPECT_NE(r.err.find("relative/path"), std::string::npos) << r;
}

TEST_F(RunFlags, WorkdirSetsCwdAndIsCreated_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  RootfsCopy copy;
  std::string dir = "/" + unique_name("work-") + "/sub";
  auto report = probe({"-w", dir}, copy.path());
  EXPECT_EQ(report["cwd"], dir);
  EXPECT_TRUE(dockling::is_directory(copy.path() + dir)) << "the workdir was not created in the rootfs";
  EXPECT_EQ(probe({"--workdir", "/etc"})["cwd"], "/etc");
}

TEST_F(RunFlags, EnvFlagsSetTheEnvironment_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  std::string value = unique_name("v-");
  std::string passed = unique_name("DOCKLING_PASSED_"), unset = unique_name("DOCKLING_UNSET_");
  ::setenv(passed.c_str(), value.c_str(), 1);
  auto report = probe({"-e", "GREETING=" + value, "--env", passed, "-e", unset, "-e", "PATH=/bin"});
  ::unsetenv(passed.c_str());
  auto env = strings_of(report["env"]);
  EXPECT_TRUE(env.count("GREETING=" + value)) << report["env"].dump();
  EXPECT_TRUE(env.count(passed + "=" + value)) << "-e KEY takes the runtime's value\n" << report["env"].dump();
  for (const auto& entry : env) {
    EXPECT_NE(entry.rfind(unset, 0), 0u) << "an unset variable was passed: " << entry;
    if (entry.rfind("PATH=", 0) == 0) {
      EXPECT_EQ(entry, "PATH=/bin") << "-e replaces the default PATH";
    }
  }
}

TEST_F(RunFlags, EnvFileSetsTheEnvironment_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  TempDir dir("dockling-ch03");
  std::string value = unique_name("v-");
  std::string passed = unique_name("DOCKLING_PASSED_");
  std::string file = (dir.path() / "env.list").string();
  std::ofstream(file) << "# a comment\n\nFIRST=" << value << "\n  SPACED=a \"quoted\" value\n" << passed
                      << "\nOVERRIDDEN=file\n";
  ::setenv(passed.c_str(), value.c_str(), 1);
  auto report = probe({"--env-file", file, "-e", "OVERRIDDEN=flag"});
  ::unsetenv(passed.c_str());
  auto env = strings_of(report["env"]);
  EXPECT_TRUE(env.count("FIRST=" + value)) << report["env"].dump();
  EXPECT_TRUE(env.count("SPACED=a \"quoted\" value")) << "values are taken literally\n" << report["env"].dump();
  EXPECT_TRUE(env.count(passed + "=" + value)) << report["env"].dump();
  EXPECT_TRUE(env.count("OVERRIDDEN=flag")) << "-e wins over --env-file\n" << report["env"].dump();
  EXPECT_FALSE(env.count("OVERRIDDEN=file")) << report["env"].dump();
}

TEST_F(RunFlags, BadEnvFileIs125NamingFileAndLine) {
  TempDir dir("dockling-ch03");
  std::string file = (dir.path() / unique_name("env-")).string();
  std::ofstream(file) << "GOOD=1\n# fine\nBAD NAME=2\n";
  auto r = run(ch03({"--env-file", file}, {"/bin/true"}));
  EXPECT_EQ(r.exit_code, 125) << r;
  EXPECT_NE(r.err.find(file), std::string::npos) << r;
  EXPECT_NE(r.err.find("line 3"), std::string::npos) << r;

  std::string missing = (dir.path() / unique_name("missing-")).string();
  auto none = run(ch03({"--env-file", missing}, {"/bin/true"}));
  EXPECT_EQ(none.exit_code, 125) << none;
  EXPECT_NE(none.err.find(missing), std::string::npos) << none;
}

TEST_F(RunFlags, ParseTmpfsFollowsDocker) {
  auto plain = dockling::ch03::parse_tmpfs("/run");
  EXPECT_EQ(plain.path, "/run");
  EXPECT_EQ(plain.flags, static_cast<unsigned long>(MS_NOEXEC | MS_NOSUID | MS_NODEV));
  EXPECT_EQ(plain.data, "");
  auto custom = dockling::ch03::parse_tmpfs("/data:size=64m,ro,mode=1777,exec,suid");
  EXPECT_EQ(custom.flags, static_cast<unsigned long>(MS_RDONLY | MS_NODEV));
  EXPECT_EQ(custom.data, "size=64m,mode=1777");
  EXPECT_THROW(dockling::ch03::parse_tmpfs("data:size=1m"), dockling::Error);
}

// ---------------------------------------------------------------------------------------
// Nothing is left behind
// ---------------------------------------------------------------------------------------

TEST_F(Cleanup, FailuresLeaveNoMount_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  EXPECT_EQ(run(ch03({}, {"dockling-no-such-command"})).exit_code, 127);
  EXPECT_EQ(run(ch03({"--tmpfs", "/tmp"}, {"/bin/sh", "-c", "exit 7"})).exit_code, 7);
  // Fails in the child after most mounts are made: /etc/passwd cannot be a directory.
  auto r = run(ch03({"-w", "/etc/passwd/sub"}, {"/bin/true"}));
  EXPECT_EQ(r.exit_code, 125) << r;
  EXPECT_NE(r.err.find("/etc/passwd"), std::string::npos) << r;
}

/// The processes on the host that are in the mount namespace `ns` ("mnt:[N]") now.
std::vector<dockling::ProcessIdentity> processes_in(const std::string& ns) {
  std::vector<dockling::ProcessIdentity> found;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    std::error_code error;
    if (fs::read_symlink(entry.path() / "ns" / "mnt", error).string() != ns) continue;
    found.push_back(dockling::ProcessIdentity::of(std::stoi(entry.path().filename().string())));
  }
  return found;
}

/// True while one of `processes` still runs (the same PID with the same start time).
bool any_alive(const std::vector<dockling::ProcessIdentity>& processes) {
  for (const auto& process : processes)
    if (process.alive()) return true;
  return false;
}

TEST_F(Cleanup, KilledRuntimeLeavesNoMount_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  Background runtime(ch03({"--tmpfs", "/tmp"}, {"/bin/sh", "-c", "readlink /proc/self/ns/mnt; exec sleep 60"}));
  auto ns = runtime.read_line();
  ASSERT_TRUE(ns && ns->rfind("mnt:[", 0) == 0) << "the container did not start";
  auto container = processes_in(*ns);
  ASSERT_FALSE(container.empty()) << "no process is in the container's mount namespace " << *ns;
  runtime.signal(SIGKILL);
  EXPECT_EQ(runtime.wait().exit_code, 137);
  // PR_SET_PDEATHSIG kills the container with the runtime; its namespace goes with it. The
  // processes are followed, not the namespace's number: the kernel hands a freed number to the
  // next new namespace, which a test running beside this one may well create.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (any_alive(container) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(any_alive(container)) << "a process of the container outlived the killed runtime";
}

}  // namespace
