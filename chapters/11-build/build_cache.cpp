#include "build_cache.hpp"

#include <algorithm>
#include <filesystem>
#include <vector>

#include "dockling/error.hpp"

namespace dockling::ch11 {

std::optional<ch10::Image> BuildCache::find(const std::string& key) const {
  for (const auto& entry : store_.read_build_cache()) {
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
}

}  // namespace dockling::ch11
