// Chapter 08: real limits on the running kernel, whatever its layout (unified v2 on Ubuntu
// 24.04 and Debian 12, hybrid or legacy v1 elsewhere): the driver is picked at run time,
// like the binary does, and version-specific checks are made only on their version.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "cgroup.hpp"
#include "dockling/fs.hpp"
#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"
#include "flags.hpp"

namespace {

namespace fs = std::filesystem;
using namespace dockling::testing;
using dockling::ch08::CgroupVersion;

std::int64_t random_between(std::int64_t low, std::int64_t high) {
  static std::mt19937_64 generator{std::random_device{}()};
  return std::uniform_int_distribution<std::int64_t>(low, high)(generator);
}

std::string trimmed(const std::string& path) {
  std::string text = dockling::read_file(path);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

/// The value of `key=` in the --stats line, or -1.
long long stat_value(const std::string& err, const std::string& key) {
  std::smatch match;
  if (!std::regex_search(err, match, std::regex("stats: .*\\b" + key + "=([0-9]+)"))) return -1;
  return std::stoll(match[1]);
}

/// Every container a test starts writes its id to a --cidfile; TearDown checks that no
/// `dockling/<id>` is left in any hierarchy and that the mount table did not change.
class Cgroups : public ::testing::Test {
 protected:
  void SetUp() override {
    DOCKLING_REQUIRE_ROOT();
    layout_ = dockling::ch08::detect_layout();
    version_ = dockling::ch08::version_of(layout_);
    mounts_before_ = host_mounts();
  }

  void TearDown() override {
    if (!is_root()) return;
    for (const auto& cidfile : cidfiles_) {
      if (!fs::exists(cidfile)) continue;
      std::string id = trimmed(cidfile);
      ASSERT_EQ(id.size(), 64u) << "--cidfile holds the 64-digit id";
      for (const auto& dir : cgroup_dirs(id)) EXPECT_FALSE(fs::exists(dir)) << dir << " was left behind";
    }
    EXPECT_EQ(host_mounts(), mounts_before_);
  }

  /// `ch08-cgroups run --cidfile FILE ARGS... ROOTFS COMMAND...`
  std::vector<std::string> ch08(std::vector<std::string> flags, std::vector<std::string> command) {
    std::string cidfile = (dir_.path() / ("cid-" + std::to_string(cidfiles_.size()))).string();
    cidfiles_.push_back(cidfile);
    std::vector<std::string> argv = {bin("ch08-cgroups"), "run", "--network", "none", "--cidfile", cidfile};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.push_back(rootfs());
    argv.insert(argv.end(), command.begin(), command.end());
    return argv;
  }

  /// The id of the last container started (from its --cidfile), "" before it is written.
  std::string last_id() const {
    return fs::exists(cidfiles_.back()) ? trimmed(cidfiles_.back()) : std::string();
  }

  /// Where a container's cgroup lives on this machine: one directory (v2) or one per hierarchy (v1).
  std::vector<std::string> cgroup_dirs(const std::string& id) const {
    return dockling::ch08::make_cgroup(version_, id)->directories();
  }

  /// The directory holding `file` for container `id`.
  std::string file_of(const std::string& id, const std::string& file) const {
    std::string controller = file.substr(0, file.find('.'));
    for (const auto& dir : cgroup_dirs(id)) {
      if (version_ == CgroupVersion::v2) return dir + "/" + file;
      if (fs::exists(dir + "/" + file)) return dir + "/" + file;
    }
    return "(no " + file + " for " + controller + ")";
  }

  dockling::ch08::CgroupLayout layout_{};
  CgroupVersion version_{};
  std::string mounts_before_;
  dockling::TempDir dir_{"dockling-ch08"};
  std::vector<std::string> cidfiles_;
};

TEST_F(Cgroups, LayoutIsDetectedFromTheFilesystemType_Exercise) {
  // /proc/self/mounts says what statfs says: cgroup2 at /sys/fs/cgroup is unified.
  std::string mounts = host_mounts();
  bool unified = mounts.find(" /sys/fs/cgroup cgroup2 ") != std::string::npos;
  EXPECT_EQ(layout_ == dockling::ch08::CgroupLayout::unified, unified) << mounts;
  if (!unified) {
    bool hybrid = mounts.find(" /sys/fs/cgroup/unified cgroup2 ") != std::string::npos;
    EXPECT_EQ(layout_ == dockling::ch08::CgroupLayout::hybrid, hybrid);
  }
  auto r = run({bin("ch08-cgroups"), "-v", "run", "--network", "none", rootfs(), "/bin/true"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find(std::string(dockling::ch08::layout_name(layout_)) + " layout"), std::string::npos) << r;
}

TEST_F(Cgroups, MemoryHogIsOomKilledWith137_Exercise) {
  int limit_mib = static_cast<int>(random_between(24, 48));
  auto r = run(ch08({"-m", std::to_string(limit_mib) + "m"}, {"probe", "hog", std::to_string(8 * limit_mib)}));
  EXPECT_EQ(r.exit_code, 137) << r;
  EXPECT_NE(r.err.find("OOMKilled"), std::string::npos) << r;
  EXPECT_EQ(r.out.find("allocated_mib"), std::string::npos) << "the hog must not finish\n" << r;
}

TEST_F(Cgroups, MemoryBelowTheLimitIsFine_Exercise) {
  int hog_mib = static_cast<int>(random_between(8, 24));
  auto r = run(ch08({"-m", "96m", "--stats"}, {"probe", "hog", std::to_string(hog_mib)}));
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(parse_json(r.out)["allocated_mib"], hog_mib);
  EXPECT_EQ(r.err.find("OOMKilled"), std::string::npos) << r;
  long long peak = stat_value(r.err, "memory_peak_bytes");
  EXPECT_GE(peak, static_cast<long long>(hog_mib) << 20) << "--stats: the peak covers what the hog touched\n" << r;
  EXPECT_LT(peak, 96ll << 20) << r;
}

TEST_F(Cgroups, PidsLimitCapsAForkLoop_Exercise) {
  int limit = static_cast<int>(random_between(10, 30));
  auto r = run(ch08({"--pids-limit", std::to_string(limit), "--stats"}, {"probe", "fork", "60"}));
  ASSERT_EQ(r.exit_code, 0) << r;
  auto report = parse_json(r.out);
  EXPECT_EQ(report["started"], limit - 1) << "the probe itself is one of the " << limit << "\n" << r;
  EXPECT_NE(report["error"].dump().find("Resource temporarily unavailable"), std::string::npos) << r;
  long long peak = stat_value(r.err, "pids_peak");
  if (peak >= 0) {
    EXPECT_EQ(peak, limit) << r;  // pids.peak: Linux 6.1+
  }
}

TEST_F(Cgroups, CpusHalfKeepsABusyLoopNearHalfACore_Exercise) {
  auto r = run(ch08({"--cpus", "0.5", "--stats"}, {"probe", "spin", "3"}));
  ASSERT_EQ(r.exit_code, 0) << r;
  auto report = parse_json(r.out);
  double share = report["cpu_usec"].get<double>() / report["wall_usec"].get<double>();
  EXPECT_GT(share, 0.30) << r;
  EXPECT_LT(share, 0.70) << "an unlimited busy loop gets a whole core\n" << r;
  long long cgroup_usec = stat_value(r.err, "cpu_usec");
  EXPECT_GT(cgroup_usec, 900000) << "the cgroup counts the loop's CPU time\n" << r;
  EXPECT_LT(cgroup_usec, 2100000) << r;
}

TEST_F(Cgroups, CpusetCpusShowsInTheProbe_Exercise) {
  auto cpus = dockling::ch08::HostResources::current().cpus;
  unsigned cpu = cpus[static_cast<size_t>(random_between(0, static_cast<std::int64_t>(cpus.size()) - 1))];
  auto r = run(ch08({"--cpuset-cpus", std::to_string(cpu)}, {"probe"}));
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(parse_json(r.out)["cpus_allowed"], nlohmann::json::array({cpu})) << r;
}

/// A whole disk of this machine, for the rate limits: {"/dev/vda", "254:0"}.
std::pair<std::string, std::string> a_disk() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/sys/block", ec)) {
    std::string name = entry.path().filename();
    if (name.rfind("loop", 0) == 0 || name.rfind("zram", 0) == 0 || name.rfind("ram", 0) == 0) continue;
    struct stat st;
    if (::stat(("/dev/" + name).c_str(), &st) != 0 || !S_ISBLK(st.st_mode)) continue;
    return {"/dev/" + name, trimmed(entry.path() / "dev")};
  }
  return {};
}

TEST_F(Cgroups, LimitsLandInTheKernelsFiles_Exercise) {
  auto [disk, numbers] = a_disk();
  std::int64_t memory_mib = random_between(64, 512), pids = random_between(50, 500);
  std::int64_t weight = random_between(10, 1000), rbps = random_between(1, 100);
  std::vector<std::string> flags = {"-m", std::to_string(memory_mib) + "m", "--pids-limit", std::to_string(pids),
                                    "--cpus", "0.25", "--blkio-weight", std::to_string(weight)};
  if (!disk.empty()) flags.insert(flags.end(), {"--device-read-bps", disk + ":" + std::to_string(rbps) + "mb"});
  // The container runs long enough for the files to be read from outside.
  Background container(ch08(flags, {"sh", "-c", "echo ready; sleep 2"}));
  ASSERT_EQ(container.read_line(std::chrono::milliseconds(10000)), "ready");
  std::string id = last_id();
  ASSERT_EQ(id.size(), 64u);
  std::int64_t memory = memory_mib << 20;

  if (version_ == CgroupVersion::v2) {
    EXPECT_EQ(trimmed(file_of(id, "memory.max")), std::to_string(memory));
    EXPECT_EQ(trimmed(file_of(id, "memory.oom.group")), "1");
    EXPECT_EQ(trimmed(file_of(id, "cpu.max")), "25000 100000");
    EXPECT_EQ(trimmed(file_of(id, "pids.max")), std::to_string(pids));
    if (fs::exists(file_of(id, "memory.swap.max"))) {
      EXPECT_EQ(trimmed(file_of(id, "memory.swap.max")), std::to_string(memory)) << "twice -m in all: swap = -m";
    }
    // io.weight exists only with blk-iocost (or BFQ's io.bfq.weight): docker warns otherwise.
    if (fs::exists(file_of(id, "io.weight"))) {
      EXPECT_NE(trimmed(file_of(id, "io.weight")).find("default " + std::to_string(1 + (weight - 10) * 9999 / 990)),
                std::string::npos);
    }
    if (!disk.empty()) {
      EXPECT_NE(dockling::read_file(file_of(id, "io.max")).find(numbers + " rbps=" + std::to_string(rbps << 20)),
                std::string::npos)
          << dockling::read_file(file_of(id, "io.max"));
    }
  } else {
    EXPECT_EQ(trimmed(file_of(id, "memory.limit_in_bytes")), std::to_string(memory));
    if (fs::exists(file_of(id, "memory.memsw.limit_in_bytes"))) {
      EXPECT_EQ(trimmed(file_of(id, "memory.memsw.limit_in_bytes")), std::to_string(2 * memory));
    }
    EXPECT_EQ(trimmed(file_of(id, "cpu.cfs_period_us")), "100000");
    EXPECT_EQ(trimmed(file_of(id, "cpu.cfs_quota_us")), "25000");
    EXPECT_EQ(trimmed(file_of(id, "pids.max")), std::to_string(pids));
    // blkio.weight belongs to CFQ, gone since Linux 5.0: with BFQ built, runc and dockling
    // use blkio.bfq.weight ("default N"); with neither the weight is discarded with a warning.
    std::string cfq = file_of(id, "blkio.weight"), bfq = file_of(id, "blkio.bfq.weight");
    if (fs::exists(cfq)) {
      EXPECT_EQ(trimmed(cfq), std::to_string(weight));
    } else if (fs::exists(bfq)) {
      EXPECT_NE(trimmed(bfq).find(std::to_string(weight)), std::string::npos) << trimmed(bfq);
    }
    if (!disk.empty()) {
      EXPECT_EQ(trimmed(file_of(id, "blkio.throttle.read_bps_device")), numbers + " " + std::to_string(rbps << 20));
    }
  }
  bool weight_discarded = version_ == CgroupVersion::v1 ? !fs::exists(file_of(id, "blkio.weight")) &&
                                                              !fs::exists(file_of(id, "blkio.bfq.weight"))
                                                        : !fs::exists(file_of(id, "io.weight"));
  auto r = container.wait();
  EXPECT_EQ(r.exit_code, 0) << r;
  if (weight_discarded) {
    EXPECT_NE(r.err.find("weight"), std::string::npos) << "a discarded weight is said\n" << r;
  }
}

TEST_F(Cgroups, StaleEmptyCgroupsAreRemovedByTheNextRun_Exercise) {
  std::string stale = dockling::random_hex(32);
  auto dirs = cgroup_dirs(stale);
  for (const auto& dir : dirs) fs::create_directories(dir);  // on cgroupfs: a new, empty cgroup
  auto r = run(ch08({}, {"/bin/true"}));
  EXPECT_EQ(r.exit_code, 0) << r;
  for (const auto& dir : dirs) {
    EXPECT_FALSE(fs::exists(dir)) << dir << " (stale, empty) should be gone";
    ::rmdir(dir.c_str());
  }
}

TEST_F(Cgroups, NothingIsLeftWhenTheCommandFails_Exercise) {
  EXPECT_EQ(run(ch08({"-m", "64m"}, {"dockling-no-such-command"})).exit_code, 127);
  EXPECT_EQ(run(ch08({"--pids-limit", "5"}, {"sh", "-c", "exit 3"})).exit_code, 3);
  // TearDown checks both cgroups are gone.
}

// --- /sys/fs/cgroup inside: the container's own cgroup, read-only -----------------------

/// `ls -di` lines ("INODE PATH") as {PATH: INODE}.
std::map<std::string, ino_t> listed_inodes(const std::vector<std::string>& lines) {
  std::map<std::string, ino_t> out;
  for (const auto& line : lines) {
    std::istringstream fields(line);
    unsigned long long inode = 0;
    std::string path;
    if (fields >> inode >> path) out[path] = static_cast<ino_t>(inode);
  }
  return out;
}

ino_t inode_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

TEST_F(Cgroups, CpusShowsInsideInTheContainersOwnCgroupFiles_Exercise) {
  int pids = static_cast<int>(random_between(50, 500));
  std::string files = version_ == CgroupVersion::v2 ? "/sys/fs/cgroup/cpu.max /sys/fs/cgroup/pids.max"
                                                    : "/sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/pids/pids.max";
  auto r = run(ch08({"--cpus", "1.5", "--pids-limit", std::to_string(pids)}, {"sh", "-c", "cat " + files}));
  ASSERT_EQ(r.exit_code, 0) << r;
  std::string quota = version_ == CgroupVersion::v2 ? "150000 100000" : "150000";
  EXPECT_EQ(r.out, quota + "\n" + std::to_string(pids) + "\n") << r;
}

// Each directory under /sys/fs/cgroup is the container's cgroup itself (the same kernfs
// inode as dockling/<id> on the host), with nothing above it and no cgroup beside it.
TEST_F(Cgroups, SysFsCgroupShowsTheContainersOwnCgroupAndNothingElse_Exercise) {
  Background container(ch08({}, {"sh", "-c", "ls -di /sys/fs/cgroup/ /sys/fs/cgroup/*/ /sys/fs/cgroup/*/*/ 2>/dev/null; "
                                             "echo ready; exec sleep 2"}));
  std::vector<std::string> lines;
  for (auto line = container.read_line(); line && *line != "ready"; line = container.read_line()) lines.push_back(*line);
  std::string id = last_id();
  ASSERT_EQ(id.size(), 64u) << container.wait();
  auto seen = listed_inodes(lines);
  std::string all;
  for (const auto& line : lines) all += line + "\n";
  if (version_ == CgroupVersion::v2) {
    EXPECT_EQ(seen.size(), 1u) << "one cgroup, no child cgroup:\n" << all;
    EXPECT_EQ(seen["/sys/fs/cgroup/"], inode_of(cgroup_dirs(id).front())) << all;
  } else {
    std::set<std::string> expected = {"/sys/fs/cgroup/"};
    for (const auto& dir : cgroup_dirs(id)) {
      std::string hierarchy = fs::path(dir).parent_path().parent_path().filename();
      std::string inside = "/sys/fs/cgroup/" + hierarchy + "/";
      expected.insert(inside);
      EXPECT_EQ(seen[inside], inode_of(dir)) << inside << " is not " << dir << "\n" << all;
      // Controllers that share a hierarchy have links: cpu → cpu,cpuacct.
      if (hierarchy.find(',') != std::string::npos) {
        std::istringstream parts(hierarchy);
        for (std::string part; std::getline(parts, part, ',');) {
          expected.insert("/sys/fs/cgroup/" + part + "/");
          EXPECT_EQ(seen["/sys/fs/cgroup/" + part + "/"], inode_of(dir)) << all;
        }
      }
    }
    std::set<std::string> paths;
    for (const auto& [path, inode] : seen) paths.insert(path);
    EXPECT_EQ(paths, expected) << "the container's own cgroup in each hierarchy, no child cgroup\n" << all;
  }
  EXPECT_EQ(container.wait().exit_code, 0);
}

TEST_F(Cgroups, SysFsCgroupIsReadOnlyInside_Exercise) {
  int pids = static_cast<int>(random_between(50, 500));
  std::string pids_max = version_ == CgroupVersion::v2 ? "/sys/fs/cgroup/pids.max" : "/sys/fs/cgroup/pids/pids.max";
  std::string child = version_ == CgroupVersion::v2 ? "/sys/fs/cgroup/x" : "/sys/fs/cgroup/pids/x";
  // Three writes: a limit, a child cgroup, and the top (v1: the tmpfs of the hierarchies).
  auto r = run(ch08({"--pids-limit", std::to_string(pids)},
                    {"sh", "-c", "echo 5 > " + pids_max + "; mkdir " + child + "; mkdir /sys/fs/cgroup/y; cat " + pids_max}));
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, std::to_string(pids) + "\n") << "the limit is unchanged\n" << r;
  size_t refusals = 0;
  for (size_t at = r.err.find("Read-only file system"); at != std::string::npos;
       at = r.err.find("Read-only file system", at + 1))
    ++refusals;
  EXPECT_EQ(refusals, 3u) << "each write fails with EROFS\n" << r;
}

/// Bad flags: exit 125, a message naming the problem, and no cgroup (TearDown checks).
class BadInput : public Cgroups, public ::testing::WithParamInterface<std::pair<std::vector<std::string>, std::string>> {};

TEST_P(BadInput, IsRefusedWith125AndLeavesNothing) {
  const auto& [flags, message] = GetParam();
  auto r = run(ch08(flags, {"/bin/true"}));
  EXPECT_EQ(r.exit_code, 125) << r;
  EXPECT_NE(r.err.find(message), std::string::npos) << r;
}

std::string bad_input_name(const ::testing::TestParamInfo<BadInput::ParamType>& info) {
  static const char* names[] = {"UnknownUnit", "MemoryBelowMinimum", "SwapBelowMemory", "ZeroCpus", "MissingCpu"};
  return names[info.index];
}

INSTANTIATE_TEST_SUITE_P(
    Cgroups, BadInput,
    ::testing::Values(std::make_pair(std::vector<std::string>{"-m", "1x"}, std::string("invalid size: '1x'")),
                      std::make_pair(std::vector<std::string>{"-m", "1m"}, std::string("Minimum memory limit allowed is 6MB")),
                      std::make_pair(std::vector<std::string>{"-m", "64m", "--memory-swap", "32m"},
                                     std::string("memoryswap limit should be larger than memory limit")),
                      std::make_pair(std::vector<std::string>{"--cpus", "0"}, std::string("Range of CPUs is from 0.01")),
                      std::make_pair(std::vector<std::string>{"--cpuset-cpus", "99"},
                                     std::string("Requested CPUs are not available - requested 99"))),
    bad_input_name);

}  // namespace

namespace {

// --- the v2 tree of a hybrid host, for real ---------------------------------------------
// On a hybrid host (v1 controllers, plus a v2 tree at /sys/fs/cgroup/unified with few
// controllers) the tests above run v1. DOCKLING_CGROUP_ROOT points the runtime at the v2
// tree: no limits there, but joining (clone3 with CLONE_INTO_CGROUP), stats and removal are
// v2's, on the real kernel. On a unified host the tests above run v2 already.

constexpr const char* kHybridV2Tree = "/sys/fs/cgroup/unified";

class HybridV2Tree : public ::testing::Test {
 protected:
  void SetUp() override {
    DOCKLING_REQUIRE_ROOT();
    if (dockling::ch08::detect_layout() != dockling::ch08::CgroupLayout::hybrid || !fs::exists(kHybridV2Tree))
      GTEST_SKIP() << "not a hybrid host: the other tests here run on its only tree";
  }
  std::vector<std::string> ch08(const std::string& cidfile, std::vector<std::string> command) {
    std::vector<std::string> argv = {"/usr/bin/env", std::string("DOCKLING_CGROUP_ROOT=") + kHybridV2Tree,
                                     bin("ch08-cgroups"), "run", "--network", "none", "--stats", "--cidfile", cidfile,
                                     rootfs()};
    argv.insert(argv.end(), command.begin(), command.end());
    return argv;
  }
  dockling::TempDir dir_{"dockling-ch08-v2"};
};

TEST_F(HybridV2Tree, TheChildIsBornInItsCgroupWhichIsRemovedAfter_Exercise) {
  std::string cidfile = (dir_.path() / "cid").string();
  Background container(ch08(cidfile, {"sh", "-c", "echo ready; sleep 1"}));
  ASSERT_EQ(container.read_line(), "ready") << container.wait();
  std::string id = trimmed(cidfile);
  std::string procs = dockling::read_file(std::string(kHybridV2Tree) + "/dockling/" + id + "/cgroup.procs");
  EXPECT_FALSE(procs.empty()) << "the container runs in dockling/" << id;
  auto r = container.wait();
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_GT(stat_value(r.err, "cpu_usec"), 0) << r;  // read from the v2 cpu.stat before removal
  EXPECT_FALSE(fs::exists(std::string(kHybridV2Tree) + "/dockling/" + id));
}

// v2 as docker shows it: a cgroup namespace rooted at the container's cgroup ("0::/"), and
// at /sys/fs/cgroup a read-only cgroup2 whose root is that cgroup, with nothing beside it.
TEST_F(HybridV2Tree, TheContainerSeesItsOwnCgroupReadOnlyInACgroupNamespace_Exercise) {
  std::string cidfile = (dir_.path() / "cid").string();
  Background container(ch08(cidfile, {"sh", "-c",
                                      "grep ^0:: /proc/self/cgroup; grep ' /sys/fs/cgroup' /proc/self/mounts | cut -d' ' -f2-4; "
                                      "ls -di /sys/fs/cgroup/; ls -d /sys/fs/cgroup/*/ 2>&1; mkdir /sys/fs/cgroup/x 2>&1; "
                                      "echo ready; exec sleep 2"}));
  std::vector<std::string> lines;
  for (auto line = container.read_line(); line && *line != "ready"; line = container.read_line()) lines.push_back(*line);
  std::string id = trimmed(cidfile);
  std::string all;
  for (const auto& line : lines) all += line + "\n";
  ASSERT_EQ(lines.size(), 5u) << all << container.wait();
  EXPECT_EQ(lines[0], "0::/") << "the container's cgroup is its namespace's root";
  EXPECT_EQ(lines[1], "/sys/fs/cgroup cgroup2 ro,nosuid,nodev,noexec,relatime") << "one mount there, read-only";
  EXPECT_EQ(listed_inodes({lines[2]})["/sys/fs/cgroup/"], inode_of(std::string(kHybridV2Tree) + "/dockling/" + id))
      << "its root is dockling/" << id << "\n" << all;
  EXPECT_NE(lines[3].find("No such file"), std::string::npos) << "no cgroup beside or below it\n" << all;
  EXPECT_NE(lines[4].find("Read-only file system"), std::string::npos) << all;
  EXPECT_EQ(container.wait().exit_code, 0);
}

TEST_F(HybridV2Tree, StaleEmptyCgroupsAreRemovedByTheNextRun_Exercise) {
  std::string stale = std::string(kHybridV2Tree) + "/dockling/" + dockling::random_hex(32);
  fs::create_directories(stale);
  auto r = run(ch08((dir_.path() / "cid").string(), {"/bin/true"}));
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_FALSE(fs::exists(stale)) << stale << " (stale, empty) should be gone";
  ::rmdir(stale.c_str());
}

}  // namespace
