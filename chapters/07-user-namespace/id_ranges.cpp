#include "id_ranges.hpp"

#include <charconv>
#include <sstream>

#include "dockling/error.hpp"
#include "dockling/fs.hpp"

namespace dockling::ch07 {

namespace {

/// `text` as an unsigned number, or nullopt when it is not entirely digits.
std::optional<unsigned long> parse_number(const std::string& text) {
  unsigned long value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<IdMapping> find_subid_range(const std::string& text, const std::string& name,
                                          std::optional<unsigned long> id) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line.front() == '#') continue;
    size_t first = line.find(':');
    size_t second = first == std::string::npos ? std::string::npos : line.find(':', first + 1);
    if (second == std::string::npos) continue;
    std::string owner = line.substr(0, first);
    auto start = parse_number(line.substr(first + 1, second - first - 1));
    auto count = parse_number(line.substr(second + 1));
    if (!start || !count || *count == 0) continue;
    bool matches = owner == name || (id && parse_number(owner) == id);
    if (matches) return IdMapping{0, *start, *count};
  }
  return std::nullopt;
}

IdMaps root_id_maps(const std::string& subuid_text, const std::string& subgid_text) {
  IdMaps maps;
  maps.uids = {find_subid_range(subuid_text, kSubidName).value_or(kDefaultRange)};
  maps.gids = {find_subid_range(subgid_text, kSubidName).value_or(kDefaultRange)};
  return maps;
}

IdMaps rootless_id_maps(uid_t uid, gid_t gid) {
  IdMaps maps;
  maps.uids = {{0, uid, 1}};
  maps.gids = {{0, gid, 1}};
  maps.deny_setgroups = true;
  return maps;
}

std::optional<IdMaps> rootless_subid_maps(uid_t uid, gid_t gid, const std::string& name,
                                          const std::string& subuid_text, const std::string& subgid_text) {
  // Both files are keyed by the user (name or uid): the user owns its group range too.
  auto uids = find_subid_range(subuid_text, name, uid);
  auto gids = find_subid_range(subgid_text, name, uid);
  if (!uids || !gids) return std::nullopt;
  IdMaps maps;
  maps.uids = {{0, uid, 1}, {1, uids->outside, uids->count}};
  maps.gids = {{0, gid, 1}, {1, gids->outside, gids->count}};
  return maps;  // setgroups stays allowed: newgidmap decides it
}

std::string read_optional_file(const std::string& path) {
  try {
    return read_file(path);
  } catch (const Error&) {
    return {};
  }
}

}  // namespace dockling::ch07
