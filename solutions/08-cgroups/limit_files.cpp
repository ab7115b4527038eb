// Chapter 08 exercise, solved.
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "limits.hpp"

namespace dockling::ch08 {

std::vector<LimitFile> limit_files(const Limits& limits, CgroupVersion version) {
  const bool v2 = version == CgroupVersion::v2;
  std::vector<LimitFile> files;
  auto add = [&](std::string name, std::string value) { files.emplace_back(std::move(name), std::move(value)); };

  // Memory.
  if (limits.memory) {
    add(v2 ? "memory.max" : "memory.limit_in_bytes", std::to_string(*limits.memory));
    if (v2) add("memory.oom.group", "1");
  }
  if (limits.memory_swap) {
    if (v2) {
      // v2 limits swap alone; docker's --memory-swap counts memory plus swap.
      add("memory.swap.max", *limits.memory_swap == -1 ? "max"
                                                       : std::to_string(*limits.memory_swap - limits.memory.value_or(0)));
    } else {
      add("memory.memsw.limit_in_bytes", std::to_string(*limits.memory_swap));
    }
  }
  if (limits.memory_reservation)
    add(v2 ? "memory.low" : "memory.soft_limit_in_bytes", std::to_string(*limits.memory_reservation));
  if (limits.memory_swappiness && !v2) add("memory.swappiness", std::to_string(*limits.memory_swappiness));
  if (limits.oom_kill_disable && !v2) add("memory.oom_control", "1");

  // CPU time.
  if (v2) {
    if (limits.cpu_period || limits.cpu_quota) {
      std::string quota = limits.cpu_quota && *limits.cpu_quota > 0 ? std::to_string(*limits.cpu_quota) : "max";
      add("cpu.max", fmt::format("{} {}", quota, limits.cpu_period.value_or(100000)));
    }
    if (limits.cpu_shares) add("cpu.weight", std::to_string(cpu_weight_from_shares(*limits.cpu_shares)));
  } else {
    if (limits.cpu_period) add("cpu.cfs_period_us", std::to_string(*limits.cpu_period));
    if (limits.cpu_quota) add("cpu.cfs_quota_us", std::to_string(*limits.cpu_quota));
    if (limits.cpu_shares) add("cpu.shares", std::to_string(*limits.cpu_shares));
  }
  if (limits.cpuset_cpus) add("cpuset.cpus", *limits.cpuset_cpus);
  if (limits.cpuset_mems) add("cpuset.mems", *limits.cpuset_mems);

  // Processes.
  if (limits.pids_limit) add("pids.max", *limits.pids_limit > 0 ? std::to_string(*limits.pids_limit) : "max");

  // Block I/O.
  if (limits.blkio_weight) {
    if (v2) add("io.weight", fmt::format("default {}", io_weight_from_blkio(*limits.blkio_weight)));
    else add("blkio.weight", std::to_string(*limits.blkio_weight));
  }
  for (const auto& d : limits.blkio_weight_device) {
    if (v2) add("io.weight", fmt::format("{}:{} {}", d.major, d.minor, io_weight_from_blkio(d.value)));
    else add("blkio.weight_device", fmt::format("{}:{} {}", d.major, d.minor, d.value));
  }
  if (v2) {
    // One io.max line per device, with every rate set for it.
    std::map<std::pair<unsigned, unsigned>, std::string> lines;
    auto rates = [&](const std::vector<DeviceLimit>& list, const char* key) {
      for (const auto& d : list) {
        std::string& line = lines[{d.major, d.minor}];
        line += fmt::format(" {}={}", key, d.value);
      }
    };
    rates(limits.device_read_bps, "rbps");
    rates(limits.device_write_bps, "wbps");
    rates(limits.device_read_iops, "riops");
    rates(limits.device_write_iops, "wiops");
    for (const auto& [device, keys] : lines) add("io.max", fmt::format("{}:{}{}", device.first, device.second, keys));
  } else {
    auto throttle = [&](const std::vector<DeviceLimit>& list, const char* file) {
      for (const auto& d : list) add(file, fmt::format("{}:{} {}", d.major, d.minor, d.value));
    };
    throttle(limits.device_read_bps, "blkio.throttle.read_bps_device");
    throttle(limits.device_write_bps, "blkio.throttle.write_bps_device");
    throttle(limits.device_read_iops, "blkio.throttle.read_iops_device");
    throttle(limits.device_write_iops, "blkio.throttle.write_iops_device");
  }
  return files;
}

}  // namespace dockling::ch08
