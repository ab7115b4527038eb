// Chapter 08: docker's resource flags (units, rules, messages) and limit_files(), the
// exercise, as a pure function: which files, which values, in which order, for v1 and v2.
#include <algorithm>
#include <random>

#include <gtest/gtest.h>

#include "dockling/error.hpp"
#include "flags.hpp"
#include "limits.hpp"

namespace {

using namespace dockling::ch08;
using dockling::Error;

constexpr std::int64_t MiB = 1024 * 1024;

/// A random whole number in [low, high]: hard-coded answers fail.
std::int64_t random_between(std::int64_t low, std::int64_t high) {
  static std::mt19937_64 generator{std::random_device{}()};
  return std::uniform_int_distribution<std::int64_t>(low, high)(generator);
}

HostResources eight_cpus() {
  HostResources host;
  host.cpus = {0, 1, 2, 3, 4, 5, 6, 7};
  host.nodes = {0};
  return host;
}

/// The value written to `file`, or "" when it is not written; fails if written twice.
std::string value_of(const std::vector<LimitFile>& files, const std::string& file) {
  std::string value;
  int count = 0;
  for (const auto& [name, text] : files)
    if (name == file) {
      value = text;
      ++count;
    }
  EXPECT_LE(count, 1) << file << " written " << count << " times";
  return value;
}

bool has_file(const std::vector<LimitFile>& files, const std::string& file) {
  return std::any_of(files.begin(), files.end(), [&](const LimitFile& f) { return f.first == file; });
}

std::string message_of(const LimitFlags& flags) {
  try {
    parse_limits(flags, eight_cpus());
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 125);
    return e.what();
  }
  return "(no error)";
}

TEST(Flags, SizesUseDockersUnits) {
  EXPECT_EQ(parse_size("512"), 512);
  EXPECT_EQ(parse_size("100b"), 100);
  EXPECT_EQ(parse_size("4k"), 4096);
  EXPECT_EQ(parse_size("32m"), 32 * MiB);
  EXPECT_EQ(parse_size("32M"), 32 * MiB);
  EXPECT_EQ(parse_size("32mb"), 32 * MiB);
  EXPECT_EQ(parse_size("1g"), 1024 * MiB);
  EXPECT_EQ(parse_size("1.5g"), 1536 * MiB);
  for (std::string bad : {"1x", "", "m", "-5m", "1.m", "32 mm", "1..5m"})
    EXPECT_THROW(parse_size(bad), Error) << bad;
}

TEST(Flags, CpuListsExpandRanges) {
  EXPECT_EQ(parse_cpu_list("0"), (std::vector<unsigned>{0}));
  EXPECT_EQ(parse_cpu_list("0-2,5"), (std::vector<unsigned>{0, 1, 2, 5}));
  for (std::string bad : {"", "a", "2-1", "1,", "-1"}) EXPECT_THROW(parse_cpu_list(bad), Error) << bad;
}

TEST(Flags, MemorySwapDefaultsToTwiceMemory) {
  std::int64_t memory = random_between(6, 4000) * MiB;
  LimitFlags flags;
  flags.memory = std::to_string(memory);
  Limits limits = parse_limits(flags, eight_cpus());
  EXPECT_EQ(limits.memory, memory);
  EXPECT_EQ(limits.memory_swap, 2 * memory);
  flags.memory_swap = "-1";
  EXPECT_EQ(parse_limits(flags, eight_cpus()).memory_swap, -1);
}

TEST(Flags, CpusBecomePeriodAndQuota) {
  LimitFlags flags;
  flags.cpus = "1.5";
  Limits limits = parse_limits(flags, eight_cpus());
  EXPECT_EQ(limits.cpu_period, 100000);
  EXPECT_EQ(limits.cpu_quota, 150000);
}

TEST(Flags, BadInputGetsDockersMessages) {
  auto with = [](auto set) {
    LimitFlags flags;
    set(flags);
    return message_of(flags);
  };
  EXPECT_NE(with([](LimitFlags& f) { f.memory = "1x"; }).find("invalid size: '1x'"), std::string::npos);
  EXPECT_EQ(with([](LimitFlags& f) { f.memory = "1m"; }), "Minimum memory limit allowed is 6MB");
  EXPECT_NE(with([](LimitFlags& f) { f.memory = "64m"; f.memory_swap = "32m"; }).find("memoryswap limit should be larger"),
            std::string::npos);
  EXPECT_NE(with([](LimitFlags& f) { f.memory_swap = "64m"; }).find("always set the Memory limit"), std::string::npos);
  EXPECT_NE(with([](LimitFlags& f) { f.memory = "64m"; f.memory_reservation = "128m"; }).find("reservation"),
            std::string::npos);
  EXPECT_NE(with([](LimitFlags& f) { f.memory_swappiness = "101"; }).find("swappiness range is 0-100"), std::string::npos);
  EXPECT_EQ(with([](LimitFlags& f) { f.cpus = "0"; }),
            "Range of CPUs is from 0.01 to 8.00, as there are only 8 CPUs available");
  EXPECT_EQ(with([](LimitFlags& f) { f.cpus = "9"; }),
            "Range of CPUs is from 0.01 to 8.00, as there are only 8 CPUs available");
  EXPECT_NE(with([](LimitFlags& f) { f.cpus = "1"; f.cpu_period = "50000"; }).find("Conflicting options"), std::string::npos);
  EXPECT_NE(with([](LimitFlags& f) { f.cpu_period = "10"; }).find("period"), std::string::npos);
  EXPECT_EQ(with([](LimitFlags& f) { f.cpuset_cpus = "99"; }),
            "Requested CPUs are not available - requested 99, available: 0,1,2,3,4,5,6,7");
  EXPECT_NE(with([](LimitFlags& f) { f.cpuset_cpus = "x"; }).find("Invalid value x"), std::string::npos);
  EXPECT_EQ(with([](LimitFlags& f) { f.blkio_weight = "5"; }), "Range of blkio weight is from 10 to 1000");
  EXPECT_NE(with([](LimitFlags& f) { f.device_read_bps = {"/etc/passwd:1mb"}; }).find("not a block device"),
            std::string::npos);
}

TEST(Conversions, SharesToWeightAndBlkioToIoWeight) {
  EXPECT_EQ(cpu_weight_from_shares(2), 1u);
  EXPECT_EQ(cpu_weight_from_shares(1024), 39u);
  EXPECT_EQ(cpu_weight_from_shares(262144), 10000u);
  EXPECT_EQ(io_weight_from_blkio(10), 1u);
  EXPECT_EQ(io_weight_from_blkio(1000), 10000u);
}

TEST(LimitFiles, NoLimitsNoFiles_Exercise) {
  EXPECT_TRUE(limit_files(Limits{}, CgroupVersion::v1).empty());
  EXPECT_TRUE(limit_files(Limits{}, CgroupVersion::v2).empty());
}

TEST(LimitFiles, MemoryOnV2CountsSwapAlone_Exercise) {
  Limits limits;
  std::int64_t memory = random_between(6, 1000) * MiB, swap = random_between(1, 1000) * MiB;
  limits.memory = memory;
  limits.memory_swap = memory + swap;
  limits.memory_reservation = memory / 2;
  auto files = limit_files(limits, CgroupVersion::v2);
  EXPECT_EQ(value_of(files, "memory.max"), std::to_string(memory));
  EXPECT_EQ(value_of(files, "memory.swap.max"), std::to_string(swap));
  EXPECT_EQ(value_of(files, "memory.low"), std::to_string(memory / 2));
  EXPECT_EQ(value_of(files, "memory.oom.group"), "1");
  limits.memory_swap = -1;
  EXPECT_EQ(value_of(limit_files(limits, CgroupVersion::v2), "memory.swap.max"), "max");
  limits.memory_swap = memory;  // equal: no swap
  EXPECT_EQ(value_of(limit_files(limits, CgroupVersion::v2), "memory.swap.max"), "0");
}

TEST(LimitFiles, MemoryOnV1CountsMemoryPlusSwapAfterTheLimit_Exercise) {
  Limits limits;
  std::int64_t memory = random_between(6, 1000) * MiB;
  limits.memory = memory;
  limits.memory_swap = 3 * memory;
  limits.memory_swappiness = static_cast<int>(random_between(0, 100));
  limits.oom_kill_disable = true;
  auto files = limit_files(limits, CgroupVersion::v1);
  EXPECT_EQ(value_of(files, "memory.limit_in_bytes"), std::to_string(memory));
  EXPECT_EQ(value_of(files, "memory.memsw.limit_in_bytes"), std::to_string(3 * memory));
  EXPECT_EQ(value_of(files, "memory.swappiness"), std::to_string(*limits.memory_swappiness));
  EXPECT_EQ(value_of(files, "memory.oom_control"), "1");
  auto position = [&](const std::string& name) {
    return std::find_if(files.begin(), files.end(), [&](const LimitFile& f) { return f.first == name; }) - files.begin();
  };
  EXPECT_LT(position("memory.limit_in_bytes"), position("memory.memsw.limit_in_bytes"))
      << "the kernel refuses memsw below the memory limit: write the memory limit first";
  EXPECT_FALSE(has_file(limit_files(limits, CgroupVersion::v2), "memory.swappiness"));
}

TEST(LimitFiles, CpuQuotaPeriodAndShares_Exercise) {
  Limits limits;
  std::int64_t period = random_between(1000, 1000000), quota = random_between(1000, 4000000);
  std::uint64_t shares = static_cast<std::uint64_t>(random_between(2, 262144));
  limits.cpu_period = period;
  limits.cpu_quota = quota;
  limits.cpu_shares = shares;
  auto v2 = limit_files(limits, CgroupVersion::v2);
  EXPECT_EQ(value_of(v2, "cpu.max"), std::to_string(quota) + " " + std::to_string(period));
  EXPECT_EQ(value_of(v2, "cpu.weight"), std::to_string(cpu_weight_from_shares(shares)));
  auto v1 = limit_files(limits, CgroupVersion::v1);
  EXPECT_EQ(value_of(v1, "cpu.cfs_period_us"), std::to_string(period));
  EXPECT_EQ(value_of(v1, "cpu.cfs_quota_us"), std::to_string(quota));
  EXPECT_EQ(value_of(v1, "cpu.shares"), std::to_string(shares));
  limits.cpu_quota.reset();
  EXPECT_EQ(value_of(limit_files(limits, CgroupVersion::v2), "cpu.max"), "max " + std::to_string(period));
}

TEST(LimitFiles, CpusetAndPidsHaveTheSameNamesOnBoth_Exercise) {
  Limits limits;
  limits.cpuset_cpus = "0-" + std::to_string(random_between(1, 63));
  limits.cpuset_mems = "0";
  limits.pids_limit = random_between(1, 100000);
  for (auto version : {CgroupVersion::v1, CgroupVersion::v2}) {
    auto files = limit_files(limits, version);
    EXPECT_EQ(value_of(files, "cpuset.cpus"), *limits.cpuset_cpus);
    EXPECT_EQ(value_of(files, "cpuset.mems"), "0");
    EXPECT_EQ(value_of(files, "pids.max"), std::to_string(*limits.pids_limit));
  }
  limits.pids_limit = -1;
  EXPECT_EQ(value_of(limit_files(limits, CgroupVersion::v2), "pids.max"), "max");
}

TEST(LimitFiles, BlockIoWeightsAndRates_Exercise) {
  Limits limits;
  std::uint64_t weight = static_cast<std::uint64_t>(random_between(10, 1000));
  std::uint64_t rbps = static_cast<std::uint64_t>(random_between(1, 1000)) * MiB;
  std::uint64_t wiops = static_cast<std::uint64_t>(random_between(1, 5000));
  limits.blkio_weight = weight;
  limits.device_read_bps = {{8, 16, rbps}};
  limits.device_write_iops = {{8, 16, wiops}, {253, 1, 77}};
  auto v2 = limit_files(limits, CgroupVersion::v2);
  EXPECT_EQ(value_of(v2, "io.weight"), "default " + std::to_string(io_weight_from_blkio(weight)));
  std::vector<std::string> io_max;
  for (const auto& [name, value] : v2)
    if (name == "io.max") io_max.push_back(value);
  std::sort(io_max.begin(), io_max.end());
  EXPECT_EQ(io_max, (std::vector<std::string>{"253:1 wiops=77", "8:16 rbps=" + std::to_string(rbps) + " wiops=" +
                                                                    std::to_string(wiops)}));
  auto v1 = limit_files(limits, CgroupVersion::v1);
  EXPECT_EQ(value_of(v1, "blkio.weight"), std::to_string(weight));
  EXPECT_EQ(value_of(v1, "blkio.throttle.read_bps_device"), "8:16 " + std::to_string(rbps));
  int iops_lines = 0;
  for (const auto& [name, value] : v1)
    if (name == "blkio.throttle.write_iops_device") ++iops_lines;
  EXPECT_EQ(iops_lines, 2) << "v1 takes one device per write";
}

}  // namespace
