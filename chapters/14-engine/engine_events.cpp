#include "engine_events.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>

#include <fmt/format.h>

#include "api_response.hpp"
#include "container_store.hpp"
#include "dockling/error.hpp"
#include "dockling/fd.hpp"
#include "dockling/log.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace dockling::ch14 {

namespace http = ch12::http;
using json = nlohmann::json;

namespace {

std::int64_t now_nanoseconds() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// docker's since/until: Unix seconds, with an optional fraction ("1700000000.5").
std::optional<double> seconds_param(const http::Request& request, const char* name) {
  auto value = request.query_param(name);
  if (!value || value->empty()) return std::nullopt;
  char* end = nullptr;
  double seconds = std::strtod(value->c_str(), &end);
  if (*end != '\0') throw Error(fmt::format("invalid {} \"{}\": not a Unix time", name, *value), 400);
  return seconds;
}

}  // namespace

fs::path events_log(const StateRoot& root) { return root.dir() / "engine" / "events.log"; }

void record_event(const StateRoot& root, const std::string& type, const std::string& action, const std::string& id,
                  std::map<std::string, std::string> attributes) {
  try {
    std::string image;
    if (type == "container") {
      if (auto record = ch10::ContainerStore(root).load(id)) {
        image = record->json.value("Config", json::object()).value("Image", "");
        attributes.emplace("image", image);
        attributes.emplace("name", record->name());
      }
    }
    std::int64_t nanoseconds = now_nanoseconds();
    nlohmann::ordered_json event = {{"status", action},
                                    {"id", id},
                                    {"from", image},
                                    {"Type", type},
                                    {"Action", action},
                                    {"Actor", {{"ID", id}, {"Attributes", attributes}}},
                                    {"scope", "local"},
                                    {"time", nanoseconds / 1000000000},
                                    {"timeNano", nanoseconds}};
    if (type != "container") {  // docker's status, id and from are for containers only
      event.erase("status");
      event.erase("id");
      event.erase("from");
    }
    fs::path path = events_log(root);
    fs::create_directories(path.parent_path());
    // One write(2) with O_APPEND: lines of the daemon and the monitors never interleave.
    UniqueFd fd = open_fd(path.string(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    write_all(fd.get(), event.dump() + "\n");
  } catch (const std::exception& e) {
    log::warning("event {} {} of {}: {}", type, action, id, e.what());
  }
}

EventQuery EventQuery::from(const http::Request& request) {
  EventQuery query;
  query.since = seconds_param(request, "since");
  query.until = seconds_param(request, "until");
  if (auto text = request.query_param("filters"); text && !text->empty()) {
    json filters;
    try {
      filters = json::parse(*text);
    } catch (const json::exception& e) {
      throw Error(fmt::format("invalid filters: {}", e.what()), 400);
    }
    if (!filters.is_object()) throw Error("invalid filters: not a JSON object", 400);
    for (const auto& [key, values] : filters.items()) {
      if (key != "type" && key != "event" && key != "container" && key != "image")
        throw Error(fmt::format("invalid filter '{}'", key), 400);
      // Both forms docker's CLIs send: {"type": ["container"]} and {"type": {"container": true}}.
      if (values.is_array()) {
        for (const auto& value : values)
          if (value.is_string()) query.filters[key].push_back(value.get<std::string>());
      } else if (values.is_object()) {
        for (const auto& [value, unused] : values.items()) query.filters[key].push_back(value);
      }
    }
  }
  return query;
}

bool EventQuery::matches(const json& event) const {
  auto allowed = [&](const char* key, const std::vector<std::string>& candidates) {
    auto found = filters.find(key);
    if (found == filters.end()) return true;
    return std::any_of(found->second.begin(), found->second.end(), [&](const std::string& wanted) {
      return std::find(candidates.begin(), candidates.end(), wanted) != candidates.end();
    });
  };
  std::string action = event.value("Action", "");
  std::string id = event["Actor"].value("ID", "");
  const json& attributes = event["Actor"].value("Attributes", json::object());
  std::string name = attributes.value("name", "");
  // "exec_start: sh -c ..." is the event exec_start.
  std::string bare_action = action.substr(0, action.find(':'));
  std::vector<std::string> containers = {id, name};
  for (size_t n = 1; n < id.size(); ++n) containers.push_back(id.substr(0, n));  // a prefix names it too
  return allowed("type", {event.value("Type", "")}) && allowed("event", {action, bare_action}) &&
         allowed("container", event.value("Type", "") == "container" ? containers : std::vector<std::string>{}) &&
         allowed("image", {attributes.value("image", "")});
}

http::Response events_response(const StateRoot& root, const http::Request& request) {
  EventQuery query;
  try {
    query = EventQuery::from(request);
  } catch (const Error& e) {
    throw ApiError(400, e.what());
  }
  http::Response response;
  response.headers.set("Content-Type", "application/json");
  fs::path path = events_log(root);
  response.stream = [query, path](int fd) {
    auto now = [] { return static_cast<double>(now_nanoseconds()) / 1e9; };
    // No since: only what happens from now on.
    double since = query.since.value_or(now());
    UniqueFd log;
    std::string pending;
    while (true) {
      if (!log) {
        int opened = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (opened >= 0) log.reset(opened);
      }
      if (log) {
        char buffer[65536];
        ssize_t n;
        while ((n = ::read(log.get(), buffer, sizeof buffer)) > 0) pending.append(buffer, static_cast<size_t>(n));
      }
      size_t newline;
      while ((newline = pending.find('\n')) != std::string::npos) {
        std::string line = pending.substr(0, newline);
        pending.erase(0, newline + 1);
        json event;
        try {
          event = json::parse(line);
        } catch (const json::exception&) {
          continue;  // a line a crash cut short
        }
        double time = static_cast<double>(event.value("timeNano", std::int64_t{0})) / 1e9;
        if (time < since) continue;
        if (query.until && time > *query.until) return;
        if (query.matches(event) && !send_text(fd, line + "\n")) return;
      }
      if (query.until && now() > *query.until) return;
      if (peer_gone(fd)) return;
      std::this_thread::sleep_for(50ms);
    }
  };
  return response;
}

}  // namespace dockling::ch14
