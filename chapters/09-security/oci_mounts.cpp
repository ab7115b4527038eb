#include "oci_mounts.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "cgroup.hpp"
#include "dockling/error.hpp"
#include "dockling/fs.hpp"
#include "dockling/log.hpp"
#include "in_root.hpp"

namespace dockling::ch09 {

namespace {

using nlohmann::json;
using ch03::fd_path;
using ch03::make_directories_in_root;
using ch03::mount_on;
using ch03::open_in_root;
using ch03::open_in_root_if_exists;
using ch03::remount_read_only;

[[noreturn]] void bad(const std::string& field, const std::string& what) {
  throw Error(fmt::format("config.json: {}: {}", field, what));
}

std::string text(const json& value, const std::string& field) {
  if (!value.is_string()) bad(field, "must be a string");
  return value.get<std::string>();
}

/// A flag option: which MS_* flag it sets (or clears, for its opposite).
struct FlagOption {
  unsigned long flag;
  bool clear;
};

const std::map<std::string, FlagOption> kFlagOptions = {
    {"ro", {MS_RDONLY, false}},          {"rw", {MS_RDONLY, true}},
    {"nosuid", {MS_NOSUID, false}},      {"suid", {MS_NOSUID, true}},
    {"nodev", {MS_NODEV, false}},        {"dev", {MS_NODEV, true}},
    {"noexec", {MS_NOEXEC, false}},      {"exec", {MS_NOEXEC, true}},
    {"sync", {MS_SYNCHRONOUS, false}},   {"async", {MS_SYNCHRONOUS, true}},
    {"dirsync", {MS_DIRSYNC, false}},    {"noatime", {MS_NOATIME, false}},
    {"atime", {MS_NOATIME, true}},       {"nodiratime", {MS_NODIRATIME, false}},
    {"diratime", {MS_NODIRATIME, true}}, {"relatime", {MS_RELATIME, false}},
    {"norelatime", {MS_RELATIME, true}}, {"strictatime", {MS_STRICTATIME, false}},
    {"nostrictatime", {MS_STRICTATIME, true}},
};

const std::map<std::string, unsigned long> kPropagationOptions = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC}, {"shared", MS_SHARED},
    {"rshared", MS_SHARED | MS_REC}, {"slave", MS_SLAVE},            {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

/// The mount_setattr(2) attributes for a bind's MS_* flags.
mount_attr bind_attributes(const OciMount& mount) {
  mount_attr attr{};
  auto apply = [&](unsigned long flag, std::uint64_t attribute) {
    if (mount.set & flag) attr.attr_set |= attribute;
    if (mount.cleared & flag) attr.attr_clr |= attribute;
  };
  apply(MS_RDONLY, MOUNT_ATTR_RDONLY);
  apply(MS_NOSUID, MOUNT_ATTR_NOSUID);
  apply(MS_NODEV, MOUNT_ATTR_NODEV);
  apply(MS_NOEXEC, MOUNT_ATTR_NOEXEC);
  apply(MS_NODIRATIME, MOUNT_ATTR_NODIRATIME);
  // The atime modes are one field: setting one clears the field first.
  for (auto [flag, attribute] : {std::pair{MS_NOATIME, MOUNT_ATTR_NOATIME}, std::pair{MS_STRICTATIME, MOUNT_ATTR_STRICTATIME},
                                 std::pair{MS_RELATIME, MOUNT_ATTR_RELATIME}}) {
    if (mount.set & flag) {
      attr.attr_set |= attribute;
      attr.attr_clr |= MOUNT_ATTR__ATIME;
    }
  }
  return attr;
}

void set_attributes(int tree, const mount_attr& attr, bool recursive, const std::string& name) {
  if (attr.attr_set == 0 && attr.attr_clr == 0 && attr.propagation == 0) return;
  mount_attr copy = attr;
  check(::mount_setattr(tree, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &copy, sizeof copy),
        "mount_setattr", name);
}

/// Creates `path` inside the root if missing: a directory, or an empty file when `file`.
UniqueFd make_mount_point(int root_fd, const std::string& path, bool file) {
  if (!file) return make_directories_in_root(root_fd, path);
  if (UniqueFd existing = open_in_root_if_exists(root_fd, path)) return existing;
  std::filesystem::path target(path);
  UniqueFd parent = make_directories_in_root(root_fd, target.parent_path().string());
  std::string name = target.filename().string();
  int fd = ::openat(parent.get(), name.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0 && errno != EEXIST) throw_sys("create", path);
  if (fd >= 0) ::close(fd);
  return open_in_root(root_fd, path);
}

/// Applies a propagation option to the mount now on `path` (resolved again: the fd from
/// before the mount refers to what lies under it).
void set_propagation(int root_fd, const OciMount& mount) {
  if (mount.propagation == 0) return;
  UniqueFd target = open_in_root(root_fd, mount.destination);
  check(::mount(nullptr, fd_path(target.get()).c_str(), nullptr, mount.propagation, nullptr), "mount",
        mount.destination + " (propagation)");
}

}  // namespace

MountSpec read_mount(const json& entry, const std::string& field, const std::filesystem::path& bundle_dir) {
  if (!entry.is_object()) bad(field, "must be an object");
  MountSpec mount;
  mount.origin = "config.json: " + field;
  if (!entry.contains("destination")) bad(field + ".destination", "missing");
  mount.destination = text(entry["destination"], field + ".destination");
  if (mount.destination.empty() || mount.destination.front() != '/')
    bad(field + ".destination", fmt::format("\"{}\" must be an absolute path", mount.destination));
  mount.type = entry.contains("type") && !entry["type"].is_null() ? text(entry["type"], field + ".type") : "";
  if (entry.contains("source") && !entry["source"].is_null()) mount.source = text(entry["source"], field + ".source");
  if (entry.contains("options") && !entry["options"].is_null()) {
    if (!entry["options"].is_array()) bad(field + ".options", "must be a list of strings");
    for (const auto& item : entry["options"]) mount.options.push_back(text(item, field + ".options"));
  }
  bool bind = mount.type == "bind" || std::any_of(mount.options.begin(), mount.options.end(), [](const auto& option) {
                return option == "bind" || option == "rbind";
              });
  if (bind) {
    mount.type = "bind";
    if (mount.source.empty()) bad(field + ".source", "a bind mount needs a source");
    std::filesystem::path source(mount.source);
    mount.source = (source.is_absolute() ? source : std::filesystem::absolute(bundle_dir) / source).lexically_normal().string();
  } else if (mount.type.empty()) {
    bad(field + ".type", "missing (and no bind or rbind option)");
  } else if (mount.source.empty()) {
    mount.source = mount.type;
  }
  return mount;
}

OciMount mount_plan(const MountSpec& spec) {
  OciMount mount;
  mount.field = spec.origin;
  mount.destination = spec.destination;
  mount.type = spec.type;
  mount.source = spec.source;
  for (const auto& option : spec.options) {
    if (option == "bind" || option == "rbind") {
      mount.recursive = mount.recursive || option == "rbind";
    } else if (auto flag = kFlagOptions.find(option); flag != kFlagOptions.end()) {
      (flag->second.clear ? mount.cleared : mount.set) |= flag->second.flag;
      (flag->second.clear ? mount.set : mount.cleared) &= ~flag->second.flag;  // the last one wins
    } else if (auto propagation = kPropagationOptions.find(option); propagation != kPropagationOptions.end()) {
      mount.propagation = propagation->second;
    } else {
      mount.data += (mount.data.empty() ? "" : ",") + option;
    }
  }
  return mount;
}

OciMounts::OciMounts(const std::vector<MountSpec>& mounts) {
  for (const auto& mount : mounts) mounts_.push_back(mount_plan(mount));
}

void OciMounts::open_sources(const std::string& container_id) {
  sources_.clear();
  cgroup_ = ch08::CgroupMount();
  bool cgroup_captured = false;
  for (const auto& mount : mounts_) {
    UniqueFd tree;
    if (mount.type == "bind") {
      int fd = ::open_tree(AT_FDCWD, mount.source.c_str(),
                           OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (mount.recursive ? AT_RECURSIVE : 0));
      if (fd < 0) {
        int error = errno;
        throw Error(fmt::format("{}.source: {}", mount.field, SysError("open_tree", mount.source, error).what()));
      }
      tree = UniqueFd(fd);
      // The copy of a shared mount is a peer of the host's: make it a slave, as runc's rslave
      // root makes its binds, so that what is mounted in the container never reaches the host.
      mount_attr slave{};
      slave.propagation = MS_SLAVE;
      set_attributes(tree.get(), slave, true, mount.source);
    } else if (mount.type == "cgroup" && !cgroup_captured) {
      // The cgroups step (an earlier slot) made dockling/<id> in each hierarchy: only those.
      std::string root = ch08::cgroup_root();
      ch08::CgroupVersion version = ch08::version_of(ch08::detect_layout(root));
      cgroup_ = ch08::CgroupMount::capture(version, ch08::make_cgroup(version, container_id, root)->directories());
      cgroup_captured = true;
    }
    sources_.push_back(std::move(tree));
  }
}

void OciMounts::mount_all(int root_fd) {
  for (size_t i = 0; i < mounts_.size(); ++i) mount(root_fd, i);
  sources_.clear();
}

void OciMounts::mount(int root_fd, size_t index) {
  const OciMount& mount = mounts_.at(index);
  log::debug("child: {} {} on {}", mount.field, mount.type, mount.destination);
  try {
    mount_one(root_fd, index);
  } catch (const SysError& e) {
    throw Error(fmt::format("{} ({} on {}): {}", mount.field, mount.type, mount.destination, e.what()));
  }
}

void OciMounts::mount_one(int root_fd, size_t i) {
  const OciMount& mount = mounts_[i];
  if (mount.type == "bind") {
    const UniqueFd& tree = sources_.at(i);
    struct stat st {};
    check(::fstat(tree.get(), &st), "fstat", mount.source);
    UniqueFd target = make_mount_point(root_fd, mount.destination, !S_ISDIR(st.st_mode));
    // ro, nosuid, ... on the copy before it is attached: it is never seen writable.
    set_attributes(tree.get(), bind_attributes(mount), false, mount.destination);
    check(::move_mount(tree.get(), "", target.get(), "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH),
          "move_mount", mount.destination);
  } else if (mount.type == "cgroup") {
    mount_cgroup(root_fd, mount);
  } else {
    UniqueFd target = make_mount_point(root_fd, mount.destination, false);
    mount_on(target.get(), mount.destination, mount.source, mount.type, mount.set, mount.data);
  }
  set_propagation(root_fd, mount);
}

void OciMounts::mount_cgroup(int root_fd, const OciMount& mount) {
  make_mount_point(root_fd, mount.destination, false);
  cgroup_.mount(root_fd, mount.destination, mount.set, mount.data);
}

}  // namespace dockling::ch09
