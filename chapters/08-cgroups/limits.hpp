/// @file limits.hpp
/// @brief Chapter 08's exercise: resource limits, and the cgroup files that enforce them.
///
/// The exercise function limit_files() is defined in exercises/08-cgroups/limit_files.cpp
/// (the stub you fill in) or solutions/08-cgroups/limit_files.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "spec.hpp"

namespace dockling::ch08 {

/// The two versions of the cgroup interface. A hybrid machine has both mounted, but its
/// controllers (memory, cpu, ...) live in the v1 hierarchies, so it speaks v1.
enum class CgroupVersion {
  v1,  ///< one hierarchy per controller: /sys/fs/cgroup/memory/..., /sys/fs/cgroup/cpu/...
  v2,  ///< one tree for every controller: /sys/fs/cgroup/...
};

/// A limit for one block device (spec.hpp): `--device-read-bps /dev/sda:1mb` is {8, 0, 1048576}.
using dockling::DeviceLimit;

/// The limits of one container: the spec's resources (spec.hpp), parsed and checked (see
/// parse_limits): every value in the kernel's units, docker's defaults filled in, unset meaning
/// "no limit". (Its `unified` files are an OCI bundle's; limit_files leaves them alone.)
using Limits = dockling::Resources;

/// One write into a cgroup: the file's name (e.g. "memory.max") and the text to write.
/// On v1 the part of the name before the first dot names the hierarchy ("memory", "cpu",
/// "cpuset", "pids", "blkio"). A file may appear more than once (one line per device).
using LimitFile = std::pair<std::string, std::string>;

/// Exercise: the files that enforce `limits` on cgroup `version`, in the order to write them.
///
/// Only set limits produce files. v2 | v1 names:
/// - memory: memory.max | memory.limit_in_bytes; swap: memory.swap.max holds swap ALONE
///   (memory_swap - memory, or "max" for -1) | memory.memsw.limit_in_bytes holds memory+swap
///   (-1 stays -1) and must come after memory.limit_in_bytes.
/// - reservation: memory.low | memory.soft_limit_in_bytes; swappiness: none on v2 |
///   memory.swappiness. With -m on v2, memory.oom.group "1" (the OOM killer takes the whole
///   container); --oom-kill-disable: none on v2 | memory.oom_control "1".
/// - cpu: cpu.max "QUOTA PERIOD" (quota "max" when unset or -1, period 100000 when unset) |
///   cpu.cfs_period_us then cpu.cfs_quota_us; shares: cpu.weight (cpu_weight_from_shares) |
///   cpu.shares.
/// - cpuset.cpus, cpuset.mems and pids.max (value or "max") on both.
/// - blkio weight: io.weight "default W" (io_weight_from_blkio) | blkio.weight "W"; per
///   device: io.weight "MAJ:MIN W" | blkio.weight_device "MAJ:MIN W".
/// - bps/iops: one io.max line per device, "MAJ:MIN rbps=N wbps=N riops=N wiops=N" with only
///   the keys that are set | blkio.throttle.{read,write}_{bps,iops}_device "MAJ:MIN N", one
///   write per device.
std::vector<LimitFile> limit_files(const Limits& limits, CgroupVersion version);

/// --cpu-shares (v1, 2..262144, default 1024) as v2's cpu.weight (1..10000, default 100):
/// the conversion runc and crun use, 1 + ((shares - 2) × 9999) / 262142.
std::uint64_t cpu_weight_from_shares(std::uint64_t shares);

/// --blkio-weight (v1, 10..1000) as v2's io.weight (1..10000): runc's conversion,
/// 1 + (weight - 10) × 9999 / 990.
std::uint64_t io_weight_from_blkio(std::uint64_t weight);

}  // namespace dockling::ch08
