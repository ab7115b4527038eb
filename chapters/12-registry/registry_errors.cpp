#include "registry_errors.hpp"

#include <map>

namespace dockling::ch12 {

ApiError::ApiError(std::string code, std::string message, nlohmann::json detail)
    : Error(code + ": " + message), status_(status_of(code)) {
  entries_.push_back({std::move(code), std::move(message), std::move(detail)});
}

ApiError::ApiError(int status, std::vector<ApiErrorEntry> entries)
    : Error(entries.empty() ? "error" : entries.front().code + ": " + entries.front().message),
      status_(status),
      entries_(std::move(entries)) {}

int status_of(const std::string& code) {
  static const std::map<std::string, int> statuses{
      {"BLOB_UNKNOWN", 404},          {"BLOB_UPLOAD_INVALID", 400}, {"BLOB_UPLOAD_UNKNOWN", 404},
      {"DIGEST_INVALID", 400},        {"MANIFEST_BLOB_UNKNOWN", 400}, {"MANIFEST_INVALID", 400},
      {"MANIFEST_UNKNOWN", 404},      {"NAME_INVALID", 400},        {"NAME_UNKNOWN", 404},
      {"SIZE_INVALID", 400},          {"TAG_INVALID", 400},         {"RANGE_INVALID", 416},
      {"UNAUTHORIZED", 401},          {"DENIED", 403},              {"UNSUPPORTED", 405},
      {"TOOMANYREQUESTS", 429},
  };
  auto it = statuses.find(code);
  return it == statuses.end() ? 400 : it->second;
}

http::Response error_response(const ApiError& error) {
  nlohmann::json list = nlohmann::json::array();
  for (const ApiErrorEntry& entry : error.entries()) {
    nlohmann::json item{{"code", entry.code}, {"message", entry.message}};
    if (!entry.detail.is_null()) item["detail"] = entry.detail;
    list.push_back(std::move(item));
  }
  // A message may quote what the client sent (a header, a name): bytes that are not UTF-8
  // become U+FFFD rather than an exception that would turn the answer into a 500.
  std::string body = nlohmann::json{{"errors", list}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  http::Response response = http::Response::text(error.status(), body + "\n", "application/json; charset=utf-8");
  for (const auto& [name, value] : error.headers.fields()) response.headers.add(name, value);
  return response;
}

}  // namespace dockling::ch12
