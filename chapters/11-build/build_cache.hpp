/// @file build_cache.hpp
/// @brief The build cache: the image each build step made, found again by the step's cache
/// key (build.hpp's cache_key()), kept in ROOT/build-cache.json beside the images.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "image_store.hpp"

namespace dockling::ch11 {

/// The annotation of a build-cache entry that holds its step's key.
inline constexpr const char* kCacheKeyAnnotation = "org.dockling.build.cache-key";

/// The build cache of one image store, as one command sees it. Entries are images the store keeps (its garbage
/// collection reads them too) and `run` finds by id, but `images` does not list.
class BuildCache {
 public:
  /// The cache of `store`, which must outlive it.
  explicit BuildCache(ch10::ImageStore& store) : store_(store) {}

  /// The image a step with `key` made before; nullopt when none, or when its blobs or layers
  /// have gone since (such an entry is a miss, never an error).
  std::optional<ch10::Image> find(const std::string& key) const;
  /// Records that the step `key` made the image whose manifest is `manifest` (stored
  /// already); an entry with the same key is replaced. Call under the store's lock().
  void record(const std::string& key, const ch10::Descriptor& manifest) const;

  /// What prune() removed.
  struct Pruned {
    std::vector<std::string> entries;  ///< the images of the entries removed (ids), oldest first
    std::uint64_t bytes = 0;           ///< the size of the layers that went with them
  };
  /// `builder prune`: forgets every entry and removes the blobs and layers no image needs
  /// any more (an image's layers stay).
  Pruned prune() const;

 private:
  /// The entries, read once (record() and prune() keep them up to date).
  const std::vector<ch10::Descriptor>& entries() const;

  ch10::ImageStore& store_;
  mutable std::optional<std::vector<ch10::Descriptor>> entries_;
};

}  // namespace dockling::ch11
