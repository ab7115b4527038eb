/// @file api_response.hpp
/// @brief The Engine API's answers as dockerd gives them: JSON bodies, and errors as
/// `{"message": "..."}` with docker's status codes.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "dockling/error.hpp"
#include "http_server.hpp"

namespace dockling::ch14 {

/// An answer of the API: an Error whose exit code is the HTTP status (400 bad parameter, 404
/// no such object, 409 conflict ...). EngineApi::handle() sends it as docker's error JSON.
class ApiError : public Error {
 public:
  /// An answer with HTTP `status` and docker's `message`.
  ApiError(int status, const std::string& message) : Error(message, status) {}
};

/// `body` as JSON, with `status`.
ch12::http::Response json_response(int status, const nlohmann::json& body);
/// `body` as JSON, its keys in the order they were added (docker's inspect order).
ch12::http::Response json_response(int status, const nlohmann::ordered_json& body);
/// A response with `status` and no body (204, 304).
ch12::http::Response empty_response(int status);

/// A query flag as docker reads one: "1", "true", "True" are true.
bool query_flag(const ch12::http::Request& request, std::string_view name);

/// The request's body as JSON ({} when empty), at most `limit` bytes.
/// @throws ApiError 413 for a larger body, 400 for one that is not JSON.
nlohmann::json json_body(ch12::http::Request& request, std::size_t limit = 1 << 20);

/// True when the client has closed `fd` (it gave up waiting). With `half_close`, also when it
/// only shut down its sending side: a client that waits sends nothing more anyway, but an
/// attached docker CLI closes its side when its stdin ends and still reads the output.
bool peer_gone(int fd, bool half_close = true);

/// Writes `text` on a streamed connection; false when the client went away.
bool send_text(int fd, std::string_view text);

}  // namespace dockling::ch14
