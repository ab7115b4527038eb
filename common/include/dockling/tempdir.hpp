/// @file tempdir.hpp
/// @brief A temporary directory removed with its contents when it goes out of scope.
#pragma once

#include <filesystem>
#include <string_view>

namespace dockling {

/// Creates a fresh directory under /tmp (or $TMPDIR) and removes it, recursively, on
/// destruction. Removal never crosses into another mounted filesystem: a mount left inside
/// (a bug elsewhere) is left alone instead of being emptied.
class TempDir {
 public:
  /// @param prefix the start of the directory's name, e.g. "dockling-test".
  explicit TempDir(std::string_view prefix = "dockling");
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  /// The directory's absolute path.
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

/// Removes `path` and everything below it without crossing mount points or following
/// symbolic links. Returns false if something could not be removed. Never throws.
bool remove_tree(const std::filesystem::path& path) noexcept;

}  // namespace dockling
