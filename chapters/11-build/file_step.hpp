/// @file file_step.hpp
/// @brief The build steps that write files (COPY, ADD, WORKDIR): done in a child process, in a
/// mount namespace of its own, on the stage's root mounted as overlay over a fresh upper
/// directory, chrooted into it, so that every path of the image (its symbolic links too)
/// resolves inside it. The upper directory is the step's layer.
#pragma once

#include <sys/types.h>

#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace dockling::ch11 {

class BuildContext;

/// Who owns what COPY writes: --chown's USER[:GROUP], names looked up in the image.
struct Owner {
  std::string user;   ///< a name or a number; "" root
  std::string group;  ///< a name or a number; "" the user's group
};

/// A file ADD downloaded from a URL (in the build process, before the step's child starts).
struct Download {
  std::string name;                  ///< its name in a destination directory (the URL path's last component)
  std::string path;                  ///< the downloaded file, on the host (in the step's scratch directory)
  std::optional<std::time_t> mtime;  ///< the response's Last-Modified, when it had one
};

/// One COPY or ADD, with everything resolved but the destination.
struct CopyRequest {
  const BuildContext* context = nullptr;      ///< the build context, when the files come from it
  std::vector<std::string> from_lowers;       ///< --from: that stage's or image's layer directories instead
  std::vector<std::string> sources;           ///< the sources as written (variables substituted)
  std::vector<std::pair<std::string, std::string>> heredocs;  ///< (file name, content): `COPY <<EOF /dest`
  std::vector<Download> downloads;            ///< ADD URL: the files fetched, written mode 0600 (or --chmod)
  std::string dest;                           ///< absolute (WORKDIR applied); a trailing '/' kept
  bool several_sources = false;               ///< more than one source as written: dest is a directory
  std::optional<Owner> owner;                 ///< --chown
  std::optional<mode_t> mode;                 ///< --chmod
  bool extract_archives = false;              ///< ADD: a local tar archive is unpacked into dest
};

/// What a file step works on: the stage's layers (bottom first) and where the step's upper
/// directory goes.
struct FileStepRoot {
  std::vector<std::string> lowers;     ///< the stage's layer directories, bottom first (may be empty)
  std::filesystem::path layers_dir;    ///< ROOT/layers
  std::filesystem::path scratch;       ///< an empty directory of the store's file system: the mounts and their upper directories go there

  /// The step's upper directory: what it changed, in overlay's form.
  std::filesystem::path upper() const { return scratch / "root.upper"; }
};

/// Copies `request` into the stage's root; what changed lands in root.upper().
/// @throws Error with what failed, as docker says it ("…: not a directory").
void copy_into(const FileStepRoot& root, const CopyRequest& request);

/// Makes the directory `path` (absolute) and its parents if missing (WORKDIR), those it makes owned
/// by `owner` (the stage's USER, as BuildKit's mkdir WithUser), else by root.
void make_directory_in(const FileStepRoot& root, const std::string& path, const std::optional<Owner>& owner = {});

/// True when `dir` holds nothing (a step that changed nothing makes no layer).
bool is_empty_directory(const std::filesystem::path& dir);

}  // namespace dockling::ch11
