#include "cgroup_step.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

#include "user_step.hpp"
#include "dockling/error.hpp"
#include "dockling/fd.hpp"
#include "dockling/log.hpp"

namespace dockling::ch08 {

namespace {

std::string value_or_dash(const std::optional<std::uint64_t>& value, std::string (*format)(std::uint64_t)) {
  return value ? format(*value) : "-";
}

std::string plain(std::uint64_t value) { return std::to_string(value); }

/// Writes the id to `path` like docker's --cidfile, refusing to overwrite a file.
void write_cidfile(const std::string& path, const std::string& id) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0 && errno == EEXIST)
    throw Error(fmt::format("Container ID file found, make sure the other container isn't running or delete {}", path));
  if (fd < 0) throw SysError("open", path, errno);
  UniqueFd owner(fd);
  write_all(fd, id);
}

}  // namespace

std::string human_bytes(std::uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{}B", bytes) : fmt::format("{:.4g}{}", value, units[unit]);
}

void CgroupStep::add_flags(CLI::App& run) {
  add_limit_flags(run, flags_);
  run.add_flag("--stats", print_stats_, "On exit, print what the container used (from its cgroup)");
  run.add_option("--cidfile", cidfile_, "Write the container ID to the file");
}

void CgroupStep::to_spec(ContainerSpec& spec) {
  spec.resources = parse_limits(flags_, HostResources::current());  // bad input: nothing created yet
}

void CgroupStep::before_clone(Container& container) {
  const ContainerSpec& spec = container.spec;
  const Limits& limits = spec.resources;
  if (!cidfile_.empty()) write_cidfile(cidfile_, spec.id);

  std::string root = cgroup_root();
  CgroupLayout layout = detect_layout(root);
  CgroupVersion version = version_of(layout);
  log::debug("cgroup: {} layout, cgroup v{}", layout_name(layout), version == CgroupVersion::v2 ? 2 : 1);
  if (version == CgroupVersion::v2) {
    if (limits.memory_swappiness) log::warning("cgroup v2 has no per-cgroup swappiness: --memory-swappiness discarded");
    if (limits.oom_kill_disable) log::warning("cgroup v2 cannot disable the OOM killer: --oom-kill-disable discarded");
  }
  std::vector<LimitFile> files = limit_files(limits, version);
  remove_stale_cgroups(version, root);
  lock_ = std::make_unique<CreationLock>(root);
  cgroup_ = make_cgroup(version, spec.id, root);
  container.record["cgroups"] = {{"version", version == CgroupVersion::v2 ? 2 : 1}, {"root", root}};
  cgroup_->create();
  owner_locks_ = lock_as_owner(cgroup_->directories());
  lock_.reset();  // owned now: a sweep leaves it alone, empty or not
  cgroup_->apply(files);
  // Moving a process by pid makes the kernel wait for an RCU grace period (10-20 ms). On v1
  // the child joins by itself instead, as one thread, which needs no such wait; not from a
  // user namespace of its own (chapter 07's step, an earlier slot, has decided that), where
  // it may not write the host's files.
  child_joins_ = version == CgroupVersion::v1 && !container.user_namespace();
  if (version == CgroupVersion::v2) {
    // The pipeline clones the child straight into it (clone3, CLONE_INTO_CGROUP): no move
    // afterwards, which would wait for an RCU grace period (see after_clone).
    std::string dir = cgroup_->directories().front();
    cgroup_dir_ = UniqueFd(check(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC), "open", dir));
    container.cgroup_fd = cgroup_dir_.get();
  }
}

void CgroupStep::after_clone(Container& container, pid_t child) {
  cgroup_dir_.reset();
  container.cgroup_fd = -1;
  joined_ = true;
  // The child waits for "go": it has run nothing outside the cgroup either way.
  if (!container.born_in_cgroup && !child_joins_) cgroup_->join(child);
}

void CgroupStep::in_child(Container& container) {
  (void)container;
  owner_locks_.clear();  // the copies clone(2) gave us: the command must not hold them
  cgroup_dir_.reset();
  if (child_joins_) cgroup_->join_self();
  if (container.spec.root.cgroups.empty()) return;
  // In its cgroup now, with the host's tree still in view: copy what in_root will mount.
  view_ = CgroupMount::capture(cgroup_->version(), cgroup_->directories());
  if (cgroup_->version() == CgroupVersion::v2) {
    // The cgroup we are in becomes the namespace's root: "0::/" in /proc/self/cgroup, and
    // the root of the cgroup2 that in_root mounts.
    check(::unshare(CLONE_NEWCGROUP), "unshare", "CLONE_NEWCGROUP");
  }
}

void CgroupStep::in_root(Container& container) {
  const std::string& mode = container.spec.root.cgroups;
  if (mode.empty()) return;
  UniqueFd root(check(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), "open", "/"));
  view_.mount(root.get(), kContainerCgroupDir, (mode == "rw" ? 0 : MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC);
}

void CgroupStep::after_exit(Container& container) noexcept {
  lock_.reset();
  auto record = container.record.find("cgroups");
  if (record == container.record.end()) return;
  try {
    if (!cgroup_) {  // made by another process: delete after `oci create`, or after a crash
      CgroupVersion version = record->value("version", 1) == 2 ? CgroupVersion::v2 : CgroupVersion::v1;
      cgroup_ = make_cgroup(version, container.spec.id, record->value("root", std::string(kCgroupRoot)));
      cgroup_->adopt();
    }
    if (joined_) {
      CgroupStats stats = cgroup_->stats();
      if (stats.oom_kills > 0) {
        const auto& memory = container.spec.resources.memory;
        std::fprintf(stderr, "OOMKilled: container %s ran out of memory (limit %s)\n",
                     container.spec.short_id().c_str(),
                     memory ? human_bytes(static_cast<std::uint64_t>(*memory)).c_str() : "none");
      }
      if (print_stats_) {
        std::string line = fmt::format(
            "stats: memory_peak_bytes={} cpu_usec={} pids_peak={} io_read_bytes={} io_write_bytes={} oom_kills={} ({} peak "
            "memory, {:.3f}s CPU)\n",
            value_or_dash(stats.memory_peak_bytes, plain), value_or_dash(stats.cpu_usec, plain),
            value_or_dash(stats.pids_peak, plain), value_or_dash(stats.io_read_bytes, plain),
            value_or_dash(stats.io_write_bytes, plain), stats.oom_kills,
            value_or_dash(stats.memory_peak_bytes, human_bytes),
            static_cast<double>(stats.cpu_usec.value_or(0)) / 1e6);
        std::fputs(line.c_str(), stderr);
      }
    }
  } catch (const std::exception& e) {
    log::warning("cgroup: {}", e.what());
  }
  if (cgroup_) cgroup_->remove();
  cgroup_.reset();
  owner_locks_.clear();
}

Steps steps() {
  Steps list = ch07::steps();
  list.push_back(std::make_unique<CgroupStep>());
  return list;
}

}  // namespace dockling::ch08
