#include "object_routes.hpp"

#include <map>
#include <regex>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api_response.hpp"
#include "container_store.hpp"
#include "dockling/fd.hpp"
#include "engine_events.hpp"
#include "image_inspect.hpp"
#include "image_store.hpp"
#include "image_transfer.hpp"
#include "images.hpp"
#include "reference.hpp"
#include "volume_store.hpp"

namespace dockling::ch14 {

namespace http = ch12::http;
using json = nlohmann::json;

namespace {

/// A string map of the request body ({} when absent or null).
std::map<std::string, std::string> string_map(const json& body, const char* key) {
  std::map<std::string, std::string> map;
  auto value = body.find(key);
  if (value == body.end() || value->is_null()) return map;
  if (!value->is_object()) throw ApiError(400, fmt::format("{}: expected an object of strings", key));
  for (const auto& [name, item] : value->items()) {
    if (!item.is_string()) throw ApiError(400, fmt::format("{}: expected an object of strings", key));
    map[name] = item.get<std::string>();
  }
  return map;
}

/// docker's volume object: null Labels and Options when there are none.
json volume_json(const ch13::Volume& volume) {
  json shown = volume.inspect();
  for (const char* key : {"Labels", "Options"})
    if (shown.contains(key) && shown[key].is_object() && shown[key].empty()) shown[key] = nullptr;
  return shown;
}

/// The users of each image (image id → a container of it), as `rmi` weighs them.
std::map<std::string, ch10::ImageUser> image_users(const StateRoot& root) {
  std::map<std::string, ch10::ImageUser> users;
  for (const auto& record : ch10::ContainerStore(root).list()) {
    ch10::ImageUser& user = users[record.json.value("Image", "")];
    if (user.container_id.empty() || (!user.running && record.status() == "running"))
      user = {record.id(), record.status() == "running"};
  }
  return users;
}

http::Response list_volumes(const StateRoot& root) {
  ch13::VolumeStore store(root);
  UniqueFd lock = store.lock();
  json volumes = json::array();
  for (const auto& volume : store.list()) volumes.push_back(volume_json(volume));
  return json_response(200, json{{"Volumes", volumes}, {"Warnings", nullptr}});
}

http::Response create_volume(const StateRoot& root, http::Request& request) {
  json body = json_body(request);
  std::string name = body.value("Name", json("")).is_string() ? body.value("Name", "") : "";
  std::string driver = body.value("Driver", json("")).is_string() ? body.value("Driver", "") : "";
  if (!driver.empty() && driver != "local")
    throw ApiError(404, fmt::format("error looking up volume plugin {}: plugin \"{}\" not found", driver, driver));
  ch13::VolumeStore store(root);
  UniqueFd lock = store.lock();
  try {
    bool existed = store.find(name).has_value();
    ch13::Volume volume = store.create(name, string_map(body, "Labels"), string_map(body, "DriverOpts"), false);
    if (!existed) record_event(root, "volume", "create", volume.name(), {{"driver", "local"}});
    return json_response(201, volume_json(volume));
  } catch (const ApiError&) {
    throw;
  } catch (const Error& e) {
    throw ApiError(400, e.what());
  }
}

std::optional<ch13::Volume> find_volume(const ch13::VolumeStore& store, const std::string& name) {
  try {
    return store.find(name);
  } catch (const Error&) {
    return std::nullopt;
  }
}

http::Response inspect_volume(const StateRoot& root, const std::string& name) {
  ch13::VolumeStore store(root);
  UniqueFd lock = store.lock();
  auto volume = find_volume(store, name);
  if (!volume) throw ApiError(404, fmt::format("get {}: no such volume", name));
  return json_response(200, volume_json(*volume));
}

http::Response remove_volume(const StateRoot& root, http::Request& request, const std::string& name) {
  ch13::VolumeStore store(root);
  UniqueFd lock = store.lock();
  auto volume = find_volume(store, name);
  if (!volume) {
    if (query_flag(request, "force")) return empty_response(204);
    throw ApiError(404, fmt::format("get {}: no such volume", name));
  }
  try {
    store.remove(*volume);
  } catch (const Error& e) {
    throw ApiError(409, e.what());  // in use
  }
  record_event(root, "volume", "destroy", name, {{"driver", "local"}});
  return empty_response(204);
}

http::Response prune_volumes(const StateRoot& root) {
  ch13::VolumeStore store(root);
  UniqueFd lock = store.lock();
  ch13::PruneReport report = store.prune();
  for (const auto& name : report.removed) record_event(root, "volume", "destroy", name, {{"driver", "local"}});
  return json_response(200, json{{"VolumesDeleted", report.removed}, {"SpaceReclaimed", report.bytes}});
}

http::Response tag_image(const StateRoot& root, http::Request& request, const std::string& name) {
  std::string repo = request.query_param("repo").value_or("");
  std::string tag = request.query_param("tag").value_or("");
  ch10::Reference target;
  try {
    target = ch10::parse_reference(tag.empty() ? repo : repo + ":" + tag);
  } catch (const Error& e) {
    throw ApiError(400, e.what());
  }
  ch10::ImageStore store(root);
  std::string id;
  try {
    id = store.find(name).id;
    store.tag(name, target);
  } catch (const Error& e) {
    throw ApiError(404, e.what());
  }
  record_event(root, "image", "tag", id, {{"name", target.with_default_tag().familiar()}});
  return empty_response(201);
}

http::Response remove_image(const StateRoot& root, http::Request& request, const std::string& name) {
  ch10::ImageStore store(root);
  std::vector<std::string> lines;
  try {
    store.find(name);
  } catch (const Error& e) {
    std::string shown = name;  // docker names the reference it looked for: nosuch:latest
    try {
      shown = ch10::parse_reference(name).with_default_tag().familiar();
    } catch (const Error&) {
    }
    throw ApiError(404, fmt::format("No such image: {}", shown));
  }
  try {
    lines = store.remove(name, query_flag(request, "force"), image_users(root));
  } catch (const Error& e) {
    throw ApiError(409, e.what());
  }
  json answer = json::array();
  for (const auto& line : lines) {
    size_t colon = line.find(": ");
    if (colon == std::string::npos) continue;
    std::string kind = line.substr(0, colon), what = line.substr(colon + 2);
    answer.push_back({{kind, what}});
    record_event(root, "image", kind == "Untagged" ? "untag" : "delete", what, {{"name", what}});
  }
  return json_response(200, answer);
}

http::Response image_history(const StateRoot& root, const std::string& name) {
  ch10::ImageStore store(root);
  ch10::Image image;
  try {
    image = store.find(name);
  } catch (const Error& e) {
    throw ApiError(404, e.what());
  }
  json tags = json::array();
  for (const auto& reference : image.names)
    if (!reference.tag.empty()) tags.push_back(reference.familiar_name() + ":" + reference.tag);
  json entries = json::array();
  bool newest = true;
  for (const auto& entry : ch10::image_history(store, image)) {
    entries.push_back({{"Comment", entry.comment},
                       {"Created", static_cast<std::int64_t>(ch10::rfc3339_seconds(entry.created))},
                       {"CreatedBy", entry.created_by},
                       {"Id", entry.id},
                       {"Size", entry.size},
                       {"Tags", newest ? tags : json(nullptr)}});
    newest = false;
  }
  return json_response(200, entries);
}

/// The networks docker always has; chapter 04's bridge is "bridge".
json network_json(const std::string& name) {
  std::string driver = name == "none" ? "null" : name;
  return {{"Name", name},   {"Id", name},         {"Scope", "local"}, {"Driver", driver},
          {"EnableIPv6", false}, {"IPAM", {{"Driver", "default"}, {"Options", nullptr}, {"Config", json::array()}}},
          {"Internal", false},   {"Attachable", false}, {"Ingress", false}, {"Containers", json::object()},
          {"Options", json::object()}, {"Labels", json::object()}};
}

}  // namespace

json local_networks() { return json::array({network_json("bridge"), network_json("host"), network_json("none")}); }

std::optional<http::Response> object_route(const StateRoot& root, http::Request& request, const std::string& path,
                                          const RegistrySettings& registry) {
  const std::string& method = request.method;
  static const std::regex volume_path(R"(^/volumes/([^/]+)$)");
  static const std::regex image_path(R"(^/images/(.+?)(/tag|/history|/push)?$)");
  static const std::regex network_path(R"(^/networks/([^/]+)$)");
  std::smatch match;
  if (path == "/images/create" && method == "POST") return create_image(root, request, registry);
  if (path == "/volumes" && method == "GET") return list_volumes(root);
  if (path == "/volumes/create" && method == "POST") return create_volume(root, request);
  if (path == "/volumes/prune" && method == "POST") return prune_volumes(root);
  if (std::regex_match(path, match, volume_path)) {
    if (method == "GET") return inspect_volume(root, match[1]);
    if (method == "DELETE") return remove_volume(root, request, match[1]);
  }
  if (path == "/networks" && method == "GET")
    return json_response(200, local_networks());
  if (std::regex_match(path, match, network_path) && method == "GET") {
    std::string name = match[1];
    if (name != "bridge" && name != "host" && name != "none") throw ApiError(404, fmt::format("network {} not found", name));
    return json_response(200, network_json(name));
  }
  if (std::regex_match(path, match, image_path)) {
    std::string name = match[1], action = match[2];
    if (action == "/tag" && method == "POST") return tag_image(root, request, name);
    if (action == "/history" && method == "GET") return image_history(root, name);
    if (action == "/push" && method == "POST") return push_image(root, request, name, registry);
    if (action.empty() && method == "DELETE") return remove_image(root, request, name);
  }
  return std::nullopt;
}

}  // namespace dockling::ch14
