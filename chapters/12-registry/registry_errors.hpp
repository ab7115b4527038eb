/// @file registry_errors.hpp
/// @brief The distribution spec's errors: a code (BLOB_UNKNOWN...), a status, and the JSON
/// body `{"errors":[{"code","message","detail"}]}` every failed request answers.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dockling/error.hpp"
#include "http_server.hpp"

namespace dockling::ch12 {

/// One entry of the spec's error list.
struct ApiErrorEntry {
  std::string code;                ///< "BLOB_UNKNOWN", "DIGEST_INVALID"...
  std::string message;             ///< a sentence for people
  nlohmann::json detail = nullptr; ///< what the client may use to fix it (a digest, a name)
};

/// A request the registry refuses: thrown by the handlers, answered by the router.
class ApiError : public Error {
 public:
  /// One error with `code` (its status is the spec's for that code).
  ApiError(std::string code, std::string message, nlohmann::json detail = nullptr);
  /// Several errors of one kind (e.g. every missing blob of a manifest) answered with `status`.
  ApiError(int status, std::vector<ApiErrorEntry> entries);

  /// The HTTP status to answer.
  int status() const { return status_; }
  /// The entries of the body.
  const std::vector<ApiErrorEntry>& entries() const { return entries_; }
  /// Extra response headers (e.g. Range on a 416, so the client can resume).
  http::Headers headers;

 private:
  int status_;
  std::vector<ApiErrorEntry> entries_;
};

/// The HTTP status of an error code: 404 for the *_UNKNOWN ones, 400 for the *_INVALID ones,
/// 405 UNSUPPORTED, 416 RANGE_INVALID, 401 UNAUTHORIZED, 403 DENIED, 429 TOOMANYREQUESTS.
int status_of(const std::string& code);

/// The response for `error`: its status, headers and JSON body.
http::Response error_response(const ApiError& error);

}  // namespace dockling::ch12
