// Chapter 08 exercise: fill in limit_files, then grade it with
//   sudo scripts/grade 8
// Its contract is in chapters/08-cgroups/limits.hpp; the README has the table of files.
#include "limits.hpp"

#include <fmt/format.h>

#include "dockling/error.hpp"

namespace dockling::ch08 {

std::vector<LimitFile> limit_files(const Limits& limits, CgroupVersion version) {
  // TODO: return one {file, value} pair per write, only for the limits that are set.
  // 1. Memory. v2: memory.max; v1: memory.limit_in_bytes. Values are plain byte counts:
  //    std::to_string(*limits.memory). On v2 also write memory.oom.group = "1" with -m, so
  //    the OOM killer ends the whole container, not one random process in it.
  // 2. Swap. docker's --memory-swap is memory PLUS swap. v1's memory.memsw.limit_in_bytes
  //    means the same (write it AFTER memory.limit_in_bytes: the kernel wants memsw >= mem).
  //    v2's memory.swap.max is swap ALONE: memory_swap - memory, or "max" for -1.
  // 3. memory.low | memory.soft_limit_in_bytes for the reservation; memory.swappiness and
  //    memory.oom_control = "1" (--oom-kill-disable) exist on v1 only.
  // 4. CPU. v2 has one file, cpu.max = "QUOTA PERIOD" ("max" for no quota, period 100000 by
  //    default): --cpus 1.5 gives "150000 100000". v1 has cpu.cfs_period_us and
  //    cpu.cfs_quota_us (period first). Shares: cpu.shares on v1,
  //    cpu.weight = cpu_weight_from_shares(shares) on v2.
  // 5. cpuset.cpus, cpuset.mems and pids.max (a number, or "max" when pids_limit <= 0) have
  //    the same names on both.
  // 6. Block I/O weight: blkio.weight "W" | io.weight "default W'" with
  //    W' = io_weight_from_blkio(W); per device "MAJ:MIN W" in blkio.weight_device | io.weight.
  // 7. Rates. v1: one "MAJ:MIN N" write per device into blkio.throttle.read_bps_device,
  //    ...write_bps_device, ...read_iops_device, ...write_iops_device. v2: ONE io.max line per
  //    device with all its keys: "8:0 rbps=1048576 wiops=100" (a std::map keyed by
  //    {major, minor} keeps them together).
  // Check yourself against the README's table; the layout tests print what they expected.
  (void)limits;
  (void)version;
  throw NotImplemented("ch08::limit_files", "exercises/08-cgroups/limit_files.cpp");
}

}  // namespace dockling::ch08
