/// @file container_stats.hpp
/// @brief `docker stats`: one sample of a running container in docker's JSON, from chapter
/// 08's cgroup readers (CPU time, memory, processes, block I/O) and the network devices of
/// its namespace (/proc/PID/net/dev). The CLI computes CPU % from two samples: this one and
/// the one before (precpu_stats), with the host's CPU time of the same moments.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "container_store.hpp"
#include "dockling/state.hpp"

namespace dockling::ch14 {

/// One moment's figures of a container.
struct StatsSample {
  std::string read;                   ///< when (RFC 3339)
  std::uint64_t cpu_ns = 0;           ///< the container's CPU time
  std::uint64_t system_ns = 0;        ///< the host's CPU time, all CPUs (/proc/stat)
  std::uint64_t memory = 0;           ///< bytes in use now
  std::uint64_t memory_peak = 0;      ///< the most bytes ever in use
  std::uint64_t memory_limit = 0;     ///< -m, else the host's memory
  std::uint64_t pids = 0;             ///< processes now
  std::uint64_t io_read = 0;          ///< bytes read from block devices
  std::uint64_t io_write = 0;         ///< bytes written to block devices
  nlohmann::json networks = nlohmann::json::object();  ///< per device but lo
};

/// A sample of the running container `record` (zeros for one that does not run).
StatsSample sample_stats(const StateRoot& root, const ch10::ContainerRecord& record);

/// docker's stats JSON: `now` with `before` as precpu_stats (zeros without one).
nlohmann::json stats_json(const ch10::ContainerRecord& record, const StatsSample& now,
                          const std::optional<StatsSample>& before);

}  // namespace dockling::ch14
