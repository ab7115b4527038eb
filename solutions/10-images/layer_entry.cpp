#include <vector>

#include "images.hpp"

namespace dockling::ch10 {

namespace {

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kAufsMetaPrefix = ".wh..wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

EntryDecision refuse(std::string reason) { return {EntryKind::refused, "", std::move(reason)}; }

std::string join(const std::vector<std::string_view>& parts, size_t count) {
  std::string path;
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) path += '/';
    path += parts[i];
  }
  return path;
}

}  // namespace

EntryDecision decide_entry(std::string_view name) {
  if (name.empty()) return refuse("empty name");
  // Clean the name: a stack of components; ".." pops, and popping nothing climbs out.
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    std::string_view part = name.substr(start, end - start);
    start = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (parts.empty()) return refuse("climbs out of the layer");
      parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  if (parts.empty()) return {EntryKind::ignored, "", ""};
  bool root_opaque = parts.size() == 1 && parts.front() == kOpaqueMarker;
  if (!root_opaque && starts_with(parts.front(), kAufsMetaPrefix)) return {EntryKind::ignored, join(parts, parts.size()), ""};
  for (size_t i = 0; i + 1 < parts.size(); ++i)
    if (starts_with(parts[i], kWhiteoutPrefix)) return refuse("goes through a whiteout (" + std::string(parts[i]) + ")");

  std::string_view base = parts.back();
  std::string dir = join(parts, parts.size() - 1);
  if (base == kOpaqueMarker) return {EntryKind::opaque, dir, ""};
  if (starts_with(base, kAufsMetaPrefix)) return {EntryKind::ignored, join(parts, parts.size()), ""};
  if (starts_with(base, kWhiteoutPrefix)) {
    std::string_view deleted = base.substr(kWhiteoutPrefix.size());
    if (deleted.empty() || deleted == "." || deleted == "..") return refuse("a whiteout of nothing");
    return {EntryKind::whiteout, dir.empty() ? std::string(deleted) : dir + "/" + std::string(deleted), ""};
  }
  return {EntryKind::regular, join(parts, parts.size()), ""};
}

}  // namespace dockling::ch10
