/// @file engine_events.hpp
/// @brief `docker events`: what happened to containers, one JSON object a line in
/// ROOT/engine/events.log, appended by the daemon (create, kill, stop, rename, destroy,
/// exec_create, exec_start, exec_die) and by the monitors (start, die: also the restarts a
/// policy makes while no daemon runs); GET /events streams them with docker's filters.
#pragma once

#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "dockling/state.hpp"
#include "http_server.hpp"

namespace dockling::ch14 {

/// ROOT/engine/events.log.
std::filesystem::path events_log(const StateRoot& root);

/// Appends one event, docker's shape: {"status", "id", "from", "Type", "Action", "Actor":
/// {"ID", "Attributes"}, "scope", "time", "timeNano"}. `attributes` gets the container's
/// image and name from its record when it has one. Never throws (an event lost is logged).
void record_event(const StateRoot& root, const std::string& type, const std::string& action, const std::string& id,
                  std::map<std::string, std::string> attributes = {});

/// What GET /events selects: its since, until and filters.
struct EventQuery {
  std::optional<double> since;  ///< from this Unix time (seconds, a fraction allowed); none: from now
  std::optional<double> until;  ///< up to this Unix time, then the stream ends; none: on and on
  std::map<std::string, std::vector<std::string>> filters;  ///< type, event, container, image

  /// From the request's query. @throws Error (exit code 400) for a malformed one.
  static EventQuery from(const ch12::http::Request& request);
  /// True when `event` passes the filters (not the times).
  bool matches(const nlohmann::json& event) const;
};

/// GET /events: the events between since and until (from now, and on until the client goes,
/// when there is no until), as a stream of JSON objects, one a line.
ch12::http::Response events_response(const StateRoot& root, const ch12::http::Request& request);

}  // namespace dockling::ch14
