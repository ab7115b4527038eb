#include "rw_layer.hpp"

#include <sys/stat.h>
#include <sys/xattr.h>

#include <algorithm>

#include "dockling/error.hpp"

namespace fs = std::filesystem;

namespace dockling::ch10 {

namespace {

bool is_whiteout(const struct stat& st) { return S_ISCHR(st.st_mode) && st.st_rdev == 0; }

bool is_opaque(const fs::path& dir) {
  char value[2] = {};
  return ::lgetxattr(dir.c_str(), "trusted.overlay.opaque", value, sizeof value) == 1 && value[0] == 'y';
}

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
