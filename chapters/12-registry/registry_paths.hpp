/// @file registry_paths.hpp
/// @brief The whole on-disk layout of the registry in one place:
///
///     ROOT/blobs/sha256/HEX                      each blob (and manifest) once, by digest
///     ROOT/repositories/NAME/_layers/HEX         the blobs repository NAME holds (empty files)
///     ROOT/repositories/NAME/_manifests/HEX      its manifests (the file holds the media type)
///     ROOT/repositories/NAME/_tags/TAG           its tags (the file holds the digest)
///     ROOT/repositories/NAME/_uploads/           there when an upload was started for NAME
///     ROOT/uploads/UUID/{data,name}              upload sessions: bytes so far, repository
///
/// Repository components never start with "_" (the spec's rules), so NAME/_layers cannot be
/// another repository. Names, tags, digests and ids must have been checked before they come here.
#pragma once

#include <filesystem>
#include <string>

namespace dockling::ch12 {

/// Path functions for one registry root.
class RegistryPaths {
 public:
  /// The layout under `root`.
  explicit RegistryPaths(std::filesystem::path root) : root_(std::move(root)) {}

  /// ROOT/blobs/sha256
  std::filesystem::path blobs() const { return root_ / "blobs" / "sha256"; }
  /// ROOT/blobs/sha256/HEX for "sha256:HEX"
  std::filesystem::path blob(const std::string& digest) const;
  /// ROOT/repositories
  std::filesystem::path repositories() const { return root_ / "repositories"; }
  /// ROOT/repositories/NAME
  std::filesystem::path repository(const std::string& name) const { return repositories() / name; }
  /// ROOT/repositories/NAME/_layers
  std::filesystem::path layer_links(const std::string& name) const { return repository(name) / "_layers"; }
  /// ROOT/repositories/NAME/_layers/HEX
  std::filesystem::path layer_link(const std::string& name, const std::string& digest) const;
  /// ROOT/repositories/NAME/_manifests
  std::filesystem::path manifest_links(const std::string& name) const { return repository(name) / "_manifests"; }
  /// ROOT/repositories/NAME/_manifests/HEX
  std::filesystem::path manifest_link(const std::string& name, const std::string& digest) const;
  /// ROOT/repositories/NAME/_tags
  std::filesystem::path tags(const std::string& name) const { return repository(name) / "_tags"; }
  /// ROOT/repositories/NAME/_tags/TAG
  std::filesystem::path tag(const std::string& name, const std::string& tag) const { return tags(name) / tag; }
  /// ROOT/repositories/NAME/_uploads
  std::filesystem::path upload_marker(const std::string& name) const { return repository(name) / "_uploads"; }
  /// ROOT/uploads
  std::filesystem::path uploads() const { return root_ / "uploads"; }
  /// ROOT/uploads/UUID
  std::filesystem::path upload(const std::string& uuid) const { return uploads() / uuid; }
  /// ROOT/uploads/UUID/data
  std::filesystem::path upload_data(const std::string& uuid) const { return upload(uuid) / "data"; }
  /// ROOT/uploads/UUID/name
  std::filesystem::path upload_name(const std::string& uuid) const { return upload(uuid) / "name"; }

  /// True when `leaf` is one of the storage's own directory names inside a repository.
  static bool is_internal(const std::string& leaf) { return leaf.starts_with("_"); }

 private:
  std::filesystem::path root_;
};

}  // namespace dockling::ch12
