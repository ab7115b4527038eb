#include "rw_layer.hpp"

#include <sys/stat.h>
#include <sys/xattr.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include "archive_io.hpp"
#include "dockling/error.hpp"
#include "dockling/fd.hpp"

namespace fs = std::filesystem;

namespace dockling::ch10 {

bool is_whiteout(const struct stat& st) { return S_ISCHR(st.st_mode) && st.st_rdev == 0; }

bool is_opaque(const fs::path& dir) {
  for (const char* name : {"trusted.overlay.opaque", "user.overlay.opaque"}) {
    char value[2] = {};
    if (::lgetxattr(dir.c_str(), name, value, sizeof value) == 1 && value[0] == 'y') return true;
  }
  return false;
}

namespace {

/// True when the image's layers show `relative`: looked up from the top layer down, a
/// whiteout hides it, an opaque parent directory ends the search, the first layer that has
/// it shows it.
bool shown_below(const std::vector<std::string>& lowers, const fs::path& relative) {
  for (auto layer = lowers.rbegin(); layer != lowers.rend(); ++layer) {
    fs::path path = fs::path(*layer) / relative;
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) return !is_whiteout(st);
    if (relative.has_parent_path() && is_opaque(fs::path(*layer) / relative.parent_path())) return false;
  }
  return false;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> xattrs_of(const fs::path& path) {
  std::vector<std::pair<std::string, std::string>> found;
  ssize_t size = ::llistxattr(path.c_str(), nullptr, 0);
  if (size <= 0) return found;
  std::string names(static_cast<size_t>(size), '\0');
  size = ::llistxattr(path.c_str(), names.data(), names.size());
  if (size < 0) throw SysError("llistxattr", path.string(), errno);
  for (size_t at = 0; at < static_cast<size_t>(size); at += std::strlen(names.c_str() + at) + 1) {
    std::string name = names.c_str() + at;
    if (name.rfind("trusted.overlay.", 0) == 0 || name.rfind("user.overlay.", 0) == 0) continue;
    ssize_t length = ::lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
    if (length < 0) continue;  // removed meanwhile
    std::string value(static_cast<size_t>(length), '\0');
    length = ::lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
    if (length < 0) continue;
    value.resize(static_cast<size_t>(length));
    found.emplace_back(name, value);
  }
  return found;
}

std::vector<std::string> sorted_names(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir, error)) names.push_back(entry.path().filename());
  if (error) throw SysError("opendir", dir.string(), error.value());
  std::sort(names.begin(), names.end());
  return names;
}

void LayerEntries::whiteout(const std::string& name, const struct stat& st) {
  fs::path as_name(name);
  struct stat marker = st;
  marker.st_mode = S_IFREG | 0644;
  marker.st_size = 0;
  tar_.entry((as_name.parent_path() / (".wh." + as_name.filename().string())).string(), marker, "", false, {},
             [](char*, size_t) -> size_t { return 0; });
}

void LayerEntries::opaque(const std::string& name, const struct stat& st) {
  struct stat marker = st;
  marker.st_mode = S_IFREG | 0644;
  marker.st_size = 0;
  tar_.entry(name + "/.wh..wh..opq", marker, "", false, {}, [](char*, size_t) -> size_t { return 0; });
}

void LayerEntries::add(const fs::path& path, const std::string& name, const struct stat& st) {
  auto no_data = [](char*, size_t) -> size_t { return 0; };
  if (S_ISDIR(st.st_mode)) {
    tar_.entry(name + "/", st, "", false, xattrs_of(path), no_data);
    return;
  }
  if (st.st_nlink > 1) {
    auto [it, first] = first_names_.emplace(std::make_pair(st.st_dev, st.st_ino), name);
    if (!first) {
      tar_.entry(name, st, it->second, true, {}, no_data);
      return;
    }
  }
  std::string target;
  if (S_ISLNK(st.st_mode)) {
    std::error_code error;
    target = fs::read_symlink(path, error).string();
    if (error) throw SysError("readlink", path.string(), error.value());
  }
  UniqueFd file;
  if (S_ISREG(st.st_mode)) file = open_fd(path.string(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  auto read = [&](char* buffer, size_t size) -> size_t {
    ssize_t n;
    while ((n = ::read(file.get(), buffer, size)) < 0 && errno == EINTR) {
    }
    if (n < 0) throw SysError("read", path.string(), errno);
    return static_cast<size_t>(n);
  };
  tar_.entry(name, st, target, false, xattrs_of(path), read);
}

namespace {

void write_directory(LayerEntries& entries, const fs::path& dir, const std::string& prefix, TreeForm form) {
  for (const auto& base : sorted_names(dir)) {
    fs::path path = dir / base;
    std::string name = prefix + base;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) throw SysError("lstat", path.string(), errno);
    if (form == TreeForm::rw_layer && is_whiteout(st)) {
      entries.whiteout(name, st);
      continue;
    }
    entries.add(path, name, st);
    if (!S_ISDIR(st.st_mode)) continue;
    if (form == TreeForm::rw_layer && is_opaque(path)) entries.opaque(name, st);
    write_directory(entries, path, name + "/", form);
  }
}

}  // namespace

void write_tree(TarWriter& tar, const fs::path& dir, TreeForm form) {
  LayerEntries entries(tar);
  write_directory(entries, dir, "", form);
}

std::vector<Change> rw_layer_changes(const fs::path& upper, const std::vector<std::string>& lowers) {
  std::vector<Change> changes;
  std::error_code error;
  fs::recursive_directory_iterator it(upper, fs::directory_options::none, error), end;
  if (error) throw SysError("opendir", upper.string(), error.value());
  for (; it != end; it.increment(error)) {
    if (error) throw SysError("readdir", upper.string(), error.value());
    fs::path relative = it->path().lexically_relative(upper);
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0) throw SysError("lstat", it->path().string(), errno);
    char kind = is_whiteout(st) ? 'D' : shown_below(lowers, relative) ? 'C' : 'A';
    changes.push_back({kind, "/" + relative.string()});
  }
  std::sort(changes.begin(), changes.end(), [](const Change& a, const Change& b) { return a.path < b.path; });
  return changes;
}

}  // namespace dockling::ch10
