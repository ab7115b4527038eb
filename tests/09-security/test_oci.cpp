// Chapter 09: OCI bundles, side by side with runc and crun.
#include <unistd.h>

#include <csignal>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "dockling/fs.hpp"
#include "dockling/tempdir.hpp"
#include "cgroup.hpp"
#include "dockling/testing.hpp"
#include "bundle.hpp"

namespace {

namespace fs = std::filesystem;
using namespace dockling::testing;
using nlohmann::json;

bool have(const char* path) { return ::access(path, X_OK) == 0; }

/// The mountinfo lines of the mounts at `paths`, without ids: "MOUNT-POINT OPTIONS [TAGS] - TYPE".
const char* kMountLines =
    "grep -E ' ($PATHS) ' /proc/self/mountinfo | sed -E 's/^[0-9]+ [0-9]+ [0-9:]+ [^ ]+ //; s/ [^ ]+ [^ ]+$//' | sort";

std::string mount_lines(const std::string& paths) {
  std::string command = kMountLines;
  return command.replace(command.find("$PATHS"), 6, paths);
}

RunResult dockling_run(const Bundle& bundle) {
  return run({bin("ch09-security"), "oci", "run", "--bundle", bundle.path(), unique_name("oci")});
}
RunResult runc_run(const Bundle& bundle) {
  return run({"/usr/sbin/runc", "run", "--bundle", bundle.path(), unique_name("runc")});
}
/// Runs the bundle with dockling and with runc; both must succeed with the same output.
void expect_same_as_runc(const Bundle& bundle) {
  auto ours = dockling_run(bundle), theirs = runc_run(bundle);
  EXPECT_EQ(ours.exit_code, 0) << ours;
  EXPECT_EQ(theirs.exit_code, 0) << theirs;
  EXPECT_EQ(ours.out, theirs.out) << "dockling:\n" << ours << "\nrunc:\n" << theirs;
}

/// A bad bundle: exit 125, config.json and `field` named, no mount left behind.
void expect_refused(const Bundle& bundle, const std::string& field) {
  std::string mounts = host_mounts();
  auto result = dockling_run(bundle);
  EXPECT_EQ(result.exit_code, 125) << result;
  EXPECT_NE(result.err.find("config.json"), std::string::npos) << result;
  EXPECT_NE(result.err.find(field), std::string::npos) << result;
  EXPECT_EQ(host_mounts(), mounts);
}

/// crun refuses a hybrid cgroup layout (v1 controllers and a v2 tree at
/// /sys/fs/cgroup/unified): hide the v2 tree in a private mount namespace, as the benchmark does.
RunResult crun_run(const Bundle& bundle) {
  return run({"/usr/bin/unshare", "-m", "/bin/sh", "-c",
              "umount /sys/fs/cgroup/unified 2>/dev/null || true; exec /usr/bin/crun run --bundle \"$0\" \"$1\"",
              bundle.path(), unique_name("crun")});
}

/// What must be equal between runtimes: everything but ids, inode numbers and pids.
json comparable(const json& report) {
  json out;
  std::vector<std::string> namespaces;
  for (const auto& [name, inode] : report["ns"].items()) namespaces.push_back(name);
  out["namespaces"] = namespaces;
  for (const char* key : {"pid", "uid", "euid", "gid", "egid", "groups", "hostname", "cwd", "caps", "no_new_privs", "seccomp"})
    out[key] = report[key];
  out["nofile"] = report["rlimits"]["nofile"];
  // Mount points as a set, without the cgroup hierarchies (runc joins every v1 hierarchy,
  // dockling only those it limits, and crun mounts them differently).
  std::set<std::string> mounts;
  for (const auto& point : report["mount_points"]) {
    std::string text = point.get<std::string>();
    if (text.rfind("/sys/fs/cgroup", 0) != 0) mounts.insert(text);
  }
  out["mount_points"] = mounts;
  return out;
}

/// Whether the container's network namespace differs from the host's.
bool own_network(const json& report) {
  return report["ns"]["net"] != namespace_inode("self", "net");
}

TEST(OciSpec, WritesAConfigThatRunsAndRefusesToOverwrite_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  Bundle bundle({"/bin/probe"}, /*from_runc=*/false);
  auto again = run({bin("ch09-security"), "oci", "spec", "--bundle", bundle.path()});
  EXPECT_NE(again.exit_code, 0) << again;
  auto result = dockling_run(bundle);
  ASSERT_EQ(result.exit_code, 0) << result;
  auto report = parse_json(result.out);
  EXPECT_EQ(report["hostname"], bundle.config["hostname"]);
  EXPECT_EQ(report["pid"], 1);
  EXPECT_TRUE(own_network(report));
}

TEST(OciRun, HonoursProcessFields_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  Bundle bundle({"/bin/probe"});
  unsigned uid = 1000 + static_cast<unsigned>(::getpid() % 1000);
  bundle.config["process"]["user"] = {{"uid", uid}, {"gid", uid + 1}, {"additionalGids", {uid + 2}}};
  bundle.config["process"]["cwd"] = "/tmp";
  bundle.config["process"]["env"] = {"PATH=/bin", "MARK=" + unique_name("m")};
  bundle.save();
  auto result = dockling_run(bundle);
  ASSERT_EQ(result.exit_code, 0) << result;
  auto report = parse_json(result.out);
  EXPECT_EQ(report["uid"], uid);
  EXPECT_EQ(report["gid"], uid + 1);
  EXPECT_EQ(report["groups"], json::array({uid + 2}));
  EXPECT_EQ(report["cwd"], "/tmp");
  EXPECT_NE(std::find(report["env"].begin(), report["env"].end(), bundle.config["process"]["env"][1]), report["env"].end());
  // A non-root user keeps only the bounding set across exec (no inheritable, so no ambient).
  EXPECT_EQ(report["caps"]["bounding"], json::array({"CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE"}));
}

TEST(OciRun, ABadConfigNamesTheField) {
  DOCKLING_REQUIRE_ROOT();
  Bundle bundle({"/bin/probe"});
  bundle.config["process"].erase("args");
  bundle.save();
  auto result = dockling_run(bundle);
  EXPECT_EQ(result.exit_code, 125) << result;
  EXPECT_NE(result.err.find("process.args"), std::string::npos) << result;
}

TEST(OciRun, AFieldNotHonouredIsNamedInAWarning_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  Bundle bundle({"true"});
  bundle.config["linux"]["personality"] = {{"domain", "LINUX"}};
  bundle.save();
  auto result = dockling_run(bundle);
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_NE(result.err.find("linux.personality"), std::string::npos) << result;
}

TEST(OciRun, TheBundlesSeccompProfileApplies_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  Bundle bundle({"/bin/probe", "keyctl"});
  bundle.config["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"syscalls", {{{"names", {"keyctl"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 1}}}}};
  bundle.save();
  auto result = dockling_run(bundle);
  ASSERT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(parse_json(result.out)["keyctl"], false) << result;
}

TEST(SideBySide, DocklingSeesWhatRuncSees_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  ASSERT_TRUE(have("/usr/sbin/runc")) << "runc is missing: apt-get install runc";
  Bundle bundle({"/bin/probe"});
  auto ours = dockling_run(bundle), theirs = runc_run(bundle);
  ASSERT_EQ(ours.exit_code, 0) << ours;
  ASSERT_EQ(theirs.exit_code, 0) << theirs;
  auto a = parse_json(ours.out), b = parse_json(theirs.out);
  EXPECT_EQ(comparable(a).dump(1), comparable(b).dump(1));
  EXPECT_EQ(own_network(a), own_network(b));
}

TEST(SideBySide, DocklingSeesWhatCrunSees_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  if (!have("/usr/bin/crun")) GTEST_SKIP() << "crun is not installed (apt-get install crun)";
  Bundle bundle({"/bin/probe"});
  auto ours = dockling_run(bundle), theirs = crun_run(bundle);
  ASSERT_EQ(ours.exit_code, 0) << ours;
  ASSERT_EQ(theirs.exit_code, 0) << theirs;
  auto a = parse_json(ours.out), b = parse_json(theirs.out);
  EXPECT_EQ(comparable(a).dump(1), comparable(b).dump(1));
}

// --- mounts ----------------------------------------------------------------------------

/// A bind mount of a directory (rbind, ro, nosuid, nodev, a propagation) and of a file
/// (relative to the bundle), and a tmpfs, on mount points made in a read-only root: the
/// same content, options and propagation as runc gives.
TEST(OciMounts, BindMountsAndATmpfsAsRuncMakesThem_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  ASSERT_TRUE(have("/usr/sbin/runc"));
  dockling::TempDir host{"ch09-bind"};
  std::string marker = unique_name("m");
  std::ofstream(host.path() / "marker") << marker;
  Bundle bundle({"/bin/sh", "-c",
                 "cat /data/marker /etc/file; echo; touch /data/new 2>/dev/null || echo read-only; " +
                     mount_lines("/data|/etc/file|/plain|/scratch2")});
  bundle.own_rootfs();
  std::ofstream(bundle.dir.path() / "file") << "file-" << marker;
  bundle.config["mounts"].push_back({{"destination", "/data"}, {"type", "bind"}, {"source", host.path().string()},
                                     {"options", {"rbind", "ro", "nosuid", "nodev", "rprivate"}}});
  bundle.config["mounts"].push_back({{"destination", "/etc/file"}, {"type", "none"}, {"source", "file"}, {"options", {"bind"}}});
  bundle.config["mounts"].push_back({{"destination", "/plain"}, {"source", host.path().string()}, {"options", {"rbind", "noexec"}}});
  bundle.config["mounts"].push_back({{"destination", "/scratch2"}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"options", {"nosuid", "size=1m"}}});
  bundle.save();
  ASSERT_FALSE(fs::exists(bundle.dir.path() / "rootfs/data"));
  auto ours = dockling_run(bundle);
  ASSERT_EQ(ours.exit_code, 0) << ours;
  EXPECT_NE(ours.out.find(marker + "file-" + marker + "\nread-only\n"), std::string::npos) << ours;
  EXPECT_TRUE(fs::is_directory(bundle.dir.path() / "rootfs/data"));
  EXPECT_TRUE(fs::is_regular_file(bundle.dir.path() / "rootfs/etc/file"));
  EXPECT_FALSE(fs::exists(host.path() / "new"));
  auto theirs = runc_run(bundle);
  ASSERT_EQ(theirs.exit_code, 0) << theirs;
  EXPECT_EQ(ours.out, theirs.out);
}

/// A symbolic link in the rootfs pointing at a host directory does not take a mount point there.
TEST(OciMounts, ASymlinkInTheRootfsCannotSteerAMountOutside_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  dockling::TempDir host{"ch09-target"};
  Bundle bundle({"true"});
  bundle.own_rootfs();
  fs::create_directory_symlink(host.path(), bundle.dir.path() / "rootfs/evil");
  fs::create_directories(bundle.dir.path() / "rootfs" / host.path().relative_path());  // where it leads inside
  bundle.config["mounts"].push_back({{"destination", "/evil/x"}, {"type", "tmpfs"}, {"source", "tmpfs"}});
  bundle.save();
  auto result = dockling_run(bundle);
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_FALSE(fs::exists(host.path() / "x"));
  EXPECT_TRUE(fs::is_directory(bundle.dir.path() / "rootfs" / host.path().relative_path() / "x"));
}

TEST(OciMounts, AMissingBindSourceIsRefused) {
  DOCKLING_REQUIRE_ROOT();
  Bundle bundle({"true"});
  bundle.config["mounts"].push_back({{"destination", "/tmp"}, {"type", "bind"}, {"source", "/nonexistent-" + unique_name("s")}});
  bundle.save();
  expect_refused(bundle, "mounts[" + std::to_string(bundle.config["mounts"].size() - 1) + "].source");
}

TEST(OciMounts, ARelativeDestinationIsRefused) {
  DOCKLING_REQUIRE_ROOT();
  Bundle bundle({"true"});
  bundle.config["mounts"].push_back({{"destination", "tmp"}, {"type", "tmpfs"}});
  bundle.save();
  expect_refused(bundle, "mounts[" + std::to_string(bundle.config["mounts"].size() - 1) + "].destination");
}

// --- user namespace ---------------------------------------------------------------------

/// linux.uidMappings and gidMappings with a user namespace: exactly those maps, as runc
/// writes them; root inside is a random unprivileged id outside.
TEST(OciUserNamespace, TheBundlesMapsAsRuncWritesThem_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  ASSERT_TRUE(have("/usr/sbin/runc"));
  unsigned base = 200000 + 65536 * static_cast<unsigned>(::getpid() % 100);
  Bundle bundle({"/bin/sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map | tr -s ' '; id -u; id -g; echo x > /tmp/f && stat -c %u /tmp/f"});
  bundle.config["linux"]["namespaces"].push_back({{"type", "user"}});
  bundle.config["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", base}, {"size", 65536}}};
  bundle.config["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", base + 1}, {"size", 1000}},
                                          {{"containerID", 1000}, {"hostID", base + 2000}, {"size", 64536}}};
  bundle.config["mounts"].push_back({{"destination", "/tmp"}, {"type", "tmpfs"}, {"source", "tmpfs"}});
  bundle.save();
  auto ours = dockling_run(bundle);
  ASSERT_EQ(ours.exit_code, 0) << ours;
  EXPECT_NE(ours.out.find(fmt::format("0 {} 65536", base)), std::string::npos) << ours;
  EXPECT_NE(ours.out.find(fmt::format("1000 {} 64536", base + 2000)), std::string::npos) << ours;
  EXPECT_EQ(ours.err.find("user"), std::string::npos) << "no warning about the user namespace\n" << ours;
  expect_same_as_runc(bundle);
}

TEST(OciUserNamespace, AUserNamespaceWithoutMapsIsRefused) {
  DOCKLING_REQUIRE_ROOT();
  Bundle bundle({"true"});
  bundle.config["linux"]["namespaces"].push_back({{"type", "user"}});
  bundle.save();
  expect_refused(bundle, "linux.uidMappings");
}

TEST(OciUserNamespace, MapsWithoutAUserNamespaceAreRefused) {
  DOCKLING_REQUIRE_ROOT();
  Bundle bundle({"true"});
  bundle.config["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 1}}};
  bundle.save();
  expect_refused(bundle, "linux.gidMappings");
}

// --- sysctl -----------------------------------------------------------------------------

/// Namespaced sysctls are written in the container's own network and IPC namespaces, and
/// /proc/sys is read-only again afterwards; runc shows the same.
TEST(OciSysctl, NamespacedSysctlsAreWrittenAsRuncWritesThem_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  ASSERT_TRUE(have("/usr/sbin/runc"));
  std::string shmmax = std::to_string(100000000 + ::getpid());
  std::string host_forward = dockling::read_file("/proc/sys/net/ipv4/ip_forward");
  std::string host_shmmax = dockling::read_file("/proc/sys/kernel/shmmax");
  Bundle bundle({"/bin/sh", "-c",
                 "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax /proc/sys/fs/mqueue/msg_max; "
                 "echo 0 2>/dev/null > /proc/sys/net/ipv4/ip_forward || echo read-only"});
  bundle.config["linux"]["sysctl"] = {{"net.ipv4.ip_forward", host_forward == "1\n" ? "0" : "1"},
                                      {"kernel.shmmax", shmmax}, {"fs.mqueue.msg_max", "17"}};
  bundle.save();
  auto ours = dockling_run(bundle);
  ASSERT_EQ(ours.exit_code, 0) << ours;
  EXPECT_EQ(ours.out, fmt::format("{}\n{}\n17\nread-only\n", host_forward == "1\n" ? "0" : "1", shmmax)) << ours;
  EXPECT_EQ(dockling::read_file("/proc/sys/net/ipv4/ip_forward"), host_forward);
  EXPECT_EQ(dockling::read_file("/proc/sys/kernel/shmmax"), host_shmmax);
  expect_same_as_runc(bundle);
}

TEST(OciSysctl, AHostWideSysctlIsRefused) {
  DOCKLING_REQUIRE_ROOT();
  Bundle bundle({"true"});
  bundle.config["linux"]["sysctl"] = {{"kernel.pid_max", "4194304"}};
  bundle.save();
  expect_refused(bundle, "linux.sysctl[\"kernel.pid_max\"]");
}

TEST(OciSysctl, ANetworkSysctlWithoutANetworkNamespaceIsRefused) {
  DOCKLING_REQUIRE_ROOT();
  Bundle bundle({"true"});
  auto& namespaces = bundle.config["linux"]["namespaces"];
  for (size_t i = 0; i < namespaces.size(); ++i)
    if (namespaces[i]["type"] == "network") namespaces.erase(i);
  bundle.config["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}};
  bundle.save();
  expect_refused(bundle, "linux.sysctl[\"net.ipv4.ip_forward\"]");
}

TEST(OciSysctl, AnUnknownSysctlNamesTheKey) {
  DOCKLING_REQUIRE_ROOT();
  Bundle bundle({"true"});
  bundle.config["linux"]["sysctl"] = {{"net.ipv4.no_such_" + unique_name("k"), "1"}};
  bundle.save();
  expect_refused(bundle, "linux.sysctl[\"net.ipv4.no_such_");
}

// --- the cgroup mount --------------------------------------------------------------------

/// runc spec's cgroup mount: the container sees its own cgroup (its own limits), read-only,
/// as with runc (on cgroup v1, a tmpfs of read-only binds; on v2, cgroup2).
TEST(OciCgroupMount, TheContainerSeesItsOwnCgroupReadOnly_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  ASSERT_TRUE(have("/usr/sbin/runc"));
  bool v2 = fs::exists("/sys/fs/cgroup/cgroup.controllers");
  long limit = (64 + ::getpid() % 64) * 1024 * 1024;
  int pids = 100 + ::getpid() % 100;
  Bundle bundle({"/bin/sh", "-c",
                 v2 ? "cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max; mkdir /sys/fs/cgroup/x 2>/dev/null || echo read-only"
                    : "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max; "
                      "mkdir /sys/fs/cgroup/memory/x 2>/dev/null || echo read-only; test -L /sys/fs/cgroup/cpu && echo ok; true"});
  bool listed = false;
  for (const auto& mount : bundle.config["mounts"]) listed = listed || mount["type"] == "cgroup";
  ASSERT_TRUE(listed) << "runc spec lists a cgroup mount";
  bundle.config["linux"]["namespaces"].push_back({{"type", "cgroup"}});
  bundle.config["linux"]["resources"]["memory"] = {{"limit", limit}};
  bundle.config["linux"]["resources"]["pids"] = {{"limit", pids}};
  bundle.save();
  auto ours = dockling_run(bundle);
  ASSERT_EQ(ours.exit_code, 0) << ours;
  EXPECT_EQ(ours.out.substr(0, ours.out.find("read-only")), fmt::format("{}\n{}\n", limit, pids)) << ours;
  EXPECT_NE(ours.out.find("read-only"), std::string::npos) << ours;
  if (!v2 && fs::is_symlink("/sys/fs/cgroup/cpu")) {
    EXPECT_NE(ours.out.find("ok"), std::string::npos) << ours;
  }
  EXPECT_EQ(ours.err.find("mounts"), std::string::npos) << "no warning about the cgroup mount\n" << ours;
  expect_same_as_runc(bundle);
}

TEST(OciCgroupMount, ACgroupMountWithoutADestinationIsRefused) {
  DOCKLING_REQUIRE_ROOT();
  Bundle bundle({"true"});
  for (auto& mount : bundle.config["mounts"])
    if (mount["type"] == "cgroup") mount.erase("destination");
  bundle.save();
  expect_refused(bundle, ".destination");
}

// --- namespaces by path -------------------------------------------------------------------

/// linux.namespaces with a path: the container joins that UTS, IPC and cgroup namespace
/// (here a background process's), and runc joins the same ones.
TEST(OciNamespaces, JoinsUtsIpcAndCgroupNamespacesByPath_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  ASSERT_TRUE(have("/usr/sbin/runc"));
  std::string hostname = unique_name("joined");
  Background holder({"/usr/bin/unshare", "--uts", "--ipc", "--cgroup", "/bin/sh", "-c",
                     "hostname " + hostname + " && echo ready && exec sleep 60"});
  ASSERT_EQ(holder.read_line(), "ready");
  std::string pid = std::to_string(holder.pid());
  Bundle bundle({"/bin/probe"});
  bundle.config.erase("hostname");
  for (const char* type : {"uts", "ipc"})
    for (auto& ns : bundle.config["linux"]["namespaces"])
      if (ns["type"] == type) ns["path"] = "/proc/" + pid + "/ns/" + type;
  bundle.config["linux"]["namespaces"].push_back({{"type", "cgroup"}, {"path", "/proc/" + pid + "/ns/cgroup"}});
  bundle.save();
  for (auto result : {dockling_run(bundle), runc_run(bundle)}) {
    ASSERT_EQ(result.exit_code, 0) << result;
    auto report = parse_json(result.out);
    EXPECT_EQ(report["hostname"], hostname) << result;
    for (const char* type : {"uts", "ipc", "cgroup"})
      EXPECT_EQ(report["ns"][type], namespace_inode(pid, type)) << type << "\n" << result;
  }
  holder.signal(SIGKILL);
  holder.wait();
}

TEST(OciNamespaces, JoiningAPidNamespaceByPathIsRefused) {
  DOCKLING_REQUIRE_ROOT();
  Bundle bundle({"true"});
  for (auto& ns : bundle.config["linux"]["namespaces"])
    if (ns["type"] == "pid") ns["path"] = "/proc/1/ns/pid";
  bundle.save();
  expect_refused(bundle, "].path");
}

TEST(OciNamespaces, AMissingNamespacePathIsRefused) {
  DOCKLING_REQUIRE_ROOT();
  Bundle bundle({"true"});
  for (auto& ns : bundle.config["linux"]["namespaces"])
    if (ns["type"] == "uts") ns["path"] = "/nonexistent/" + unique_name("ns");
  bundle.save();
  expect_refused(bundle, "linux.namespaces");
}

// --- devices and unified resources ---------------------------------------------------------

/// linux.devices: nodes with the bundle's type, numbers, mode, owner and group, as runc makes them.
TEST(OciDevices, NodesAreMadeAsRuncMakesThem_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  ASSERT_TRUE(have("/usr/sbin/runc"));
  unsigned owner = 1000 + static_cast<unsigned>(::getpid() % 1000);
  Bundle bundle({"/bin/sh", "-c", "stat -c '%n %F %t:%T %a %u:%g' /dev/oci-null /dev/sub/oci-loop /dev/oci-fifo"});
  bundle.config["linux"]["devices"] = {
      {{"path", "/dev/oci-null"}, {"type", "c"}, {"major", 1}, {"minor", 3}, {"fileMode", 0620}, {"uid", owner}, {"gid", owner + 1}},
      {{"path", "/dev/sub/oci-loop"}, {"type", "b"}, {"major", 7}, {"minor", owner % 200}, {"fileMode", 0600}},
      {{"path", "/dev/oci-fifo"}, {"type", "p"}, {"fileMode", 0644}}};
  bundle.save();
  auto ours = dockling_run(bundle);
  ASSERT_EQ(ours.exit_code, 0) << ours;
  EXPECT_NE(ours.out.find(fmt::format("/dev/oci-null character special file 1:3 620 {}:{}", owner, owner + 1)),
            std::string::npos) << ours;
  expect_same_as_runc(bundle);
}

TEST(OciDevices, AnUnknownDeviceTypeIsRefused) {
  DOCKLING_REQUIRE_ROOT();
  Bundle bundle({"true"});
  bundle.config["linux"]["devices"] = {{{"path", "/dev/x"}, {"type", "z"}, {"major", 1}, {"minor", 3}}};
  bundle.save();
  expect_refused(bundle, "linux.devices[0].type");
}

/// linux.resources.unified: files of the container's cgroup v2; on v1 refused as runc does.
TEST(OciUnified, WrittenOnCgroupV2AndRefusedOnV1) {
  DOCKLING_REQUIRE_ROOT();
  int pids = 100 + ::getpid() % 100;
  Bundle bundle({"/bin/sh", "-c", "cat /sys/fs/cgroup/pids.max"});
  bundle.config["linux"]["namespaces"].push_back({{"type", "cgroup"}});
  bundle.config["linux"]["resources"]["unified"] = {{"pids.max", std::to_string(pids)}};
  bundle.save();
  if (!fs::exists("/sys/fs/cgroup/cgroup.controllers")) {
    expect_refused(bundle, "linux.resources.unified");
    auto result = dockling_run(bundle);
    EXPECT_NE(result.err.find("cgroup v2"), std::string::npos) << result;
    return;
  }
  auto result = dockling_run(bundle);
  ASSERT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, fmt::format("{}\n", pids)) << result;
}

/// The same on a hybrid host's v2 tree (DOCKLING_CGROUP_ROOT=/sys/fs/cgroup/unified), for
/// real: the unified file is written into the container's v2 cgroup, and the cgroup mount is
/// a cgroup2 that shows it, from inside a cgroup namespace, at its root.
TEST(OciUnified, WrittenOnAHybridHostsV2Tree_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  if (dockling::ch08::detect_layout() != dockling::ch08::CgroupLayout::hybrid)
    GTEST_SKIP() << "not a hybrid host: OciUnified.WrittenOnCgroupV2AndRefusedOnV1 covers it";
  int descendants = 10 + ::getpid() % 50;
  Bundle bundle({"/bin/sh", "-c", "cat /sys/fs/cgroup/cgroup.max.descendants; grep ^0:: /proc/self/cgroup; "
                                  "grep ' /sys/fs/cgroup ' /proc/self/mounts | cut -d' ' -f3,4"});
  bundle.config["linux"]["namespaces"].push_back({{"type", "cgroup"}});
  bundle.config["linux"]["resources"]["unified"] = {{"cgroup.max.descendants", std::to_string(descendants)}};
  bool listed = false;  // runc spec lists it; oci spec does not
  for (const auto& mount : bundle.config["mounts"]) listed = listed || mount["destination"] == "/sys/fs/cgroup";
  if (!listed)
    bundle.config["mounts"].push_back({{"destination", "/sys/fs/cgroup"}, {"type", "cgroup"}, {"source", "cgroup"},
                                       {"options", {"nosuid", "noexec", "nodev", "relatime", "ro"}}});
  bundle.save();
  auto result = run({"/usr/bin/env", "DOCKLING_CGROUP_ROOT=/sys/fs/cgroup/unified", bin("ch09-security"), "oci", "run",
                     "--bundle", bundle.path(), unique_name("oci")});
  ASSERT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, fmt::format("{}\n0::/\ncgroup2 ro,nosuid,nodev,noexec,relatime\n", descendants)) << result;
}

// --- hooks -------------------------------------------------------------------------------------

/// A hook that saves its stdin (the state) as OUT/KIND.json.
json saving_hook(const std::string& kind, const fs::path& out) {
  return {{"path", "/bin/sh"},
          {"args", {"sh", "-c", "cat > \"$1/$0.json\"; echo \"$MARK\" > \"$1/$0.mark\"", kind, out.string()}},
          {"env", {"PATH=/usr/bin:/bin", "MARK=" + kind + "-mark"}},
          {"timeout", 10}};
}

/// prestart, createRuntime, poststart and poststop run from the runtime with the state on
/// stdin and their own args and env; the states carry what runc's carry.
TEST(OciHooks, RuntimeHooksGetTheStateAsWithRunc_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  ASSERT_TRUE(have("/usr/sbin/runc"));
  const std::vector<std::string> kinds = {"prestart", "createRuntime", "poststart", "poststop"};
  std::map<std::string, std::map<std::string, json>> states;  // runtime → kind → state
  for (const std::string runtime : {"dockling", "runc"}) {
    dockling::TempDir out{"ch09-hooks"};
    Bundle bundle({"/bin/sh", "-c", "sleep 0.2"});
    bundle.config["annotations"] = {{"org.example.mark", unique_name("a")}};
    for (const auto& kind : kinds) bundle.config["hooks"][kind] = json::array({saving_hook(kind, out.path())});
    bundle.save();
    auto result = runtime == "dockling" ? dockling_run(bundle) : runc_run(bundle);
    ASSERT_EQ(result.exit_code, 0) << runtime << "\n" << result;
    for (const auto& kind : kinds) {
      ASSERT_TRUE(fs::exists(out.path() / (kind + ".json"))) << runtime << " did not run " << kind << "\n" << result;
      EXPECT_EQ(dockling::read_file(out.path() / (kind + ".mark")), kind + "-mark\n") << runtime;
      json state = parse_json(dockling::read_file(out.path() / (kind + ".json")));
      EXPECT_EQ(state["bundle"], bundle.path()) << runtime << " " << kind;
      EXPECT_EQ(state["annotations"], bundle.config["annotations"]) << runtime << " " << kind;
      EXPECT_FALSE(state["id"].get<std::string>().empty());
      if (kind != "poststop") {
        EXPECT_GT(state["pid"].get<int>(), 1) << runtime << " " << kind;
      }
      states[runtime][kind] = {{"status", state["status"]}, {"has_pid", state.contains("pid") && state["pid"] != 0}};
    }
  }
  EXPECT_EQ(json(states["dockling"]).dump(1), json(states["runc"]).dump(1));
}

/// createContainer runs in the container's namespaces before pivot_root (a host path), and
/// startContainer inside the new root before the command (a container path): both get the
/// state on stdin, with the statuses runc gives them.
TEST(OciHooks, ContainerHooksRunInsideTheContainerAsWithRunc_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  ASSERT_TRUE(have("/usr/sbin/runc"));
  std::string host_mnt = fs::read_symlink("/proc/self/ns/mnt").string();
  std::map<std::string, std::map<std::string, json>> seen;  // runtime → kind → what the hook saw
  for (const std::string runtime : {"dockling", "runc"}) {
    dockling::TempDir out{"ch09-hooks"};
    ::chmod(out.path().c_str(), 0777);
    Bundle bundle({"/bin/sh", "-c", "test -e /out/startContainer.json && echo started-after-hook"});
    bundle.config["mounts"].push_back({{"destination", "/out"}, {"type", "bind"}, {"source", out.path().string()},
                                       {"options", {"rbind", "rw"}}});
    // The host's sh writes to the host's OUT; the container's sh to the container's /out.
    auto hook = [](const std::string& kind, const std::string& dir) {
      return json{{"path", "/bin/sh"},
                  {"args", {"sh", "-c", "cat > \"$1/$0.json\"; readlink /proc/self/ns/mnt > \"$1/$0.mnt\"", kind, dir}}};
    };
    bundle.config["hooks"]["createContainer"] = json::array({hook("createContainer", out.path().string())});
    bundle.config["hooks"]["startContainer"] = json::array({hook("startContainer", "/out")});
    bundle.save();
    auto result = runtime == "dockling" ? dockling_run(bundle) : runc_run(bundle);
    ASSERT_EQ(result.exit_code, 0) << runtime << "\n" << result;
    EXPECT_EQ(result.out, "started-after-hook\n") << runtime;
    EXPECT_EQ(result.err.find("not honoured"), std::string::npos) << runtime << "\n" << result;
    for (const std::string kind : {"createContainer", "startContainer"}) {
      ASSERT_TRUE(fs::exists(out.path() / (kind + ".json"))) << runtime << " did not run " << kind << "\n" << result;
      json state = parse_json(dockling::read_file(out.path() / (kind + ".json")));
      EXPECT_EQ(state["bundle"], bundle.path()) << runtime << " " << kind;
      std::string mnt = dockling::read_file(out.path() / (kind + ".mnt"));
      seen[runtime][kind] = {{"status", state["status"]},
                             {"has_pid", state.contains("pid")},
                             {"in_container_mount_namespace", mnt != host_mnt + "\n"}};
    }
  }
  EXPECT_EQ(seen["dockling"]["createContainer"]["in_container_mount_namespace"], true);
  EXPECT_EQ(json(seen["dockling"]).dump(1), json(seen["runc"]).dump(1));
}

/// A hook of `kind` that exits with `code`: exit 125 naming it, and the command never runs.
void expect_failing_hook_stops_the_start(const std::string& kind, int code) {
  Bundle bundle({"/bin/probe"});
  bundle.config["hooks"][kind] = {{{"path", "/bin/sh"}, {"args", {"sh", "-c", fmt::format("exit {}", code)}}}};
  bundle.save();
  expect_refused(bundle, "hooks." + kind + "[0]");
  auto result = dockling_run(bundle);
  EXPECT_EQ(result.out, "") << "the command must not run\n" << result;
  EXPECT_NE(result.err.find(fmt::format("exited with {}", code)), std::string::npos) << result;
}

TEST(OciHooks, AFailingCreateContainerHookStopsTheStart) {
  DOCKLING_REQUIRE_ROOT();
  expect_failing_hook_stops_the_start("createContainer", 4);
}

TEST(OciHooks, AFailingPrestartHookStopsTheStart) {
  DOCKLING_REQUIRE_ROOT();
  expect_failing_hook_stops_the_start("prestart", 3);
}

TEST(OciHooks, AHookPastItsTimeoutIsKilled) {
  DOCKLING_REQUIRE_ROOT();
  Bundle bundle({"true"});
  bundle.config["hooks"]["createRuntime"] = {{{"path", "/bin/sleep"}, {"args", {"sleep", "20"}}, {"timeout", 1}}};
  bundle.save();
  auto started = std::chrono::steady_clock::now();
  expect_refused(bundle, "hooks.createRuntime[0]");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(15));
}

TEST(OciHooks, AFailingPoststopHookIsAWarning_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  Bundle bundle({"true"});
  bundle.config["hooks"]["poststop"] = {{{"path", "/bin/false"}}};
  bundle.save();
  auto result = dockling_run(bundle);
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_NE(result.err.find("hooks.poststop[0]"), std::string::npos) << result;
}

TEST(OciHooks, ARelativeHookPathIsRefused) {
  DOCKLING_REQUIRE_ROOT();
  Bundle bundle({"true"});
  bundle.config["hooks"]["poststart"] = {{{"path", "bin/true"}}};
  bundle.save();
  expect_refused(bundle, "hooks.poststart[0].path");
}

}  // namespace
