#include "build_cache.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <vector>

#include "digest.hpp"
#include "dockling/error.hpp"
#include "dockling/fd.hpp"

namespace dockling::ch11 {

const std::vector<ch10::Descriptor>& BuildCache::entries() const {
  if (!entries_) entries_ = store_.read_build_cache();
  return *entries_;
}

std::optional<ch10::Image> BuildCache::find(const std::string& key) const {
  for (const auto& entry : entries()) {
    auto found = entry.annotations.find(kCacheKeyAnnotation);
    if (found == entry.annotations.end() || found->second != key) continue;
    try {
      ch10::Image image = store_.load(entry);
      for (const auto& diff_id : image.diff_ids)
        if (!std::filesystem::is_directory(store_.layer_path(diff_id))) return std::nullopt;
      return image;
    } catch (const Error&) {
      return std::nullopt;  // its blobs went (an older store, a crash): build the step again
    }
  }
  return std::nullopt;
}

void BuildCache::record(const std::string& key, const ch10::Descriptor& manifest) const {
  std::vector<ch10::Descriptor> entries = store_.read_build_cache();
  entries.erase(std::remove_if(entries.begin(), entries.end(),
                               [&](const ch10::Descriptor& d) {
                                 auto found = d.annotations.find(kCacheKeyAnnotation);
                                 return found != d.annotations.end() && found->second == key;
                               }),
                entries.end());
  ch10::Descriptor entry = manifest;
  entry.annotations = {{kCacheKeyAnnotation, key}};
  entries.push_back(entry);
  store_.write_build_cache(entries);
  entries_ = entries;
}

BuildCache::Pruned BuildCache::prune() const {
  UniqueFd held = store_.lock();
  Pruned pruned;
  std::map<std::string, std::uint64_t> sizes;  // every unpacked layer's size, before it may go
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(store_.layers_dir(), error)) {
    std::string diff_id = "sha256:" + entry.path().filename().string();
    if (ch10::is_sha256_digest(diff_id)) sizes[diff_id] = store_.layer_size(diff_id);
  }
  for (const auto& entry : store_.read_build_cache()) {
    try {
      pruned.entries.push_back(store_.load(entry).id);
    } catch (const Error&) {
      pruned.entries.push_back(entry.digest);  // its config went: name it by its manifest
    }
  }
  store_.write_build_cache({});
  entries_ = std::vector<ch10::Descriptor>{};
  for (const auto& diff_id : store_.collect_garbage()) pruned.bytes += sizes[diff_id];
  return pruned;
}

}  // namespace dockling::ch11
