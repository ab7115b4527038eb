// Chapter 09: OCI bundles, side by side with runc and crun.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include "dockling/fs.hpp"
#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"

namespace {

namespace fs = std::filesystem;
using namespace dockling::testing;
using nlohmann::json;

/// A bundle whose config.json is `runc spec`'s (or ours, without runc), pointed at the test
/// rootfs (read-only, so nothing is written there) and at `args`.
struct Bundle {
  dockling::TempDir dir{"ch09-bundle"};
  json config;
  explicit Bundle(const std::vector<std::string>& args, bool from_runc = true) {
    if (from_runc) {
      auto made = run({"/usr/sbin/runc", "spec", "--bundle", dir.path().string()});
      EXPECT_EQ(made.exit_code, 0) << made;
    } else {
      auto made = run({bin("ch09-security"), "oci", "spec", "--bundle", dir.path().string()});
      EXPECT_EQ(made.exit_code, 0) << made;
    }
    config = parse_json(dockling::read_file(dir.path() / "config.json"));
    config["root"] = {{"path", rootfs()}, {"readonly", true}};
    config["process"]["terminal"] = false;
    config["process"]["args"] = args;
    config["hostname"] = unique_name("h");
    save();
  }
  void save() { std::ofstream(dir.path() / "config.json") << config.dump(2); }
  std::string path() const { return dir.path().string(); }
};

bool have(const char* path) { return ::access(path, X_OK) == 0; }

RunResult dockling_run(const Bundle& bundle) {
  return run({bin("ch09-security"), "oci", "run", "--bundle", bundle.path(), unique_name("oci")});
}
RunResult runc_run(const Bundle& bundle) {
  return run({"/usr/sbin/runc", "run", "--bundle", bundle.path(), unique_name("runc")});
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
  // Mount points as a set, without the cgroup hierarchies (chapter 09 does not mount cgroupfs
  // yet, and runc and crun differ in their order).
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

TEST(OciSpec, WritesAConfigThatRunsAndRefusesToOverwrite) {
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

TEST(OciRun, HonoursProcessFields) {
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

TEST(OciRun, AFieldNotHonouredIsNamedInAWarning) {
  DOCKLING_REQUIRE_ROOT();
  Bundle bundle({"true"});
  bundle.config["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}};
  bundle.save();
  auto result = dockling_run(bundle);
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_NE(result.err.find("linux.sysctl"), std::string::npos) << result;
}

TEST(OciRun, TheBundlesSeccompProfileApplies) {
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

TEST(SideBySide, DocklingSeesWhatRuncSees) {
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

TEST(SideBySide, DocklingSeesWhatCrunSees) {
  DOCKLING_REQUIRE_ROOT();
  if (!have("/usr/bin/crun")) GTEST_SKIP() << "crun is not installed (apt-get install crun)";
  Bundle bundle({"/bin/probe"});
  auto ours = dockling_run(bundle), theirs = crun_run(bundle);
  ASSERT_EQ(ours.exit_code, 0) << ours;
  ASSERT_EQ(theirs.exit_code, 0) << theirs;
  auto a = parse_json(ours.out), b = parse_json(theirs.out);
  EXPECT_EQ(comparable(a).dump(1), comparable(b).dump(1));
}

}  // namespace
