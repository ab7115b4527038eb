/// @file http_server.hpp
/// @brief A small HTTP/1.1 server: a listening socket (TCP or unix), a thread per connection,
/// keep-alive, request bodies read as a stream (Content-Length or chunked), responses from a
/// string or a file (sendfile). Generic: the registry (chapter 12) and the engine's API
/// (chapter 14) route on top of it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dockling/error.hpp"
#include "dockling/fd.hpp"

namespace dockling::ch12::http {

/// A bound, listening socket and the address it answers on.
struct Listener {
  UniqueFd fd;          ///< the listening socket
  std::string address;  ///< "HOST:PORT" with the port the kernel gave, or "unix:PATH"
};

/// Listens on `address`: "HOST:PORT" (an IPv4 address or "localhost"; PORT 0 lets the kernel
/// pick one) or "unix:PATH" (a unix socket; a stale socket file at PATH is replaced).
/// @throws Error naming the address when it is malformed or cannot be bound.
Listener listen_on(const std::string& address);

/// Header fields of a request or response, in the order they came; names compared without case.
class Headers {
 public:
  /// The first value of `name`, or nullopt.
  std::optional<std::string> get(std::string_view name) const;
  /// True when `name` is present.
  bool has(std::string_view name) const { return get(name).has_value(); }
  /// Adds a field (a second one with the same name is kept too).
  void add(std::string name, std::string value) { fields_.emplace_back(std::move(name), std::move(value)); }
  /// Replaces every field `name` by one with `value`.
  void set(std::string name, std::string value);
  /// All fields, in order.
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

/// A malformed request (or body): the server answers `status` and closes the connection.
/// Handlers let it pass (Body::read throws it).
class ProtocolError : public Error {
 public:
  /// @param message what was wrong; @param status the answer (400, 431, 501...).
  explicit ProtocolError(const std::string& message, int status = 400) : Error(message), status_(status) {}
  /// The status the server answers.
  int status() const { return status_; }

 private:
  int status_;
};

/// The client went away or stopped sending: nothing more can be said on this connection.
/// Handlers let it pass (Body::read throws it).
class ConnectionLost : public Error {
 public:
  using Error::Error;
};

class Connection;

/// A request body, read as a stream: never held whole in memory. Decodes chunked transfer
/// encoding; sends "100 Continue" on the first read when the client asked for it.
class Body {
 public:
  /// Reads up to `size` bytes into `buffer`; 0 at the end of the body.
  /// @throws ConnectionLost when the connection ends early; ProtocolError when the chunked
  /// framing is malformed.
  std::size_t read(char* buffer, std::size_t size);
  /// Reads the rest of the body into a string, refusing more than `limit` bytes.
  /// @returns nullopt when the body is longer than `limit` (the rest is left unread).
  std::optional<std::string> read_all(std::size_t limit);
  /// The Content-Length the client declared; nullopt for chunked bodies.
  std::optional<std::uint64_t> declared_length() const { return chunked_ ? std::nullopt : std::optional(length_); }
  /// True when the request has a body at all (Content-Length > 0 or chunked).
  bool present() const { return chunked_ || length_ > 0; }
  /// True once every byte of the body (and the chunked trailer) has been read.
  bool finished() const { return finished_; }
  /// Bytes of body read so far.
  std::uint64_t consumed() const { return consumed_; }

 private:
  friend class Connection;
  Connection* connection_ = nullptr;
  bool chunked_ = false;
  bool expect_continue_ = false;
  bool finished_ = true;
  std::uint64_t length_ = 0;     ///< Content-Length, when not chunked
  std::uint64_t remaining_ = 0;  ///< bytes left (of the body, or of the current chunk)
  std::uint64_t consumed_ = 0;
  bool chunk_open_ = false;      ///< inside a chunk's data (chunked only)
  void start_chunk();
};

/// One request: its line, its headers, and its body as a stream.
struct Request {
  std::string method;   ///< "GET", "PUT"...
  std::string target;   ///< the request target as sent ("/v2/x/tags/list?n=2")
  std::string path;     ///< the target's path, percent-decoded
  std::string query;    ///< the target's query, raw (after '?'; empty if none)
  std::string version;  ///< "HTTP/1.1" or "HTTP/1.0"
  Headers headers;      ///< the header fields
  Body& body;           ///< the body (empty when the request has none)
  std::string peer;     ///< the client: "IP:PORT", or "unix"

  /// The query parameter `name`, percent-decoded (the first one), or nullopt.
  std::optional<std::string> query_param(std::string_view name) const;
};

/// A response: a status, headers, and a body from a string or from a file.
struct Response {
  int status = 200;       ///< the status code
  Headers headers;        ///< extra fields (Content-Length is written by the server)
  std::string body;       ///< the body, when it is not a file
  UniqueFd file;          ///< a file to send instead of `body` (sendfile)
  off_t file_offset = 0;  ///< where in `file` the body starts
  std::uint64_t file_length = 0;  ///< how many bytes of `file` to send
  /// When set, the Content-Length sent for a body that is not sent (a HEAD's answer).
  std::optional<std::uint64_t> head_length;
  /// When set, the body is not `body` nor `file`: the status line and headers go out at once
  /// (no Content-Length), then `stream` writes what it wants on the connection's socket,
  /// which closes when it returns. For bodies written as they happen (chapter 14: logs
  /// --follow, events, a wait answered when the container exits) and for a connection taken
  /// over (status 101 with "Connection: Upgrade": docker's attach).
  std::function<void(int fd)> stream;

  /// A response with `status` and a body of `content_type`.
  static Response text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
};

/// Writes one access log line; gets the request, the status, the body bytes sent and the time.
using AccessLog = std::function<void(const Request&, int status, std::uint64_t bytes, std::chrono::microseconds)>;
/// Answers one request. Exceptions become 500 (the message is logged, not sent).
using Handler = std::function<Response(Request&)>;

/// Limits that keep one client from holding the server's memory.
struct Limits {
  std::size_t max_header_bytes = 64 * 1024;    ///< request line and headers together
  std::size_t max_header_fields = 100;         ///< header fields per request
  std::chrono::seconds idle_timeout{60};       ///< between requests on a kept-alive connection
  std::chrono::seconds io_timeout{300};        ///< for one read or write inside a request
};

/// Serves `listener` until `stop_fd` becomes readable (e.g. a signalfd), then closes the
/// listener, ends the connections (a request being answered is finished first, if it can be
/// within a few seconds) and returns.
void serve(Listener& listener, const Handler& handler, int stop_fd, const AccessLog& log = {}, Limits limits = {});

/// Serves one connected socket `fd` (left open) as serve() serves each client, on the calling
/// thread, until the client closes, the connection is not to be kept, or `stop_fd` (when not
/// -1) becomes readable. For callers that hold a socket already (the fuzz target).
void serve_connection(int fd, const Handler& handler, const AccessLog& log = {}, Limits limits = {}, int stop_fd = -1);

/// "Not Found" for 404...: the reason phrase of a status code.
std::string_view reason_phrase(int status);

/// Percent-decodes `text` ('+' stays '+'). @returns nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view text);

}  // namespace dockling::ch12::http
