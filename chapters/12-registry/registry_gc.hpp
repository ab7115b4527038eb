/// @file registry_gc.hpp
/// @brief `registry gc [--dry-run] [--delete-untagged]`: frees the blobs no manifest needs, as
/// the CNCF registry's `garbage-collect` does.
///
/// Deleting a manifest through the API (DELETE /v2/NAME/manifests/DIGEST) only removes the
/// repository's link to it: its layers stay on disk, since another image may share them. The
/// collector marks every blob that a manifest of some repository references (the manifest
/// itself, its config, its layers; an index's manifests and theirs), then sweeps the others out
/// of ROOT/blobs, and the repositories' links to what it removed. Uploads in progress are left
/// alone. It runs on a registry that is not being served: a push between the mark and the sweep
/// would lose its blobs, so `registry serve` holds the root and gc refuses it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "dockling/fd.hpp"

namespace dockling::ch12 {

/// How to collect.
struct GcOptions {
  bool dry_run = false;          ///< say what would go, remove nothing
  bool delete_untagged = false;  ///< also remove manifests no tag (or tagged index) reaches
};

/// What a collection found and removed.
struct GcReport {
  std::uint64_t marked = 0;                    ///< blobs (manifests included) kept
  std::vector<std::string> blobs;              ///< digests removed (or removable, dry run)
  std::vector<std::string> manifests;          ///< "NAME@DIGEST" unlinked (delete_untagged)
  std::uint64_t bytes = 0;                     ///< the space those blobs took
};

/// Collects the garbage of the registry stored at `root`, printing each step on `out` as
/// docker-registry's garbage-collect does ("NAME: marking manifest DIGEST", "blob eligible for
/// deletion: DIGEST", a summary line).
/// @throws Error when the registry is being served, or a stored manifest cannot be read.
GcReport collect_garbage(const std::filesystem::path& root, const GcOptions& options, std::ostream& out);

/// Held by `registry serve` for as long as it serves `root` (a shared flock(2) on
/// ROOT/serve.lock): collect_garbage() refuses a root that is held.
UniqueFd hold_for_serving(const std::filesystem::path& root);

}  // namespace dockling::ch12
