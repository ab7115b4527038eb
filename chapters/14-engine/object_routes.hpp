/// @file object_routes.hpp
/// @brief The Engine API's routes for images (tag, remove, history; pull, import and push in
/// image_transfer.hpp), volumes (create, list,
/// inspect, remove, prune) and networks (list, inspect: enough for the CLI's views), over
/// the stores of chapters 10 and 13. Containers are engine_api.cpp's.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "dockling/state.hpp"
#include "http_server.hpp"
#include "image_transfer.hpp"

namespace dockling::ch14 {

/// The networks every engine has, as `GET /networks` lists them: bridge (chapter 04's), host
/// and none.
nlohmann::json local_networks();

/// Answers `request` (its path without the version prefix in `path`) when it is one of these
/// routes; nullopt when it is not.
/// @throws ApiError with docker's status and words.
std::optional<ch12::http::Response> object_route(const StateRoot& root, ch12::http::Request& request,
                                                 const std::string& path, const RegistrySettings& registry);

}  // namespace dockling::ch14
