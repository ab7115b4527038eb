#include "dockling/tempdir.hpp"

#include <ftw.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "dockling/error.hpp"

namespace dockling {

namespace {
bool removal_failed = false;

int remove_entry(const char* path, const struct stat*, int type, struct FTW*) {
  int rc = (type == FTW_DP) ? ::rmdir(path) : ::unlink(path);
  if (rc != 0) removal_failed = true;
  return 0;  // keep going: remove as much as possible
}
}  // namespace

TempDir::TempDir(std::string_view prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/" + std::string(prefix) + "-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw_sys("mkdtemp", pattern);
  path_ = pattern;
}

TempDir::~TempDir() { remove_tree(path_); }

bool remove_tree(const std::filesystem::path& path) noexcept {
  removal_failed = false;
  // FTW_DEPTH: children first; FTW_PHYS: never follow links; FTW_MOUNT: stay on this fs.
  int rc = ::nftw(path.c_str(), remove_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
  return rc == 0 && !removal_failed;
}

}  // namespace dockling
