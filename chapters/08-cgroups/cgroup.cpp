#include "cgroup.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string_view>
#include <thread>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "dockling/fd.hpp"
#include "dockling/fs.hpp"
#include "dockling/log.hpp"

namespace dockling::ch08 {

namespace fs = std::filesystem;

namespace {

/// Files a kernel may lack without the limit being wrong: docker warns and goes on.
const std::set<std::string> kOptionalFiles = {
    "memory.memsw.limit_in_bytes",  // v1 swap accounting off (swapaccount=0)
    "memory.swap.max",              // v2 swap accounting off
    "memory.swappiness",            // gone from v1 memory on recent kernels
    "blkio.weight",                 // only with the CFQ or BFQ scheduler
    "blkio.weight_device",
    "io.weight",                    // only with blk-iocost or BFQ
};

/// v1 files with a BFQ twin, used when the CFQ one is missing (as runc does).
const std::map<std::string, std::string> kV1Fallbacks = {
    {"blkio.weight", "blkio.bfq.weight"},
    {"blkio.weight_device", "blkio.bfq.weight_device"},
};

/// The v1 hierarchies a container joins, and the v2 controllers it enables.
const std::vector<std::string> kV1Controllers = {"blkio", "cpu", "cpuacct", "cpuset", "memory", "pids"};
const std::vector<std::string> kV2Controllers = {"cpuset", "cpu", "io", "memory", "pids"};

bool is_container_id(const std::string& name) {
  return name.size() == 64 && std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string trim(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text;
}

/// The text of a cgroup file, or nullopt when it does not exist or cannot be read.
std::optional<std::string> read_optional(const std::string& path) {
  try {
    return read_file(path);
  } catch (const SysError&) {
    return std::nullopt;
  }
}

/// One write(2) of `value` into cgroup file `path`: the kernel takes each write as one
/// command, and its errno says why it refused (EINVAL for a bad value, EBUSY, ...).
void write_cgroup_file(const std::string& path, const std::string& value) {
  int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) throw SysError("open", path, errno);
  UniqueFd owner(fd);
  ssize_t n = ::write(fd, value.data(), value.size());
  if (n < 0) {
    throw Error(fmt::format("cgroup: writing \"{}\" to {}: {}", value, path, std::strerror(errno)));
  }
}

/// mkdir that accepts an existing directory. Returns true when it made a new one.
bool make_directory(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) == 0) return true;
  if (errno == EEXIST) return false;
  throw SysError("mkdir", path, errno);
}

/// The directories from `base` down to `base`/`parent`, one per level of the parent:
/// "dockling-lab/lab/host2" → base/dockling-lab, base/dockling-lab/lab, base/dockling-lab/lab/host2.
std::vector<std::string> parent_levels(const std::string& base, const std::string& parent) {
  std::vector<std::string> levels;
  std::string dir = base;
  std::istringstream names(parent);
  for (std::string name; std::getline(names, name, '/');) {
    dir += "/" + name;
    levels.push_back(dir);
  }
  return levels;
}

/// "key value" lines (cpu.stat, memory.events) → the value of `key`.
std::optional<std::uint64_t> keyed_value(const std::optional<std::string>& text, const std::string& key) {
  if (!text) return std::nullopt;
  std::istringstream lines(*text);
  std::string name;
  std::uint64_t value = 0;
  while (lines >> name >> value)
    if (name == key) return value;
  return std::nullopt;
}

std::optional<std::uint64_t> number(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  try {
    return std::stoull(*text);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

/// Kills the processes listed in `procs_file` until none are left and `dir` can be
/// removed; gives up after about two seconds.
void kill_and_remove(const std::string& dir, const std::string& procs_file, const std::string& kill_file) {
  if (!kill_file.empty() && path_exists(kill_file)) {
    try {
      write_cgroup_file(kill_file, "1");  // v2 (5.14+): the kernel kills them all at once
    } catch (const Error&) {
    }
  }
  for (int attempt = 0; attempt < 200; ++attempt) {
    if (auto procs = read_optional(procs_file)) {
      std::istringstream list(*procs);
      pid_t pid;
      while (list >> pid) ::kill(pid, SIGKILL);
    }
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) {
      log::debug("cgroup: removed {}", dir);
      return;
    }
    if (errno != EBUSY) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  log::warning("could not remove cgroup {}: {}", dir, std::strerror(errno));
}

// --- v2 ----------------------------------------------------------------------------------

/// cgroup v2: one tree. `root/dockling/<id>`; the controllers must be switched on in the
/// subtree_control of every ancestor, and only leaves may hold processes.
class CgroupV2 : public Cgroup {
 public:
  CgroupV2(std::string root, const std::string& id)
      : root_(std::move(root)),
        parent_name_(cgroup_parent()),
        parent_(root_ + "/" + parent_name_),
        dir_(parent_ + "/" + id) {}

  CgroupVersion version() const override { return CgroupVersion::v2; }
  std::vector<std::string> directories() const override { return {dir_}; }

  void create() override {
    std::string wanted = controllers_to_enable();
    enable(root_, wanted);
    for (const auto& level : parent_levels(root_, parent_name_)) {
      make_directory(level);
      enable(level, wanted);  // dockling/ holds no process, so it may delegate
    }
    created_ = make_directory(dir_);
    log::debug("cgroup: {} (v2, controllers {})", dir_, wanted);
  }

  void apply(const std::vector<LimitFile>& files) override {
    for (const auto& [name, value] : files) {
      std::string path = dir_ + "/" + name;
      if (!path_exists(path)) {
        if (kOptionalFiles.count(name)) {
          log::warning("this kernel has no {}: the limit \"{}\" is discarded", name, value);
          continue;
        }
        throw Error(fmt::format("cgroup: {} does not exist: is the {} controller enabled in {}/cgroup.subtree_control?",
                                path, name.substr(0, name.find('.')), parent_));
      }
      log::debug("cgroup: {} = {}", path, value);
      write_cgroup_file(path, value);
    }
  }

  void join(pid_t pid) override {
    write_cgroup_file(dir_ + "/cgroup.procs", std::to_string(pid));
  }
  void join_self() override { write_cgroup_file(dir_ + "/cgroup.procs", "0"); }

  CgroupStats stats() const override {
    CgroupStats s;
    s.memory_bytes = number(read_optional(dir_ + "/memory.current"));
    s.memory_peak_bytes = number(read_optional(dir_ + "/memory.peak"));  // Linux 5.19+
    s.cpu_usec = keyed_value(read_optional(dir_ + "/cpu.stat"), "usage_usec");
    s.pids = number(read_optional(dir_ + "/pids.current"));
    s.pids_peak = number(read_optional(dir_ + "/pids.peak"));  // Linux 6.1+
    if (auto io = read_optional(dir_ + "/io.stat")) {
      // "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0", one line per device
      std::uint64_t read = 0, written = 0;
      std::istringstream words(*io);
      std::string word;
      while (words >> word) {
        if (word.rfind("rbytes=", 0) == 0) read += std::stoull(word.substr(7));
        if (word.rfind("wbytes=", 0) == 0) written += std::stoull(word.substr(7));
      }
      s.io_read_bytes = read;
      s.io_write_bytes = written;
    }
    s.oom_kills = keyed_value(read_optional(dir_ + "/memory.events"), "oom_kill").value_or(0);
    return s;
  }

  void remove() noexcept override {
    if (created_) kill_and_remove(dir_, dir_ + "/cgroup.procs", dir_ + "/cgroup.kill");
    created_ = false;
  }

  void adopt() noexcept override { created_ = path_exists(dir_); }

 private:
  /// The controllers we use that `root` offers, as "+cpu +memory ...".
  std::string controllers_to_enable() const {
    std::string offered = read_file(root_ + "/cgroup.controllers");
    std::istringstream words(offered);
    std::set<std::string> available{std::istream_iterator<std::string>(words), {}};
    std::vector<std::string> wanted;
    for (const auto& name : kV2Controllers)
      if (available.count(name)) wanted.push_back("+" + name);
    return fmt::format("{}", fmt::join(wanted, " "));
  }

  /// Switches the controllers on for the children of `dir`, unless they already are.
  static void enable(const std::string& dir, const std::string& wanted) {
    std::string file = dir + "/cgroup.subtree_control";
    std::istringstream current(read_file(file));
    std::set<std::string> on{std::istream_iterator<std::string>(current), {}};
    std::istringstream words(wanted);
    bool missing = false;
    for (std::string word; words >> word;) missing = missing || !on.count(word.substr(1));
    if (!missing) return;
    try {
      write_cgroup_file(file, wanted);
    } catch (const Error& e) {
      throw Error(fmt::format("{} (a cgroup that holds processes cannot hand controllers to its children: "
                              "the \"no internal processes\" rule)", e.what()));
    }
  }

  std::string root_, parent_name_, parent_, dir_;
  bool created_ = false;
};

// --- v1 ----------------------------------------------------------------------------------

/// The hierarchy directory of each v1 controller below `root`: "memory" → root/memory,
/// "cpuacct" → root/cpu,cpuacct where they share one. Missing controllers are left out.
std::map<std::string, std::string> find_hierarchies(const std::string& root) {
  std::map<std::string, std::string> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    if (!entry.is_directory(ec)) continue;
    std::string name = entry.path().filename();
    std::istringstream parts(name);
    for (std::string part; std::getline(parts, part, ',');) {
      if (std::find(kV1Controllers.begin(), kV1Controllers.end(), part) == kV1Controllers.end()) continue;
      // Prefer the real directory ("cpu,cpuacct") over a link to it ("cpu").
      if (!found.count(part) || !entry.is_symlink(ec)) found[part] = fs::canonical(entry.path(), ec).string();
    }
  }
  return found;
}

/// cgroup v1: a hierarchy per controller, each with its own `dockling/<id>`.
class CgroupV1 : public Cgroup {
 public:
  CgroupV1(std::string root, const std::string& id) : root_(std::move(root)), parent_(cgroup_parent()), id_(id) {
    hierarchies_ = find_hierarchies(root_);
    for (const auto& [controller, base] : hierarchies_) bases_.insert(base);
  }

  CgroupVersion version() const override { return CgroupVersion::v1; }

  std::vector<std::string> directories() const override {
    std::vector<std::string> dirs;
    for (const auto& base : bases_) dirs.push_back(dir_in(base));
    return dirs;
  }

  void create() override {
    if (bases_.empty()) throw Error(fmt::format("cgroup: no cgroup v1 hierarchy found in {}", root_));
    for (const auto& base : bases_) {
      std::string above = base;
      for (const auto& level : parent_levels(base, parent_)) {
        make_directory(level);
        inherit_cpuset(above, level);
        above = level;
      }
      std::string dir = dir_in(base);
      if (make_directory(dir)) created_.push_back(dir);
      inherit_cpuset(above, dir);
    }
    log::debug("cgroup: {}/*/{}/{} (v1, hierarchies {})", root_, parent_, id_, fmt::join(bases_, " "));
  }

  void apply(const std::vector<LimitFile>& files) override {
    for (const auto& [name, value] : files) {
      std::string controller = name.substr(0, name.find('.'));
      auto hierarchy = hierarchies_.find(controller);
      if (hierarchy == hierarchies_.end())
        throw Error(fmt::format("cgroup: the {} controller is not mounted under {} (needed for {})", controller, root_, name));
      std::string dir = dir_in(hierarchy->second);
      std::string file = name;
      if (!path_exists(dir + "/" + file) && kV1Fallbacks.count(file) && path_exists(dir + "/" + kV1Fallbacks.at(file)))
        file = kV1Fallbacks.at(file);
      std::string path = dir + "/" + file;
      if (!path_exists(path)) {
        if (kOptionalFiles.count(name)) {
          log::warning("this kernel has no {}: the limit \"{}\" is discarded", name, value);
          continue;
        }
        throw Error(fmt::format("cgroup: {} does not exist in the {} hierarchy", path, controller));
      }
      log::debug("cgroup: {} = {}", path, value);
      write_cgroup_file(path, value);
    }
  }

  void join(pid_t pid) override {
    for (const auto& dir : directories()) write_cgroup_file(dir + "/cgroup.procs", std::to_string(pid));
  }

  void join_self() override {
    for (const auto& dir : directories()) write_cgroup_file(dir + "/tasks", "0");
  }

  CgroupStats stats() const override {
    CgroupStats s;
    auto file = [&](const std::string& controller, const std::string& name) -> std::optional<std::string> {
      auto hierarchy = hierarchies_.find(controller);
      if (hierarchy == hierarchies_.end()) return std::nullopt;
      return read_optional(dir_in(hierarchy->second) + "/" + name);
    };
    s.memory_bytes = number(file("memory", "memory.usage_in_bytes"));
    s.memory_peak_bytes = number(file("memory", "memory.max_usage_in_bytes"));
    if (auto ns = number(file("cpuacct", "cpuacct.usage"))) s.cpu_usec = *ns / 1000;
    s.pids = number(file("pids", "pids.current"));
    s.pids_peak = number(file("pids", "pids.peak"));
    if (auto io = file("blkio", "blkio.throttle.io_service_bytes")) {
      // "8:0 Read 4096", "8:0 Write 0", ..., "Total 4096"
      std::uint64_t read = 0, written = 0;
      std::istringstream lines(*io);
      for (std::string line; std::getline(lines, line);) {
        std::istringstream words(line);
        std::string device, op;
        std::uint64_t bytes = 0;
        if (!(words >> device >> op >> bytes)) continue;
        if (op == "Read") read += bytes;
        if (op == "Write") written += bytes;
      }
      s.io_read_bytes = read;
      s.io_write_bytes = written;
    }
    // memory.oom_control has "oom_kill N" since Linux 4.13; before, failcnt hints at it.
    auto oom = file("memory", "memory.oom_control");
    s.oom_kills = keyed_value(oom, "oom_kill").value_or(0);
    return s;
  }

  void remove() noexcept override {
    for (const auto& dir : created_) kill_and_remove(dir, dir + "/cgroup.procs", {});
    created_.clear();
  }

  void adopt() noexcept override {
    created_.clear();
    for (const auto& dir : directories())
      if (path_exists(dir)) created_.push_back(dir);
  }

 private:
  std::string dir_in(const std::string& base) const { return base + "/" + parent_ + "/" + id_; }

  /// A new v1 cpuset starts with no CPUs and no memory nodes, and nothing can join it:
  /// give it its parent's (docker does the same).
  static void inherit_cpuset(const std::string& parent, const std::string& dir) {
    for (const char* name : {"cpuset.cpus", "cpuset.mems"}) {
      std::string mine = dir + "/" + name;
      auto current = read_optional(mine);
      if (!current || !trim(*current).empty()) continue;
      write_cgroup_file(mine, trim(read_file(parent + "/" + name)));
    }
  }

  std::string root_, parent_, id_;
  std::map<std::string, std::string> hierarchies_;  ///< controller → hierarchy directory
  std::set<std::string> bases_;                     ///< the distinct hierarchy directories
  std::vector<std::string> created_;
};

}  // namespace

CreationLock::CreationLock(const std::string& root) {
  int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw SysError("open", root, errno);
  fd_ = UniqueFd(fd);
  while (::flock(fd, LOCK_SH) != 0)
    if (errno != EINTR) throw SysError("flock", root, errno);
}

CgroupLayout detect_layout(const std::string& root) {
  struct statfs info;
  if (::statfs(root.c_str(), &info) != 0) throw SysError("statfs", root, errno);
  if (info.f_type == CGROUP2_SUPER_MAGIC) return CgroupLayout::unified;
  if (info.f_type != TMPFS_MAGIC)
    throw Error(fmt::format("cgroup: {} is neither cgroup2 nor a tmpfs of v1 hierarchies: no cgroups mounted?", root));
  std::string unified = root + "/unified";
  if (::statfs(unified.c_str(), &info) == 0 && info.f_type == CGROUP2_SUPER_MAGIC) return CgroupLayout::hybrid;
  return CgroupLayout::legacy;
}

std::string cgroup_root() {
  const char* root = std::getenv("DOCKLING_CGROUP_ROOT");
  return root != nullptr && *root != '\0' ? root : kCgroupRoot;
}

std::string cgroup_parent() {
  const char* value = std::getenv("DOCKLING_CGROUP_PARENT");
  if (value == nullptr || *value == '\0') return kCgroupParent;
  std::string parent = value;
  auto refuse = [&](const char* why) {
    return Error(fmt::format("DOCKLING_CGROUP_PARENT=\"{}\": {} (a relative path of cgroup names, like dockling or "
                             "dockling-lab/lab/host2)",
                             parent, why));
  };
  bool allowed = std::all_of(parent.begin(), parent.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("-_.@:/").find(c) != std::string_view::npos;
  });
  if (!allowed) throw refuse("a character that is not a letter, digit, or one of - _ . @ : /");
  if (parent.front() == '/') throw refuse("an absolute path");
  std::istringstream names(parent + "/");  // a trailing "/" leaves an empty last name
  for (std::string name; std::getline(names, name, '/');) {
    if (name.empty()) throw refuse("an empty name");
    if (name == "." || name == "..") throw refuse("\".\" or \"..\" as a name");
  }
  return parent;
}

CgroupVersion version_of(CgroupLayout layout) {
  return layout == CgroupLayout::unified ? CgroupVersion::v2 : CgroupVersion::v1;
}

const char* layout_name(CgroupLayout layout) {
  switch (layout) {
    case CgroupLayout::unified: return "unified";
    case CgroupLayout::hybrid: return "hybrid";
    case CgroupLayout::legacy: return "legacy";
  }
  return "?";
}

std::unique_ptr<Cgroup> make_cgroup(CgroupVersion version, const std::string& id, const std::string& root) {
  if (version == CgroupVersion::v2) return std::make_unique<CgroupV2>(root, id);
  return std::make_unique<CgroupV1>(root, id);
}

std::vector<UniqueFd> lock_as_owner(const std::vector<std::string>& directories) {
  std::vector<UniqueFd> locks;
  for (const auto& dir : directories) {
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) throw SysError("open", dir, errno);
    while (::flock(fd.get(), LOCK_SH) != 0)
      if (errno != EINTR) throw SysError("flock", dir, errno);
    locks.push_back(std::move(fd));
  }
  return locks;
}

namespace {
/// True when a live run holds `dir` (see lock_as_owner).
bool owned_by_a_live_run(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return false;
  return ::flock(fd.get(), LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
}
}  // namespace

std::vector<pid_t> processes(const Cgroup& cgroup) {
  std::set<pid_t> found;
  for (const auto& dir : cgroup.directories()) {
    if (auto procs = read_optional(dir + "/cgroup.procs")) {
      std::istringstream list(*procs);
      for (pid_t pid; list >> pid;) found.insert(pid);
    }
  }
  return {found.begin(), found.end()};
}

void signal_all(const Cgroup& cgroup, int signal) {
  if (signal == SIGKILL && cgroup.version() == CgroupVersion::v2) {
    std::string kill_file = cgroup.directories().front() + "/cgroup.kill";
    if (path_exists(kill_file)) {
      write_cgroup_file(kill_file, "1");
      return;
    }
  }
  std::set<pid_t> signalled;
  for (bool more = true; more;) {
    more = false;
    for (pid_t pid : processes(cgroup)) {
      if (!signalled.insert(pid).second) continue;
      more = true;
      if (::kill(pid, signal) < 0 && errno != ESRCH) throw SysError("kill", std::to_string(pid), errno);
    }
  }
}

void remove_stale_cgroups(CgroupVersion version, const std::string& root) {
  std::vector<std::string> parents;
  std::string parent_name = cgroup_parent();
  if (version == CgroupVersion::v2) {
    parents.push_back(root + "/" + parent_name);
  } else {
    std::set<std::string> bases;
    for (const auto& [controller, base] : find_hierarchies(root)) bases.insert(base);
    for (const auto& base : bases) parents.push_back(base + "/" + parent_name);
  }
  // Wait (a little) for runs between create() and join(): their cgroups are still empty.
  UniqueFd lock(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!lock) throw SysError("open", root, errno);
  int attempts = 0;
  while (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    if ((errno != EWOULDBLOCK && errno != EINTR) || ++attempts == 300) {
      log::debug("cgroup: no sweep of stale cgroups this time: {} stays locked", root);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (const auto& parent : parents) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(parent, ec)) {
      std::string name = entry.path().filename();
      if (!is_container_id(name) || !entry.is_directory(ec)) continue;
      if (owned_by_a_live_run(entry.path())) continue;  // its run has not read its stats yet
      // rmdir fails with EBUSY while processes are inside: a running container stays.
      if (::rmdir(entry.path().c_str()) == 0) log::debug("cgroup: removed stale {}", entry.path().string());
    }
  }
}

}  // namespace dockling::ch08
