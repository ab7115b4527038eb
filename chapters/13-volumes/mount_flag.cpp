// --mount, and the name and propagation rules -v shares with it (volume_request.hpp).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>
#include <regex>

#include "dockling/error.hpp"
#include "volume_request.hpp"

namespace dockling::ch13 {

namespace {

/// A boolean field as docker's CLI reads it: alone ("readonly") or =true|1|false|0.
bool read_bool(const std::string& key, const std::optional<std::string>& value, const std::string& fail) {
  if (!value) return true;
  if (*value == "true" || *value == "1") return true;
  if (*value == "false" || *value == "0") return false;
  throw Error(fmt::format("{}: invalid value for {}: {}", fail, key, *value));
}

/// "64m", "1g", "1024": bytes, as docker's tmpfs-size (go-units RAMInBytes) reads them.
std::optional<std::uint64_t> read_size(const std::string& text) {
  static const std::regex pattern(R"(^(\d+(\.\d+)?)\s*([kKmMgGtTpP]?)[iI]?[bB]?$)");
  std::smatch match;
  if (!std::regex_match(text, match, pattern)) return std::nullopt;
  double number = std::strtod(match[1].str().c_str(), nullptr);
  static const std::string units = "kmgtp";
  if (match[3].length() > 0)
    for (size_t i = 0; i <= units.find(static_cast<char>(std::tolower(match[3].str()[0]))); ++i) number *= 1024;
  return static_cast<std::uint64_t>(number);
}

/// KEY=VALUE of a volume-label or volume-opt field.
void add_pair(std::map<std::string, std::string>& to, const std::string& text) {
  size_t equal = text.find('=');
  to[text.substr(0, equal)] = equal == std::string::npos ? "" : text.substr(equal + 1);
}

}  // namespace

bool is_propagation(const std::string& word) {
  return word == "private" || word == "rprivate" || word == "shared" || word == "rshared" || word == "slave" ||
         word == "rslave";
}

void check_volume_name(const std::string& name) {
  static const std::regex valid("^[a-zA-Z0-9][a-zA-Z0-9_.-]+$");
  if (!std::regex_match(name, valid))
    throw Error(fmt::format("create {0}: \"{0}\" includes invalid characters for a local volume name, only "
                            "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use "
                            "absolute path",
                            name));
}

VolumeRequest parse_mount_flag(const std::string& value) {
  const std::string fail = fmt::format("invalid argument \"{}\" for \"--mount\" flag", value);
  VolumeRequest request;
  request.origin = "--mount " + value;
  std::string type = "volume";
  bool bind_options = false, volume_options = false, tmpfs_options = false;
  size_t start = 0;
  while (start <= value.size()) {
    size_t end = std::min(value.find(',', start), value.size());
    std::string field = value.substr(start, end - start);
    start = end + 1;
    size_t equal = field.find('=');
    std::string key = field.substr(0, equal);
    std::optional<std::string> text;
    if (equal != std::string::npos) text = field.substr(equal + 1);
    bool boolean_key = key == "readonly" || key == "ro" || key == "volume-nocopy" || key == "bind-nonrecursive";
    if (!text && !boolean_key) throw Error(fmt::format("{}: invalid field '{}' must be a key=value pair", fail, field));
    if (key == "type") {
      type = *text;
    } else if (key == "source" || key == "src") {
      request.source = *text;
    } else if (key == "target" || key == "destination" || key == "dst") {
      request.target = *text;
    } else if (key == "readonly" || key == "ro") {
      request.read_only = read_bool(key, text, fail);
    } else if (key == "consistency") {
      // macOS's bind mount caching: nothing to do on Linux, as docker says.
    } else if (key == "bind-propagation") {
      if (!is_propagation(*text)) throw Error(fmt::format("{}: invalid value for {}: {}", fail, key, *text));
      request.propagation = *text;
      bind_options = true;
    } else if (key == "bind-nonrecursive") {
      request.recursive = !read_bool(key, text, fail);
      bind_options = true;
    } else if (key == "volume-nocopy") {
      request.no_copy = read_bool(key, text, fail);
      volume_options = true;
    } else if (key == "volume-label") {
      add_pair(request.volume_labels, *text);
      volume_options = true;
    } else if (key == "volume-opt") {
      add_pair(request.volume_options, *text);
      volume_options = true;
    } else if (key == "volume-driver") {
      if (*text != "local") throw Error(fmt::format("{}: only the local volume driver is built in, not '{}'", fail, *text));
      volume_options = true;
    } else if (key == "tmpfs-size") {
      auto size = read_size(*text);
      if (!size) throw Error(fmt::format("{}: invalid value for {}: {}", fail, key, *text));
      request.tmpfs_size = *size;
      tmpfs_options = true;
    } else if (key == "tmpfs-mode") {
      char* rest = nullptr;
      unsigned long mode = std::strtoul(text->c_str(), &rest, 8);
      if (text->empty() || *rest != '\0' || mode > 07777)
        throw Error(fmt::format("{}: invalid value for {}: {}", fail, key, *text));
      request.tmpfs_mode = static_cast<unsigned>(mode);
      tmpfs_options = true;
    } else {
      throw Error(fmt::format("{}: unexpected key '{}' in '{}'", fail, key, field));
    }
  }
  if (request.target.empty()) throw Error(fmt::format("{}: target is required", fail));
  if (bind_options && type != "bind")
    throw Error(fmt::format("{}: cannot mix 'bind-*' options with mount type '{}'", fail, type));
  if (volume_options && type != "volume")
    throw Error(fmt::format("{}: cannot mix 'volume-*' options with mount type '{}'", fail, type));
  if (tmpfs_options && type != "tmpfs")
    throw Error(fmt::format("{}: cannot mix 'tmpfs-*' options with mount type '{}'", fail, type));

  // What docker's daemon checks once the CLI has read the fields.
  std::string config = fmt::format("invalid mount config for type \"{}\"", type);
  if (request.target[0] != '/')
    throw Error(fmt::format("{}: invalid mount path: '{}' mount path must be absolute", config, request.target));
  while (request.target.size() > 1 && request.target.back() == '/') request.target.pop_back();
  if (request.target == "/") throw Error(fmt::format("{}: invalid specification: destination can't be '/'", config));
  if (type == "bind") {
    request.kind = MountKind::bind;
    if (request.source.empty()) throw Error(config + ": field Source must not be empty");
    if (request.source[0] != '/')
      throw Error(fmt::format("{}: invalid mount path: '{}' mount path must be absolute", config, request.source));
  } else if (type == "volume") {
    request.kind = MountKind::volume;
    if (!request.source.empty()) check_volume_name(request.source);
  } else if (type == "tmpfs") {
    request.kind = MountKind::tmpfs;
    if (!request.source.empty()) throw Error(config + ": field Source must not be specified");
  } else {
    throw Error(config + ": mount type unknown");
  }
  return request;
}

}  // namespace dockling::ch13
