#include "constraints.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <string_view>

#include "dockling/error.hpp"

namespace dockling::ch15 {

namespace {

constexpr std::string_view kNodeLabels = "node.labels.";
constexpr std::string_view kEngineLabels = "engine.labels.";
constexpr std::array<std::string_view, 5> kPlainKeys{"node.id", "node.hostname", "node.role", "node.platform.os",
                                                     "node.platform.arch"};
// What every node of this course reports: the swarm runs on Linux hosts of the lab.
constexpr std::string_view kPlatformOs = "linux";
constexpr std::string_view kPlatformArch = "x86_64";

std::string trim(std::string_view text) {
  auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return std::string(text);
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool starts_with_any_case(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && lower(text.substr(0, prefix.size())) == prefix;
}

// swarmkit's key pattern: a letter or '_', then one or more of letters, digits, '-', '_', '.'.
bool valid_key(std::string_view key) {
  auto alpha = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; };
  auto digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
  if (key.size() < 2 || !(alpha(key[0]) || key[0] == '_')) return false;
  return std::all_of(key.begin() + 1, key.end(),
                     [&](char c) { return alpha(c) || digit(c) || c == '-' || c == '_' || c == '.'; });
}

// swarmkit's value pattern: letters, digits, spaces and :-_.*()?+[]\^$|/ (never < > ~, which
// could be operators one day).
bool valid_value(std::string_view value) {
  constexpr std::string_view kSpecial = ":-_.*()?+[]\\^$|/";
  if (value.empty()) return false;
  return std::all_of(value.begin(), value.end(), [&](char c) {
    auto u = static_cast<unsigned char>(c);
    return std::isalnum(u) || std::isspace(u) || kSpecial.find(c) != std::string_view::npos;
  });
}

[[noreturn]] void invalid(const std::string& text, const std::string& reason) {
  throw Error(fmt::format("invalid constraint '{}': {}", text, reason), 400);
}

// The node's value for `key`; "" for a label it lacks; nullopt for a key parse_constraint refuses.
std::optional<std::string> node_value(const NodeInfo& node, const std::string& key) {
  if (key == "node.id") return node.id;
  if (key == "node.hostname") return node.hostname;
  if (key == "node.role") return node.role;
  if (key == "node.platform.os") return std::string(kPlatformOs);
  if (key == "node.platform.arch") return std::string(kPlatformArch);
  if (key.size() > kNodeLabels.size() && key.starts_with(kNodeLabels)) {
    std::string_view name = std::string_view(key).substr(kNodeLabels.size());
    for (const auto& [label, value] : node.labels)
      if (label == name) return value;
    return "";
  }
  if (key.size() > kEngineLabels.size() && key.starts_with(kEngineLabels))
    return "";  // this course's nodes carry no engine labels
  return std::nullopt;
}

}  // namespace

Constraint parse_constraint(const std::string& text) {
  // Like swarmkit: the first operator of "==", "!=" that the text contains splits it once.
  Constraint constraint;
  std::size_t at = text.find("==");
  if (at == std::string::npos) {
    at = text.find("!=");
    constraint.equal = false;
  }
  if (at == std::string::npos) invalid(text, "constraint expected one operator from ==, !=");
  std::string key = trim(std::string_view(text).substr(0, at));
  std::string value = trim(std::string_view(text).substr(at + 2));
  if (!valid_key(key)) invalid(text, fmt::format("key '{}' is invalid", key));
  if (!valid_value(value)) invalid(text, fmt::format("value '{}' is invalid", value));

  // Keys in any case, as swarmkit compares them; a label's own name keeps its case.
  if (starts_with_any_case(key, kNodeLabels) && key.size() > kNodeLabels.size()) {
    constraint.key = std::string(kNodeLabels) + key.substr(kNodeLabels.size());
  } else if (starts_with_any_case(key, kEngineLabels) && key.size() > kEngineLabels.size()) {
    constraint.key = std::string(kEngineLabels) + key.substr(kEngineLabels.size());
  } else if (std::find(kPlainKeys.begin(), kPlainKeys.end(), lower(key)) != kPlainKeys.end()) {
    constraint.key = lower(key);
  } else {
    // swarmkit accepts such a key and then matches no node: a service that never runs. Said now.
    invalid(text, fmt::format("key '{}' is not supported (node.id, node.hostname, node.role, node.platform.os, "
                              "node.platform.arch, node.labels.NAME, engine.labels.NAME)",
                              key));
  }
  if (constraint.key == "node.role" && lower(value) != "manager" && lower(value) != "worker")
    invalid(text, fmt::format("role '{}' is invalid (manager or worker)", value));
  constraint.value = value;
  return constraint;
}

bool meets_constraints(const NodeInfo& node, const std::vector<Constraint>& constraints) {
  return std::all_of(constraints.begin(), constraints.end(), [&](const Constraint& constraint) {
    std::optional<std::string> actual = node_value(node, constraint.key);
    if (!actual) return false;  // a key no node has, as swarmkit: it matches no node
    bool same = constraint.key == "node.role" ? lower(*actual) == lower(constraint.value) : *actual == constraint.value;
    return same == constraint.equal;
  });
}

}  // namespace dockling::ch15
