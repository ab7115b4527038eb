/// @file http_client.hpp
/// @brief A small blocking HTTP/1.1 client over a unix socket or TCP: what a client of the
/// Engine API needs (chapter 15's commands, its agents and managers talking to each other).
///
/// One request a connection (`Connection: close`), so an answer ends where the connection
/// ends when it has neither Content-Length nor chunked encoding (a followed log stream).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dockling/error.hpp"

namespace dockling::ch14 {

/// Where a server listens: "unix:///PATH" or "unix:PATH" (docker's -H forms), "tcp://HOST:PORT"
/// or "HOST:PORT" (an IPv4 address).
struct HttpEndpoint {
  std::string address;  ///< in one of the forms above; the messages of HttpUnreachable name it
};

/// An answer: its status, header fields (names lower-case) and body.
struct HttpAnswer {
  int status = 0;  ///< the HTTP status code (200, 404, ...)
  std::vector<std::pair<std::string, std::string>> headers;  ///< in the order received, names lower-case
  std::string body;  ///< chunked encoding removed; empty from http_stream()

  /// The first value of header `name` (lower-case), or "".
  std::string header(std::string_view name) const;
};

/// A request to send.
struct HttpCall {
  HttpCall() = default;
  /// A `method` request for `target` (path and query) with `body`.
  HttpCall(std::string method, std::string target, std::string body = "")
      : method(std::move(method)), target(std::move(target)), body(std::move(body)) {}

  std::string method = "GET";  ///< "GET", "POST", "DELETE", ...
  std::string target;       ///< "/v1.41/services?filters=..."
  std::string body;         ///< sent with Content-Length when not empty (or when method is POST)
  std::string content_type = "application/json";  ///< the Content-Type sent with a body
  std::vector<std::pair<std::string, std::string>> headers;  ///< extra fields
  std::chrono::milliseconds timeout{30000};  ///< for connecting and for each read; 0: reads wait for ever
  /// When set, asked while a read waits (every 200 ms): true ends the answer there (a stream
  /// whose reader went away).
  std::function<bool()> cancelled;
};

/// The server could not be reached, or the connection broke: the message names the address.
class HttpUnreachable : public Error {
 public:
  using Error::Error;
};

/// Sends `call` to `endpoint` and reads the whole answer.
/// @throws HttpUnreachable naming the address when it cannot connect or the answer is cut.
HttpAnswer http_call(const HttpEndpoint& endpoint, const HttpCall& call);

/// Sends `call` and hands the body to `on_data` as it arrives (chunked encoding removed); for
/// answers that last (logs --follow). Stops when the body ends or `on_data` returns false.
/// @returns the answer with its status and headers (and an empty body).
/// @throws HttpUnreachable as http_call.
HttpAnswer http_stream(const HttpEndpoint& endpoint, const HttpCall& call,
                       const std::function<bool(std::string_view)>& on_data);

/// Percent-encodes `text` for a query parameter.
std::string url_encode(std::string_view text);

}  // namespace dockling::ch14
