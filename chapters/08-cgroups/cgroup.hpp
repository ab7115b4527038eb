/// @file cgroup.hpp
/// @brief A container's cgroup on either version: one interface, a driver for v1 and for v2.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dockling/fd.hpp"
#include "limits.hpp"

namespace dockling::ch08 {

/// Where cgroup filesystems are mounted on every distribution.
inline constexpr const char* kCgroupRoot = "/sys/fs/cgroup";

/// The cgroup root the runtime uses: $DOCKLING_CGROUP_ROOT, else kCgroupRoot. On a hybrid
/// host, DOCKLING_CGROUP_ROOT=/sys/fs/cgroup/unified runs containers in the v2 tree (it
/// offers few controllers there, but joining, stats and removal are v2's).
std::string cgroup_root();
/// The directory under each hierarchy's root that holds dockling's containers, by default.
inline constexpr const char* kCgroupParent = "dockling";

/// The parent cgroup the runtime uses: $DOCKLING_CGROUP_PARENT, else kCgroupParent. A path
/// relative to each hierarchy's root, of one name or several ("dockling-lab/lab/host2"):
/// scripts/lab gives each of its hosts a parent of its own, so that the containers of one
/// host can be found (and killed) apart from the others'. Creating, joining, listing and
/// sweeping cgroups all follow it; a container's cgroup is `PARENT/<id>`.
/// @throws Error when the variable is not such a path (empty names, ".", "..", a leading
/// "/", or characters other than letters, digits, '-', '_', '.', '@', ':' and '/').
std::string cgroup_parent();

/// How a machine mounts its cgroups.
enum class CgroupLayout {
  unified,  ///< cgroup2 at /sys/fs/cgroup: Ubuntu 22.04+, Debian 11+, Fedora 31+
  hybrid,   ///< v1 controllers at /sys/fs/cgroup/CONTROLLER, plus an empty v2 tree at unified/
  legacy,   ///< v1 controllers only
};

/// Finds the layout with statfs(2): cgroup2 at `root` is unified; a tmpfs at `root` holds v1
/// hierarchies, and a cgroup2 at `root`/unified makes it hybrid.
/// @throws Error when `root` is neither (no cgroups mounted).
CgroupLayout detect_layout(const std::string& root = kCgroupRoot);

/// The interface a layout's controllers speak: v2 for unified, v1 for hybrid and legacy.
CgroupVersion version_of(CgroupLayout layout);

/// "unified", "hybrid" or "legacy".
const char* layout_name(CgroupLayout layout);

/// What a container used, read from its cgroup (chapter 14's `stats` reads the same).
/// A value the kernel does not offer stays unset.
struct CgroupStats {
  std::optional<std::uint64_t> memory_bytes;       ///< memory in use now
  std::optional<std::uint64_t> memory_peak_bytes;  ///< the most memory ever in use
  std::optional<std::uint64_t> cpu_usec;           ///< CPU time used, user + system
  std::optional<std::uint64_t> pids;               ///< processes now
  std::optional<std::uint64_t> pids_peak;          ///< the most processes at once
  std::optional<std::uint64_t> io_read_bytes;      ///< bytes read from block devices
  std::optional<std::uint64_t> io_write_bytes;     ///< bytes written to block devices
  std::uint64_t oom_kills = 0;                     ///< processes the OOM killer ended
};

/// One container's cgroup, `dockling/<id>` (`cgroup_parent()/<id>`) under the root of the
/// hierarchy (v2) or of each controller's hierarchy (v1). The driver writes files; the Step
/// decides when.
class Cgroup {
 public:
  virtual ~Cgroup() = default;

  /// v1 or v2.
  virtual CgroupVersion version() const = 0;
  /// The cgroup's directories: one on v2, one per controller hierarchy on v1.
  virtual std::vector<std::string> directories() const = 0;
  /// Creates the directories (and `dockling/`, each level of a deeper parent), enabling the controllers on the way (v2)
  /// or giving a new cpuset its parent's CPUs and memory nodes (v1).
  /// @throws Error / SysError naming the directory or file.
  virtual void create() = 0;
  /// Writes each file (as limit_files returns them) into the cgroup. A file this kernel
  /// lacks (swap accounting off, no blkio weight) is skipped with docker's kind of warning.
  /// @throws Error naming the file and the value the kernel refused.
  virtual void apply(const std::vector<LimitFile>& files) = 0;
  /// Moves process `pid` into the cgroup: its children will be born there.
  virtual void join(pid_t pid) = 0;
  /// Moves the calling process, which must have one thread only, into the cgroup. On v1 it
  /// moves its thread ("0" into `tasks`), for which the kernel takes no global lock: moving a
  /// process by pid (`cgroup.procs`) waits for an RCU grace period, 10-20 ms, the first time.
  virtual void join_self() = 0;
  /// What the processes of the cgroup used so far.
  virtual CgroupStats stats() const = 0;
  /// Kills what is left in the cgroup and removes its directories. Never throws.
  virtual void remove() noexcept = 0;
  /// Takes over the directories of this cgroup that another process created (a container
  /// deleted by another command than the one that created it): remove() removes them.
  virtual void adopt() noexcept = 0;
};

/// The cgroup `dockling/<id>` (`cgroup_parent()/<id>`, read now) of `version` below `root`.
/// Nothing is created yet.
/// On v1, `root` holds one directory per hierarchy, named after its controllers
/// ("memory", "cpu,cpuacct", ...); links like "cpu" → "cpu,cpuacct" are followed.
std::unique_ptr<Cgroup> make_cgroup(CgroupVersion version, const std::string& id,
                                    const std::string& root = kCgroupRoot);

/// The processes in the cgroup now (its cgroup.procs; on v1 those of every hierarchy, each
/// once), in no particular order. Empty when the cgroup is gone.
std::vector<pid_t> processes(const Cgroup& cgroup);

/// Sends `signal` to every process in the cgroup, as runc's `kill --all` does: also those
/// that `exec` added, and those left when the container's first process is gone. SIGKILL on
/// v2 goes through cgroup.kill (Linux 5.14+), which no fork escapes; otherwise the list is
/// read and signalled again until a pass finds no process it has not signalled yet (a child
/// forked meanwhile is caught by the next pass). A process that exits on the way is no error.
void signal_all(const Cgroup& cgroup, int signal);

/// Held by a run from before it creates its cgroup until its child has joined it: a shared
/// flock(2) on the cgroup root. Until the child joins, the new cgroup is empty, and a sweep
/// by a parallel run (which takes the lock exclusively) would remove it. The child gets a
/// copy of the fd with clone(2) and must drop it (release()) so that it does not hold the
/// lock for its whole life.
class CreationLock {
 public:
  /// Takes the shared lock on `root`, waiting for a sweep to finish.
  explicit CreationLock(const std::string& root = kCgroupRoot);
  /// Closes this process's copy of the lock.
  void release() noexcept { fd_.reset(); }

 private:
  UniqueFd fd_;
};

/// Marks `directories` (a container's cgroups) as in use for as long as the returned
/// descriptors are open: a shared flock on each. A run holds them until it has read its
/// stats and removed the cgroups; a crashed run's locks vanish with it, so its cgroups
/// become stale and a later sweep removes them.
std::vector<UniqueFd> lock_as_owner(const std::vector<std::string>& directories);

/// Removes the empty `dockling/<id>` (`cgroup_parent()/<id>`) cgroups a crashed run left behind.
/// One in use (with processes) is left alone, so is one whose run is alive (see lock_as_owner), and so is one a
/// parallel run is setting up (see CreationLock): the
/// sweep waits up to 3 seconds for the exclusive lock and is skipped when it cannot get it.
void remove_stale_cgroups(CgroupVersion version, const std::string& root = kCgroupRoot);

}  // namespace dockling::ch08
