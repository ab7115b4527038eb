#include "container_stats.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "dockling/fs.hpp"
#include "image_store.hpp"
#include "lifecycle.hpp"
#include "oci_exec.hpp"

namespace dockling::ch14 {

using json = nlohmann::json;

namespace {

/// The host's CPU time in nanoseconds: the first line of /proc/stat, in clock ticks.
std::uint64_t system_cpu_ns() {
  std::ifstream stat("/proc/stat");
  std::string cpu;
  stat >> cpu;
  std::uint64_t total = 0, value;
  for (int i = 0; i < 8 && stat >> value; ++i) total += value;  // user .. steal
  return total * (1000000000ULL / static_cast<std::uint64_t>(::sysconf(_SC_CLK_TCK)));
}

std::uint64_t host_memory() {
  return static_cast<std::uint64_t>(::sysconf(_SC_PHYS_PAGES)) * static_cast<std::uint64_t>(::sysconf(_SC_PAGE_SIZE));
}

/// The devices of the container's network namespace but lo, docker's fields.
json network_devices(pid_t pid) {
  json devices = json::object();
  std::ifstream dev("/proc/" + std::to_string(pid) + "/net/dev");
  std::string line;
  for (int skip = 0; skip < 2 && std::getline(dev, line); ++skip) {
  }
  while (std::getline(dev, line)) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    name.erase(0, name.find_first_not_of(' '));
    if (name == "lo") continue;
    std::istringstream fields(line.substr(colon + 1));
    std::uint64_t v[16] = {};
    for (auto& field : v) fields >> field;
    devices[name] = {{"rx_bytes", v[0]},  {"rx_packets", v[1]}, {"rx_errors", v[2]},  {"rx_dropped", v[3]},
                     {"tx_bytes", v[8]},  {"tx_packets", v[9]}, {"tx_errors", v[10]}, {"tx_dropped", v[11]}};
  }
  return devices;
}

json cpu_json(const StatsSample& sample) {
  return {{"cpu_usage", {{"total_usage", sample.cpu_ns}, {"usage_in_kernelmode", 0}, {"usage_in_usermode", 0}}},
          {"system_cpu_usage", sample.system_ns},
          {"online_cpus", std::thread::hardware_concurrency()},
          {"throttling_data", {{"periods", 0}, {"throttled_periods", 0}, {"throttled_time", 0}}}};
}

}  // namespace

StatsSample sample_stats(const StateRoot& root, const ch10::ContainerRecord& record) {
  StatsSample sample;
  sample.read = ch10::rfc3339_now();
  if (record.status() != "running") return sample;
  Steps none;
  ContainerState state = Lifecycle(none, root).state(record.id());
  sample.system_ns = system_cpu_ns();
  if (std::unique_ptr<ch08::Cgroup> cgroup = ch09::container_cgroup(state)) {
    ch08::CgroupStats stats = cgroup->stats();
    sample.cpu_ns = stats.cpu_usec.value_or(0) * 1000;
    sample.memory = stats.memory_bytes.value_or(0);
    sample.memory_peak = stats.memory_peak_bytes.value_or(0);
    sample.pids = stats.pids.value_or(0);
    sample.io_read = stats.io_read_bytes.value_or(0);
    sample.io_write = stats.io_write_bytes.value_or(0);
  }
  // What the CLI divides by: -m, else the host's memory (docker's for an unlimited cgroup).
  sample.memory_limit = state.spec.resources.memory ? static_cast<std::uint64_t>(*state.spec.resources.memory) : host_memory();
  sample.networks = network_devices(state.process.pid);
  return sample;
}

json stats_json(const ch10::ContainerRecord& record, const StatsSample& now, const std::optional<StatsSample>& before) {
  StatsSample none;
  const StatsSample& pre = before ? *before : none;
  json stats = {
      {"read", now.read},
      {"preread", before ? before->read : "0001-01-01T00:00:00Z"},
      {"pids_stats", {{"current", now.pids}}},
      {"blkio_stats",
       {{"io_service_bytes_recursive",
         json::array({{{"major", 0}, {"minor", 0}, {"op", "read"}, {"value", now.io_read}},
                      {{"major", 0}, {"minor", 0}, {"op", "write"}, {"value", now.io_write}}})}}},
      {"num_procs", 0},
      {"storage_stats", json::object()},
      {"cpu_stats", cpu_json(now)},
      {"precpu_stats", cpu_json(pre)},
      {"memory_stats", {{"usage", now.memory}, {"max_usage", now.memory_peak}, {"stats", json::object()}, {"limit", now.memory_limit}}},
      {"name", "/" + record.name()},
      {"id", record.id()}};
  if (!now.networks.empty()) stats["networks"] = now.networks;
  return stats;
}

}  // namespace dockling::ch14
