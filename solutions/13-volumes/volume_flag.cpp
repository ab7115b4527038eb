#include <fmt/format.h>

#include "dockling/error.hpp"
#include "volume_request.hpp"

namespace dockling::ch13 {

namespace {

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

/// The words of one MODE, each kind at most once; false when it is not a mode.
struct Mode {
  std::string access, label, propagation;
  bool no_copy = false;
};

bool read_mode(const std::string& text, Mode& mode) {
  for (const auto& word : split(text, ',')) {
    std::string* slot = nullptr;
    if (word == "rw" || word == "ro") slot = &mode.access;
    else if (word == "z" || word == "Z") slot = &mode.label;
    else if (is_propagation(word)) slot = &mode.propagation;
    else if (word == "nocopy") {
      if (mode.no_copy) return false;
      mode.no_copy = true;
      continue;
    } else {
      return false;
    }
    if (!slot->empty()) return false;  // two of one kind: "rw,ro"
    *slot = word;
  }
  return true;
}

}  // namespace

VolumeRequest parse_volume_flag(const std::string& value) {
  const std::string invalid = fmt::format("invalid volume specification: '{}'", value);
  std::vector<std::string> parts = split(value, ':');
  VolumeRequest request;
  request.origin = "-v " + value;
  std::string mode_text;
  Mode mode;
  switch (parts.size()) {
    case 1:
      request.target = parts[0];
      break;
    case 2:
      if (read_mode(parts[1], mode)) throw Error(invalid + ": a mode needs a source (SOURCE:TARGET:MODE)");
      request.source = parts[0];
      request.target = parts[1];
      break;
    case 3:
      request.source = parts[0];
      request.target = parts[1];
      mode_text = parts[2];
      break;
    default:
      throw Error(invalid + ": more than SOURCE:TARGET:MODE");
  }
  if (parts.size() > 1 && request.source.empty()) throw Error(invalid + ": the source is empty");
  if (request.target.empty() || request.target[0] != '/')
    throw Error(fmt::format("{}: invalid mount path: '{}' mount path must be absolute", invalid, request.target));
  while (request.target.size() > 1 && request.target.back() == '/') request.target.pop_back();
  if (request.target == "/") throw Error(invalid + ": invalid specification: destination can't be '/'");

  mode = Mode{};
  if (!mode_text.empty() && !read_mode(mode_text, mode)) throw Error(fmt::format("invalid mode: {}", mode_text));
  request.read_only = mode.access == "ro";
  if (!mode.label.empty())
    request.warnings.push_back(fmt::format("{}: the SELinux label option '{}' is ignored (dockling does not relabel)",
                                           request.origin, mode.label));
  if (!request.source.empty() && request.source[0] == '/') {
    request.kind = MountKind::bind;
    request.create_missing_source = true;
    if (mode.no_copy) throw Error(invalid + ": nocopy is for volumes, not bind mounts");
    request.propagation = mode.propagation;
  } else {
    request.kind = MountKind::volume;
    if (!request.source.empty()) check_volume_name(request.source);
    if (!mode.propagation.empty())
      throw Error(fmt::format("{}: propagation ({}) is for bind mounts, not volumes", invalid, mode.propagation));
    request.no_copy = mode.no_copy;
  }
  return request;
}

}  // namespace dockling::ch13
