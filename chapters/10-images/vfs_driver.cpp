#include "vfs_driver.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>

#include "archive_io.hpp"
#include "dockling/error.hpp"
#include "dockling/fd.hpp"

namespace fs = std::filesystem;

namespace dockling::ch10 {

namespace {

constexpr long kOverlayfsMagic = 0x794c7630;  // statfs(2) f_type of overlayfs

void remove_path(const fs::path& path) {
  std::error_code error;
  fs::remove_all(path, error);  // never follows symbolic links
  if (error) throw SysError("remove", path.string(), error.value());
}

void copy_contents(const fs::path& from, const fs::path& to, mode_t mode) {
  UniqueFd in = open_fd(from.string(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  UniqueFd out = open_fd(to.string(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0700);
  while (true) {
    ssize_t n = ::copy_file_range(in.get(), nullptr, out.get(), nullptr, 1 << 30, 0);
    if (n == 0) return;
    if (n > 0) continue;
    if (errno == EINTR) continue;
    if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
      throw SysError("copy_file_range", to.string(), errno);
    break;  // not between these file systems: plain reads and writes
  }
  char buffer[65536];
  while (true) {
    ssize_t n = ::read(in.get(), buffer, sizeof buffer);
    if (n == 0) return;
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SysError("read", from.string(), errno);
    }
    write_all(out.get(), std::string_view(buffer, static_cast<size_t>(n)));
  }
}

/// Owner, mode, extended attributes and times of `from` onto `to` (in that order: chown
/// clears the set-id bits, and every change moves ctime but not the times we set last).
void copy_metadata(const fs::path& from, const fs::path& to, const struct stat& st) {
  check(::lchown(to.c_str(), st.st_uid, st.st_gid), "lchown", to.string());
  if (!S_ISLNK(st.st_mode)) check(::chmod(to.c_str(), st.st_mode & 07777), "chmod", to.string());
  for (const auto& [name, value] : xattrs_of(from))
    check(::lsetxattr(to.c_str(), name.c_str(), value.data(), value.size(), 0), "lsetxattr", to.string());
  timespec times[2] = {st.st_atim, st.st_mtim};
  check(::utimensat(AT_FDCWD, to.c_str(), times, AT_SYMLINK_NOFOLLOW), "utimensat", to.string());
}

struct LayerCopy {
  const fs::path& layer;
  const fs::path& target;
  std::map<std::pair<dev_t, ino_t>, fs::path> copied;  ///< hard links within the layer

  void directory(const fs::path& relative) {
    for (const auto& name : sorted_names(layer / relative)) entry(relative / name);
  }

  void entry(const fs::path& relative) {
    fs::path from = layer / relative, to = target / relative;
    struct stat st {}, existing {};
    if (::lstat(from.c_str(), &st) != 0) throw SysError("lstat", from.string(), errno);
    bool exists = ::lstat(to.c_str(), &existing) == 0;
    if (is_whiteout(st)) {
      if (exists) remove_path(to);
      return;
    }
    if (S_ISDIR(st.st_mode)) {
      if (exists && (!S_ISDIR(existing.st_mode) || is_opaque(from))) {
        remove_path(to);  // replaced, or hidden (opaque): what lower layers put there goes
        exists = false;
      }
      if (!exists) check(::mkdir(to.c_str(), 0700), "mkdir", to.string());
      directory(relative);
      copy_metadata(from, to, st);
      return;
    }
    if (exists) remove_path(to);
    if (st.st_nlink > 1) {
      auto it = copied.find({st.st_dev, st.st_ino});
      if (it != copied.end()) {
        check(::link(it->second.c_str(), to.c_str()), "link", to.string());
        return;
      }
      copied.emplace(std::make_pair(st.st_dev, st.st_ino), to);
    }
    if (S_ISREG(st.st_mode)) {
      copy_contents(from, to, st.st_mode);
    } else if (S_ISLNK(st.st_mode)) {
      std::error_code error;
      fs::path link_target = fs::read_symlink(from, error);
      if (error) throw SysError("readlink", from.string(), error.value());
      check(::symlink(link_target.c_str(), to.c_str()), "symlink", to.string());
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode)) {
      check(::mknod(to.c_str(), st.st_mode, st.st_rdev), "mknod", to.string());
    } else {
      return;  // a socket: nothing a layer can carry
    }
    copy_metadata(from, to, st);
  }
};

/// One path of the image as its layers show it.
struct Shown {
  fs::path path;   ///< where it is, in the top layer that has it
  struct stat st;  ///< its lstat
};

void erase_below(std::map<std::string, Shown>& view, const std::string& relative) {
  std::string prefix = relative + "/";
  for (auto it = view.lower_bound(prefix); it != view.end() && it->first.rfind(prefix, 0) == 0;) it = view.erase(it);
}

/// The image's root as overlay would show it: every path, from the top layer that has it.
void add_layer(std::map<std::string, Shown>& view, const fs::path& layer, const fs::path& relative) {
  for (const auto& name : sorted_names(layer / relative)) {
    fs::path child = relative / name;
    std::string key = child.string();
    fs::path path = layer / child;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) throw SysError("lstat", path.string(), errno);
    auto it = view.find(key);
    bool replaces_tree = it != view.end() && (!S_ISDIR(st.st_mode) || !S_ISDIR(it->second.st.st_mode));
    if (is_whiteout(st) || replaces_tree || (S_ISDIR(st.st_mode) && is_opaque(path))) erase_below(view, key);
    if (is_whiteout(st)) {
      view.erase(key);
      continue;
    }
    view[key] = Shown{path, st};
    if (S_ISDIR(st.st_mode)) add_layer(view, layer, child);
  }
}

std::string link_target(const fs::path& path) {
  std::error_code error;
  return fs::read_symlink(path, error).string();
}

bool differs(const struct stat& a, const fs::path& a_path, const struct stat& b, const fs::path& b_path) {
  if ((a.st_mode & S_IFMT) != (b.st_mode & S_IFMT) || a.st_mode != b.st_mode || a.st_uid != b.st_uid ||
      a.st_gid != b.st_gid)
    return true;
  if (a.st_mtim.tv_sec != b.st_mtim.tv_sec || a.st_mtim.tv_nsec != b.st_mtim.tv_nsec) return true;
  if (S_ISREG(a.st_mode) && a.st_size != b.st_size) return true;
  if ((S_ISCHR(a.st_mode) || S_ISBLK(a.st_mode)) && a.st_rdev != b.st_rdev) return true;
  return S_ISLNK(a.st_mode) && link_target(a_path) != link_target(b_path);
}

void find_added_and_changed(const std::map<std::string, Shown>& view, const fs::path& rootfs, const fs::path& relative,
                            std::vector<Change>& changes) {
  for (const auto& name : sorted_names(rootfs / relative)) {
    fs::path child = relative / name;
    fs::path path = rootfs / child;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) throw SysError("lstat", path.string(), errno);
    auto it = view.find(child.string());
    if (it == view.end())
      changes.push_back({'A', "/" + child.string()});
    else if (differs(st, path, it->second.st, it->second.path))
      changes.push_back({'C', "/" + child.string()});
    if (S_ISDIR(st.st_mode)) find_added_and_changed(view, rootfs, child, changes);
  }
}

}  // namespace

void copy_layers(const std::vector<std::string>& layers, const fs::path& target) {
  for (const auto& layer : layers) {
    fs::path layer_path(layer);
    LayerCopy copy{layer_path, target, {}};
    copy.directory("");
  }
}

std::vector<Change> copied_root_changes(const fs::path& rootfs, const std::vector<std::string>& layers) {
  std::map<std::string, Shown> view;
  for (const auto& layer : layers) add_layer(view, layer, "");
  std::vector<Change> changes;
  find_added_and_changed(view, rootfs, "", changes);
  std::set<std::string> deleted;  // nothing below a deleted directory is listed
  for (const auto& [relative, shown] : view) {
    bool below_deleted = false;
    for (fs::path parent = fs::path(relative).parent_path(); !parent.empty(); parent = parent.parent_path())
      below_deleted = below_deleted || deleted.count(parent.string()) > 0;
    if (below_deleted) continue;
    struct stat st {};
    if (::lstat((rootfs / relative).c_str(), &st) == 0) continue;
    changes.push_back({'D', "/" + relative});
    deleted.insert(relative);
  }
  std::sort(changes.begin(), changes.end(), [](const Change& a, const Change& b) { return a.path < b.path; });
  return changes;
}

void write_changes(TarWriter& tar, const fs::path& rootfs, const std::vector<Change>& changes) {
  LayerEntries entries(tar);
  for (const auto& change : changes) {
    std::string name = change.path.substr(1);
    if (change.kind == 'D') {
      struct stat none {};
      entries.whiteout(name, none);
      continue;
    }
    fs::path path = rootfs / name;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) throw SysError("lstat", path.string(), errno);
    entries.add(path, name, st);
  }
}

bool on_overlayfs(const fs::path& dir) {
  fs::path probe = dir;
  struct statfs fs_info {};
  while (::statfs(probe.c_str(), &fs_info) != 0) {
    if (errno != ENOENT || probe == probe.parent_path()) return false;
    probe = probe.parent_path();
  }
  return fs_info.f_type == kOverlayfsMagic;
}

}  // namespace dockling::ch10
