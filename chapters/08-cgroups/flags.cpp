#include "flags.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <set>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "dockling/fs.hpp"
#include "dockling/log.hpp"

namespace dockling::ch08 {

namespace {

/// "-m, --memory": the flag's names as docker's messages show them.
Error invalid(const std::string& flag, const std::string& value, const std::string& why) {
  return Error(fmt::format("invalid argument \"{}\" for \"{}\" flag: {}", value, flag, why));
}

/// A whole decimal integer, or nullopt.
std::optional<std::int64_t> parse_integer(const std::string& text) {
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || stop != end) return std::nullopt;
  return value;
}

std::int64_t integer_flag(const std::string& flag, const std::string& text) {
  auto value = parse_integer(text);
  if (!value) throw invalid(flag, text, fmt::format("strconv.ParseInt: parsing \"{}\": invalid syntax", text));
  return *value;
}

/// "/dev/sda:1mb" → the device's numbers and the text after the colon.
std::pair<struct stat, std::string> device_and_rate(const std::string& flag, const std::string& text) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0)
    throw invalid(flag, text, fmt::format("bad format: {} (expected DEVICE:VALUE)", text));
  std::string path = text.substr(0, colon);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) throw SysError("stat", path, errno);
  if (!S_ISBLK(st.st_mode)) throw invalid(flag, text, fmt::format("{} is not a block device", path));
  return {st, text.substr(colon + 1)};
}

std::vector<DeviceLimit> device_limits(const std::string& flag, const std::vector<std::string>& texts,
                                       bool size_units) {
  std::vector<DeviceLimit> limits;
  for (const auto& text : texts) {
    auto [st, rate_text] = device_and_rate(flag, text);
    std::int64_t rate = 0;
    if (size_units) {
      try {
        rate = parse_size(rate_text);
      } catch (const Error& e) {
        throw invalid(flag, text, e.what());
      }
    } else {
      auto value = parse_integer(rate_text);
      if (!value) throw invalid(flag, text, fmt::format("invalid rate {}", rate_text));
      rate = *value;
    }
    if (rate <= 0) throw invalid(flag, text, "the rate must be positive");
    limits.push_back({::major(st.st_rdev), ::minor(st.st_rdev), static_cast<std::uint64_t>(rate)});
  }
  return limits;
}

std::string join_list(const std::vector<unsigned>& values) {
  return fmt::format("{}", fmt::join(values, ","));
}

/// Checks that every CPU (or node) `text` names is in `available`.
void check_list(const std::string& what, const std::string& text, const std::vector<unsigned>& available) {
  std::vector<unsigned> requested;
  try {
    requested = parse_cpu_list(text);
  } catch (const Error&) {
    throw Error(fmt::format("Invalid value {} for cpuset {}", text, what));
  }
  std::set<unsigned> offered(available.begin(), available.end());
  for (unsigned item : requested) {
    if (!offered.count(item)) {
      throw Error(fmt::format("Requested {} are not available - requested {}, available: {}",
                              what == "cpus" ? "CPUs" : "memory nodes", text, join_list(available)));
    }
  }
}

std::vector<unsigned> read_online(const std::string& path, std::vector<unsigned> fallback) {
  if (!path_exists(path)) return fallback;
  std::string text = read_file(path);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return parse_cpu_list(text);
}

}  // namespace

void add_limit_flags(CLI::App& run, LimitFlags& flags) {
  auto one = [&](const std::string& names, std::string& into, const std::string& help) {
    run.add_option(names, into, help)->group("Resources (cgroups)");
  };
  auto many = [&](const std::string& names, std::vector<std::string>& into, const std::string& help) {
    run.add_option(names, into, help)->allow_extra_args(false)->group("Resources (cgroups)");
  };
  one("-m,--memory", flags.memory, "Memory limit (b, k, m, g; at least 6m)");
  one("--memory-swap", flags.memory_swap, "Memory plus swap: -1 for unlimited swap (default twice --memory)");
  one("--memory-reservation", flags.memory_reservation, "Memory soft limit");
  one("--memory-swappiness", flags.memory_swappiness, "Tune the container's swappiness (0 to 100)");
  run.add_flag("--oom-kill-disable", flags.oom_kill_disable, "Disable the OOM killer")
      ->group("Resources (cgroups)");
  one("--cpus", flags.cpus, "Number of CPUs (e.g. 1.5)");
  one("--cpu-period", flags.cpu_period, "Limit the CPU CFS period (microseconds)");
  one("--cpu-quota", flags.cpu_quota, "Limit the CPU CFS quota (microseconds)");
  one("-c,--cpu-shares", flags.cpu_shares, "CPU shares (relative weight)");
  one("--cpuset-cpus", flags.cpuset_cpus, "CPUs in which to allow execution (0-3, 0,1)");
  one("--cpuset-mems", flags.cpuset_mems, "Memory nodes in which to allow execution (0-3, 0,1)");
  one("--pids-limit", flags.pids_limit, "Tune the container's pids limit (-1 for unlimited)");
  one("--blkio-weight", flags.blkio_weight, "Block IO weight (10 to 1000)");
  many("--blkio-weight-device", flags.blkio_weight_device, "Block IO weight of a device (PATH:WEIGHT)");
  many("--device-read-bps", flags.device_read_bps, "Limit read rate from a device (PATH:RATE, e.g. /dev/sda:1mb)");
  many("--device-write-bps", flags.device_write_bps, "Limit write rate to a device (PATH:RATE)");
  many("--device-read-iops", flags.device_read_iops, "Limit read rate from a device (PATH:IO-PER-SECOND)");
  many("--device-write-iops", flags.device_write_iops, "Limit write rate to a device (PATH:IO-PER-SECOND)");
}

std::int64_t parse_size(const std::string& text) {
  // docker's (go-units') RAMInBytes: ^(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  std::string number = text.substr(0, i);
  std::string unit = text.substr(i);
  if (!unit.empty() && unit.front() == ' ') unit.erase(0, 1);
  for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const std::string kUnits = "kmgtp";
  double multiplier = 1;
  size_t u = 0;
  if (u < unit.size() && kUnits.find(unit[u]) != std::string::npos) {
    multiplier = std::pow(1024.0, static_cast<double>(kUnits.find(unit[u]) + 1));
    ++u;
    if (u < unit.size() && unit[u] == 'i') ++u;
  }
  if (u < unit.size() && unit[u] == 'b') ++u;
  bool number_ok = !number.empty() && std::isdigit(static_cast<unsigned char>(number.front())) &&
                   number.back() != '.' && number.find("..") == std::string::npos;
  if (!number_ok || u != unit.size()) throw Error(fmt::format("invalid size: '{}'", text));
  double value = std::stod(number) * multiplier;
  if (value > 9.2e18) throw Error(fmt::format("invalid size: '{}' (too large)", text));
  return static_cast<std::int64_t>(value);
}

std::vector<unsigned> parse_cpu_list(const std::string& text) {
  std::vector<unsigned> items;
  auto bad = [&] { return Error(fmt::format("invalid list \"{}\"", text)); };
  size_t start = 0;
  if (text.empty()) throw bad();
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string part = text.substr(start, end - start);
    size_t dash = part.find('-');
    auto first = parse_integer(part.substr(0, dash));
    auto last = dash == std::string::npos ? first : parse_integer(part.substr(dash + 1));
    if (!first || !last || *first < 0 || *last < *first || *last > 65535) throw bad();
    for (auto n = *first; n <= *last; ++n) items.push_back(static_cast<unsigned>(n));
    start = end + 1;
  }
  return items;
}

HostResources HostResources::current() {
  HostResources host;
  host.cpus = read_online("/sys/devices/system/cpu/online", {0});
  host.nodes = read_online("/sys/devices/system/node/online", {0});
  return host;
}

Limits parse_limits(const LimitFlags& flags, const HostResources& host) {
  Limits limits;
  auto size_flag = [](const std::string& flag, const std::string& text) {
    try {
      return parse_size(text);
    } catch (const Error& e) {
      throw invalid(flag, text, e.what());
    }
  };

  // Memory: docker's rules, in the daemon's order and words.
  if (!flags.memory.empty()) {
    limits.memory = size_flag("-m, --memory", flags.memory);
    if (*limits.memory > 0 && *limits.memory < 6 * 1024 * 1024)
      throw Error("Minimum memory limit allowed is 6MB");
    if (*limits.memory == 0) limits.memory.reset();  // docker: 0 means no limit
  }
  if (!flags.memory_swap.empty()) {
    std::int64_t swap = flags.memory_swap == "-1" ? -1 : size_flag("--memory-swap", flags.memory_swap);
    if (!limits.memory) throw Error("You should always set the Memory limit when using Memoryswap limit, see usage");
    if (swap != -1 && swap < *limits.memory)
      throw Error("Minimum memoryswap limit should be larger than memory limit, see usage");
    limits.memory_swap = swap;
  } else if (limits.memory) {
    limits.memory_swap = 2 * *limits.memory;  // docker's default: as much swap as memory
  }
  if (!flags.memory_reservation.empty()) {
    limits.memory_reservation = size_flag("--memory-reservation", flags.memory_reservation);
    if (limits.memory && *limits.memory < *limits.memory_reservation)
      throw Error("Minimum memory limit can not be less than memory reservation limit, see usage");
  }
  if (!flags.memory_swappiness.empty()) {
    auto value = integer_flag("--memory-swappiness", flags.memory_swappiness);
    if (value < 0 || value > 100)
      throw Error(fmt::format("Invalid value: {}, valid memory swappiness range is 0-100", value));
    limits.memory_swappiness = static_cast<int>(value);
  }
  limits.oom_kill_disable = flags.oom_kill_disable;
  if (limits.oom_kill_disable && !limits.memory)
    log::warning("Disabling the OOM killer on containers without setting a '-m/--memory' limit may be dangerous.");

  // CPU time: --cpus is period 100000 and a quota of cpus × period.
  if (!flags.cpu_period.empty()) {
    limits.cpu_period = integer_flag("--cpu-period", flags.cpu_period);
    if (*limits.cpu_period < 1000 || *limits.cpu_period > 1000000)
      throw Error("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
  }
  if (!flags.cpu_quota.empty()) {
    limits.cpu_quota = integer_flag("--cpu-quota", flags.cpu_quota);
    if (*limits.cpu_quota != -1 && *limits.cpu_quota < 1000)
      throw Error("CPU cfs quota can not be less than 1ms (i.e. 1000)");
  }
  if (!flags.cpus.empty()) {
    if (limits.cpu_period) throw Error("Conflicting options: Nano CPUs and CPU Period cannot both be set");
    if (limits.cpu_quota) throw Error("Conflicting options: Nano CPUs and CPU Quota cannot both be set");
    double cpus = 0;
    auto [stop, error] = std::from_chars(flags.cpus.data(), flags.cpus.data() + flags.cpus.size(), cpus);
    if (error != std::errc() || stop != flags.cpus.data() + flags.cpus.size())
      throw invalid("--cpus", flags.cpus, "failed to parse as a number");
    const auto count = host.cpus.size();
    if (cpus < 0.01 || cpus > static_cast<double>(count))
      throw Error(fmt::format("Range of CPUs is from 0.01 to {}.00, as there are only {} CPUs available", count, count));
    limits.cpu_period = 100000;
    limits.cpu_quota = std::llround(cpus * 100000);
  }
  if (!flags.cpu_shares.empty()) {
    auto shares = integer_flag("-c, --cpu-shares", flags.cpu_shares);
    if (shares < 2 || shares > 262144) throw Error("cpu-shares must be between 2 and 262144");
    limits.cpu_shares = static_cast<std::uint64_t>(shares);
  }
  if (!flags.cpuset_cpus.empty()) {
    check_list("cpus", flags.cpuset_cpus, host.cpus);
    limits.cpuset_cpus = flags.cpuset_cpus;
  }
  if (!flags.cpuset_mems.empty()) {
    check_list("mems", flags.cpuset_mems, host.nodes);
    limits.cpuset_mems = flags.cpuset_mems;
  }

  if (!flags.pids_limit.empty()) {
    auto pids = integer_flag("--pids-limit", flags.pids_limit);
    limits.pids_limit = pids <= 0 ? -1 : pids;  // docker: 0 or -1 is unlimited
  }

  // Block I/O.
  if (!flags.blkio_weight.empty()) {
    auto weight = integer_flag("--blkio-weight", flags.blkio_weight);
    if (weight != 0 && (weight < 10 || weight > 1000)) throw Error("Range of blkio weight is from 10 to 1000");
    if (weight != 0) limits.blkio_weight = static_cast<std::uint64_t>(weight);
  }
  limits.blkio_weight_device = device_limits("--blkio-weight-device", flags.blkio_weight_device, false);
  for (const auto& device : limits.blkio_weight_device)
    if (device.value < 10 || device.value > 1000) throw Error("Range of blkio weight is from 10 to 1000");
  limits.device_read_bps = device_limits("--device-read-bps", flags.device_read_bps, true);
  limits.device_write_bps = device_limits("--device-write-bps", flags.device_write_bps, true);
  limits.device_read_iops = device_limits("--device-read-iops", flags.device_read_iops, false);
  limits.device_write_iops = device_limits("--device-write-iops", flags.device_write_iops, false);
  return limits;
}

}  // namespace dockling::ch08
