// Chapter 08: the v2 and v1 drivers against temporary directories laid out like a cgroup
// tree (the "Layout" tests). A plain directory does not grow interface files the way a
// cgroup does, so each test creates the files the kernel would, then checks what the
// driver wrote into them: enabled controllers, limit files, the joined process, stats.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "cgroup.hpp"
#include "dockling/fs.hpp"
#include "dockling/tempdir.hpp"
#include "flags.hpp"
#include "limits.hpp"

namespace {

namespace fs = std::filesystem;
using namespace dockling::ch08;

constexpr std::int64_t MiB = 1024 * 1024;

std::int64_t random_between(std::int64_t low, std::int64_t high) {
  static std::mt19937_64 generator{std::random_device{}()};
  return std::uniform_int_distribution<std::int64_t>(low, high)(generator);
}

void touch(const fs::path& file, const std::string& content = "") {
  fs::create_directories(file.parent_path());
  std::ofstream(file) << content;
}

std::string contents(const fs::path& file) {
  std::string text = dockling::read_file(file.string());
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

HostResources four_cpus() {
  HostResources host;
  host.cpus = {0, 1, 2, 3};
  host.nodes = {0};
  return host;
}

/// A whole block device of this machine ("/dev/vda" and "254:0"), for the rate limits;
/// empty when there is none.
std::pair<std::string, std::string> a_block_device() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/sys/block", ec)) {
    std::string name = entry.path().filename();
    fs::path node = fs::path("/dev") / name;
    struct stat st;
    if (::stat(node.c_str(), &st) != 0 || !S_ISBLK(st.st_mode)) continue;
    return {node.string(), contents(entry.path() / "dev")};
  }
  return {};
}

std::string random_id() { return dockling::random_hex(32); }

// --- v2 ----------------------------------------------------------------------------------

/// A v2 tree: the root offers controllers; dockling/ and dockling/<id> have the files a
/// kernel with every controller enabled would show.
void make_v2_tree(const fs::path& root, const std::string& id) {
  touch(root / "cgroup.controllers", "cpuset cpu io memory hugetlb pids\n");
  touch(root / "cgroup.subtree_control");
  touch(root / "cgroup.procs");
  for (const fs::path& dir : {root / "dockling", root / "dockling" / id}) {
    touch(dir / "cgroup.controllers");
    touch(dir / "cgroup.subtree_control");
    touch(dir / "cgroup.procs");
  }
  fs::path leaf = root / "dockling" / id;
  for (const char* name : {"memory.max", "memory.swap.max", "memory.low", "memory.oom.group", "cpu.max", "cpu.weight",
                           "cpuset.cpus", "cpuset.mems", "pids.max", "io.weight", "io.max"})
    touch(leaf / name);
}

TEST(CgroupV2Layout, ControllersAreEnabledInEveryAncestor) {
  dockling::TempDir root("dockling-ch08-v2");
  std::string id = random_id();
  make_v2_tree(root.path(), id);
  auto cgroup = make_cgroup(CgroupVersion::v2, id, root.path());
  cgroup->create();
  for (const fs::path& dir : {root.path(), root.path() / "dockling"}) {
    std::string enabled = contents(dir / "cgroup.subtree_control");
    for (const char* controller : {"+cpu", "+cpuset", "+io", "+memory", "+pids"})
      EXPECT_NE((" " + enabled + " ").find(std::string(" ") + controller + " "), std::string::npos)
          << dir << ": " << enabled;
    EXPECT_EQ(enabled.find("hugetlb"), std::string::npos) << "only the controllers dockling uses";
  }
  EXPECT_EQ(cgroup->directories(), (std::vector<std::string>{(root.path() / "dockling" / id).string()}));
}

TEST(CgroupV2Layout, LimitsLandInTheirFiles_Exercise) {
  dockling::TempDir root("dockling-ch08-v2");
  std::string id = random_id();
  make_v2_tree(root.path(), id);
  std::int64_t memory_mib = random_between(6, 4000), swap_mib = random_between(1, 4000);
  std::int64_t shares = random_between(2, 262144), pids = random_between(1, 5000), weight = random_between(10, 1000);
  LimitFlags flags;
  flags.memory = std::to_string(memory_mib) + "m";
  flags.memory_swap = std::to_string(memory_mib + swap_mib) + "m";
  flags.memory_reservation = std::to_string(memory_mib / 2) + "m";
  flags.cpus = "1.5";
  flags.cpu_shares = std::to_string(shares);
  flags.cpuset_cpus = "1-2";
  flags.cpuset_mems = "0";
  flags.pids_limit = std::to_string(pids);
  flags.blkio_weight = std::to_string(weight);
  auto [device, numbers] = a_block_device();
  if (!device.empty()) {
    flags.device_read_bps = {device + ":3mb"};
    flags.device_write_bps = {device + ":1mb"};
  }
  Limits limits = parse_limits(flags, four_cpus());

  auto cgroup = make_cgroup(CgroupVersion::v2, id, root.path());
  cgroup->create();
  cgroup->apply(limit_files(limits, CgroupVersion::v2));
  fs::path leaf = root.path() / "dockling" / id;
  EXPECT_EQ(contents(leaf / "memory.max"), std::to_string(memory_mib * MiB));
  EXPECT_EQ(contents(leaf / "memory.swap.max"), std::to_string(swap_mib * MiB)) << "swap alone: --memory-swap minus -m";
  EXPECT_EQ(contents(leaf / "memory.low"), std::to_string(memory_mib / 2 * MiB));
  EXPECT_EQ(contents(leaf / "memory.oom.group"), "1");
  EXPECT_EQ(contents(leaf / "cpu.max"), "150000 100000");
  EXPECT_EQ(contents(leaf / "cpu.weight"), std::to_string(1 + ((shares - 2) * 9999) / 262142));
  EXPECT_EQ(contents(leaf / "cpuset.cpus"), "1-2");
  EXPECT_EQ(contents(leaf / "cpuset.mems"), "0");
  EXPECT_EQ(contents(leaf / "pids.max"), std::to_string(pids));
  EXPECT_EQ(contents(leaf / "io.weight"), "default " + std::to_string(1 + (weight - 10) * 9999 / 990));
  if (!device.empty()) {
    EXPECT_EQ(contents(leaf / "io.max"), numbers + " rbps=" + std::to_string(3 * MiB) + " wbps=" + std::to_string(MiB));
  }
}

TEST(CgroupV2Layout, UnlimitedSwapAndPidsAreMax_Exercise) {
  dockling::TempDir root("dockling-ch08-v2");
  std::string id = random_id();
  make_v2_tree(root.path(), id);
  LimitFlags flags;
  flags.memory = "64m";
  flags.memory_swap = "-1";
  flags.pids_limit = "-1";
  auto cgroup = make_cgroup(CgroupVersion::v2, id, root.path());
  cgroup->create();
  cgroup->apply(limit_files(parse_limits(flags, four_cpus()), CgroupVersion::v2));
  fs::path leaf = root.path() / "dockling" / id;
  EXPECT_EQ(contents(leaf / "memory.swap.max"), "max");
  EXPECT_EQ(contents(leaf / "pids.max"), "max");
}

TEST(CgroupV2Layout, JoinWritesTheProcessAndStatsReadTheFiles_Exercise) {
  dockling::TempDir root("dockling-ch08-v2");
  std::string id = random_id();
  make_v2_tree(root.path(), id);
  fs::path leaf = root.path() / "dockling" / id;
  auto peak = random_between(1, 1 << 30), usec = random_between(1, 1 << 30);
  touch(leaf / "memory.current", "4096\n");
  touch(leaf / "memory.peak", std::to_string(peak) + "\n");
  touch(leaf / "cpu.stat", "usage_usec " + std::to_string(usec) + "\nuser_usec 1\nsystem_usec 2\n");
  touch(leaf / "pids.peak", "7\n");
  touch(leaf / "io.stat", "8:0 rbytes=100 wbytes=200 rios=1 wios=2\n254:0 rbytes=1 wbytes=2 rios=1 wios=1\n");
  touch(leaf / "memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
  auto cgroup = make_cgroup(CgroupVersion::v2, id, root.path());
  cgroup->create();
  cgroup->apply(limit_files(Limits{}, CgroupVersion::v2));
  pid_t pid = static_cast<pid_t>(random_between(2, 4000000));
  cgroup->join(pid);
  EXPECT_EQ(contents(leaf / "cgroup.procs"), std::to_string(pid));
  CgroupStats stats = cgroup->stats();
  EXPECT_EQ(stats.memory_peak_bytes, static_cast<std::uint64_t>(peak));
  EXPECT_EQ(stats.cpu_usec, static_cast<std::uint64_t>(usec));
  EXPECT_EQ(stats.pids_peak, 7u);
  EXPECT_EQ(stats.io_read_bytes, 101u);
  EXPECT_EQ(stats.io_write_bytes, 202u);
  EXPECT_EQ(stats.oom_kills, 1u);
}

TEST(CgroupV2Layout, StaleEmptyCgroupsAreSweptOthersKept) {
  dockling::TempDir root("dockling-ch08-v2");
  std::string stale = random_id();
  fs::create_directories(root.path() / "dockling" / stale);
  fs::create_directories(root.path() / "dockling" / "not-a-container");
  remove_stale_cgroups(CgroupVersion::v2, root.path());
  EXPECT_FALSE(fs::exists(root.path() / "dockling" / stale));
  EXPECT_TRUE(fs::exists(root.path() / "dockling" / "not-a-container")) << "only dockling's own ids are touched";
}

// --- v1 ----------------------------------------------------------------------------------

/// A v1 layout like systemd's: cpu and cpuacct share "cpu,cpuacct" (with links named after
/// each), the others have a hierarchy each. `files` are created in each dockling/<id>.
void make_v1_tree(const fs::path& root, const std::string& id, bool cfq_weight = true) {
  std::map<std::string, std::vector<std::string>> hierarchies = {
      {"memory", {"memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.soft_limit_in_bytes",
                  "memory.swappiness", "memory.oom_control"}},
      {"cpu,cpuacct", {"cpu.cfs_period_us", "cpu.cfs_quota_us", "cpu.shares"}},
      {"cpuset", {"cpuset.cpus", "cpuset.mems"}},
      {"pids", {"pids.max"}},
      {"blkio", {cfq_weight ? "blkio.weight" : "blkio.bfq.weight", "blkio.throttle.read_bps_device",
                 "blkio.throttle.write_bps_device", "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"}},
  };
  for (const auto& [name, files] : hierarchies) {
    fs::path base = root / name;
    touch(base / "cgroup.procs");
    for (const fs::path& dir : {base / "dockling", base / "dockling" / id}) {
      touch(dir / "cgroup.procs");
      for (const auto& file : files) touch(dir / file);
    }
  }
  std::ofstream(root / "cpuset" / "cpuset.cpus") << "0-3\n";
  std::ofstream(root / "cpuset" / "cpuset.mems") << "0\n";
  fs::create_directory_symlink("cpu,cpuacct", root / "cpu");
  fs::create_directory_symlink("cpu,cpuacct", root / "cpuacct");
}

TEST(CgroupV1Layout, OneDirectoryPerHierarchyAndTheProcessJoinsEach_Exercise) {
  dockling::TempDir root("dockling-ch08-v1");
  std::string id = random_id();
  make_v1_tree(root.path(), id);
  auto cgroup = make_cgroup(CgroupVersion::v1, id, root.path());
  cgroup->create();
  std::vector<std::string> expected;
  for (const char* name : {"blkio", "cpu,cpuacct", "cpuset", "memory", "pids"})
    expected.push_back((fs::canonical(root.path()) / name / "dockling" / id).string());
  auto dirs = cgroup->directories();
  std::sort(dirs.begin(), dirs.end());
  EXPECT_EQ(dirs, expected) << "cpu and cpuacct share one hierarchy: one directory";
  cgroup->apply(limit_files(Limits{}, CgroupVersion::v1));
  pid_t pid = static_cast<pid_t>(random_between(2, 4000000));
  cgroup->join(pid);
  for (const auto& dir : expected) EXPECT_EQ(contents(fs::path(dir) / "cgroup.procs"), std::to_string(pid)) << dir;
  // A new v1 cpuset is empty, and nothing can join an empty cpuset: it gets its parent's.
  EXPECT_EQ(contents(root.path() / "cpuset" / "dockling" / id / "cpuset.cpus"), "0-3");
  EXPECT_EQ(contents(root.path() / "cpuset" / "dockling" / id / "cpuset.mems"), "0");
}

TEST(CgroupV1Layout, TheChildJoinsByItsThreadNotByPid) {
  // Moving a process by pid (cgroup.procs) makes the kernel wait for an RCU grace period;
  // a single-threaded child moving its own thread ("0" into tasks) does not.
  dockling::TempDir root("dockling-ch08-v1");
  std::string id = random_id();
  make_v1_tree(root.path(), id);
  auto cgroup = make_cgroup(CgroupVersion::v1, id, root.path());
  cgroup->create();
  for (const auto& dir : cgroup->directories()) touch(fs::path(dir) / "tasks");
  cgroup->join_self();
  for (const auto& dir : cgroup->directories()) {
    EXPECT_EQ(contents(fs::path(dir) / "tasks"), "0") << dir;
    EXPECT_EQ(contents(fs::path(dir) / "cgroup.procs"), "") << dir;
  }
}

TEST(CgroupV1Layout, LimitsLandInTheirFiles_Exercise) {
  dockling::TempDir root("dockling-ch08-v1");
  std::string id = random_id();
  make_v1_tree(root.path(), id);
  std::int64_t memory_mib = random_between(6, 4000), shares = random_between(2, 262144);
  std::int64_t pids = random_between(1, 5000), weight = random_between(10, 1000);
  LimitFlags flags;
  flags.memory = std::to_string(memory_mib) + "m";
  flags.memory_reservation = std::to_string(memory_mib / 2) + "m";
  flags.memory_swappiness = "0";
  flags.oom_kill_disable = true;
  flags.cpus = "1.5";
  flags.cpu_shares = std::to_string(shares);
  flags.cpuset_cpus = "3";
  flags.pids_limit = std::to_string(pids);
  flags.blkio_weight = std::to_string(weight);
  auto [device, numbers] = a_block_device();
  if (!device.empty()) {
    flags.device_read_bps = {device + ":3mb"};
    flags.device_write_iops = {device + ":42"};
  }
  auto cgroup = make_cgroup(CgroupVersion::v1, id, root.path());
  cgroup->create();
  cgroup->apply(limit_files(parse_limits(flags, four_cpus()), CgroupVersion::v1));
  auto file = [&](const char* hierarchy, const char* name) {
    return contents(root.path() / hierarchy / "dockling" / id / name);
  };
  EXPECT_EQ(file("memory", "memory.limit_in_bytes"), std::to_string(memory_mib * MiB));
  EXPECT_EQ(file("memory", "memory.memsw.limit_in_bytes"), std::to_string(2 * memory_mib * MiB))
      << "--memory-swap unset: twice --memory, memory plus swap";
  EXPECT_EQ(file("memory", "memory.soft_limit_in_bytes"), std::to_string(memory_mib / 2 * MiB));
  EXPECT_EQ(file("memory", "memory.swappiness"), "0");
  EXPECT_EQ(file("memory", "memory.oom_control"), "1");
  EXPECT_EQ(file("cpu", "cpu.cfs_period_us"), "100000");
  EXPECT_EQ(file("cpu", "cpu.cfs_quota_us"), "150000");
  EXPECT_EQ(file("cpu", "cpu.shares"), std::to_string(shares));
  EXPECT_EQ(file("cpuset", "cpuset.cpus"), "3");
  EXPECT_EQ(file("pids", "pids.max"), std::to_string(pids));
  EXPECT_EQ(file("blkio", "blkio.weight"), std::to_string(weight));
  if (!device.empty()) {
    EXPECT_EQ(file("blkio", "blkio.throttle.read_bps_device"), numbers + " " + std::to_string(3 * MiB));
    EXPECT_EQ(file("blkio", "blkio.throttle.write_iops_device"), numbers + " 42");
  }
}

TEST(CgroupV1Layout, BlkioWeightFallsBackToBfq_Exercise) {
  dockling::TempDir root("dockling-ch08-v1");
  std::string id = random_id();
  make_v1_tree(root.path(), id, /*cfq_weight=*/false);
  std::int64_t weight = random_between(10, 1000);
  LimitFlags flags;
  flags.blkio_weight = std::to_string(weight);
  auto cgroup = make_cgroup(CgroupVersion::v1, id, root.path());
  cgroup->create();
  cgroup->apply(limit_files(parse_limits(flags, four_cpus()), CgroupVersion::v1));
  EXPECT_EQ(contents(root.path() / "blkio" / "dockling" / id / "blkio.bfq.weight"), std::to_string(weight));
}

TEST(CgroupV1Layout, StaleEmptyCgroupsAreSweptInEveryHierarchy) {
  dockling::TempDir root("dockling-ch08-v1");
  std::string id = random_id(), stale = random_id();
  make_v1_tree(root.path(), id);
  for (const char* name : {"memory", "cpu,cpuacct", "pids"}) fs::create_directories(root.path() / name / "dockling" / stale);
  remove_stale_cgroups(CgroupVersion::v1, root.path());
  for (const char* name : {"memory", "cpu,cpuacct", "pids"})
    EXPECT_FALSE(fs::exists(root.path() / name / "dockling" / stale)) << name;
  EXPECT_TRUE(fs::exists(root.path() / "memory" / "dockling" / id)) << "not empty (here: files): kept";
}

}  // namespace
