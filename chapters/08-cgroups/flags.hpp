/// @file flags.hpp
/// @brief docker run's resource flags: their text as typed, and how it becomes Limits.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "limits.hpp"

namespace dockling::ch08 {

/// The resource flags as the user typed them; parse_limits() checks them all at once.
struct LimitFlags {
  std::string memory;              ///< -m, --memory
  std::string memory_swap;         ///< --memory-swap
  std::string memory_reservation;  ///< --memory-reservation
  std::string memory_swappiness;   ///< --memory-swappiness
  bool oom_kill_disable = false;   ///< --oom-kill-disable
  std::string cpus;                ///< --cpus
  std::string cpu_period;          ///< --cpu-period
  std::string cpu_quota;           ///< --cpu-quota
  std::string cpu_shares;          ///< -c, --cpu-shares
  std::string cpuset_cpus;         ///< --cpuset-cpus
  std::string cpuset_mems;         ///< --cpuset-mems
  std::string pids_limit;          ///< --pids-limit
  std::string blkio_weight;        ///< --blkio-weight
  std::vector<std::string> blkio_weight_device;  ///< --blkio-weight-device PATH:WEIGHT
  std::vector<std::string> device_read_bps;      ///< --device-read-bps PATH:RATE
  std::vector<std::string> device_write_bps;     ///< --device-write-bps PATH:RATE
  std::vector<std::string> device_read_iops;     ///< --device-read-iops PATH:RATE
  std::vector<std::string> device_write_iops;    ///< --device-write-iops PATH:RATE
};

/// Adds docker's resource flags to `run`, storing their text in `flags`.
void add_limit_flags(CLI::App& run, LimitFlags& flags);

/// Parses a size the way docker does: a number (decimals allowed) and an optional unit b,
/// k, m, g, t (powers of 1024, case-insensitive, "kb"/"kib" accepted): "32m" is 33554432.
/// @throws Error `invalid size: '1x'`.
std::int64_t parse_size(const std::string& text);

/// The CPUs (or memory nodes) a list like "0-2,5" names, in order.
/// @throws Error when the list is malformed.
std::vector<unsigned> parse_cpu_list(const std::string& text);

/// What this machine offers, for checking --cpus and --cpuset-*: the online CPUs and
/// memory nodes (from /sys/devices/system/{cpu,node}/online).
struct HostResources {
  std::vector<unsigned> cpus;   ///< online CPUs
  std::vector<unsigned> nodes;  ///< online memory nodes
  /// Reads this machine's.
  static HostResources current();
};

/// Checks every flag with docker's rules and messages and fills in docker's defaults
/// (--memory-swap is twice --memory when unset; --cpus becomes period 100000 and quota).
/// Warnings (like --oom-kill-disable without -m) go to stderr.
/// @throws Error (exit code 125) naming the flag and the rule it breaks.
Limits parse_limits(const LimitFlags& flags, const HostResources& host);

}  // namespace dockling::ch08
