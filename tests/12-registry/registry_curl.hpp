/// @file registry_curl.hpp
/// @brief Raw HTTP against a registry from the tests: /usr/bin/curl with its status, headers
/// and body taken apart, and bytes written to a socket as they are (for malformed requests).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dockling::ch12 {

/// What curl got back.
struct CurlAnswer {
  int exit_code = -1;   ///< curl's own exit code (0: it got an answer)
  int status = 0;       ///< the final status (after any 100 Continue)
  std::string headers;  ///< the final header block, as received
  std::string body;     ///< the body
  std::string stderr_text;  ///< curl's stderr

  /// The value of header `name` (case ignored), or nullopt.
  std::optional<std::string> header(const std::string& name) const;
  /// The body parsed as JSON (null when it is not JSON).
  nlohmann::json json() const;
  /// The first error code of a spec error body ("BLOB_UNKNOWN"), or "".
  std::string error_code() const;
};

/// Prints an answer in failure messages.
std::ostream& operator<<(std::ostream& os, const CurlAnswer& answer);

/// `curl -s -i --path-as-is ARGS...`.
CurlAnswer curl(const std::vector<std::string>& args);

/// Sends `bytes` to HOST:PORT as they are and returns what comes back until the server closes
/// (or 5 s pass).
std::string raw_exchange(const std::string& address, const std::string& bytes);

}  // namespace dockling::ch12
