/// @file registry_http.hpp
/// @brief The client's HTTP: one libcurl handle (loaded with dlopen, not linked) that sends
/// GET, HEAD, PUT, POST and PATCH requests with their headers, streams request bodies from a
/// file descriptor or a string and response bodies to a callback, and returns the status and
/// the response headers. Credentials are not its business: RegistryClient::send adds them
/// (Basic, Bearer tokens) and answers a 401.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace dockling::ch12 {

/// Where a request's body comes from: nothing, bytes in memory, or a file read from its start.
struct RequestBody {
  std::string data;      ///< the body, when fd is -1
  int fd = -1;           ///< a file to stream (read from its current offset)
  std::int64_t size = 0; ///< bytes to read from fd (the Content-Length sent)
};

/// One request.
struct HttpRequest {
  std::string method = "GET";        ///< GET, HEAD, PUT, POST, PATCH
  std::string url;                   ///< absolute: http(s)://host[:port]/path?query
  std::vector<std::string> headers;  ///< "Name: value" lines
  bool has_body = false;             ///< send `body` (PUT, POST and PATCH without one send 0 bytes)
  RequestBody body;                  ///< used when has_body
};

/// Receives the body of a successful (2xx) response piece by piece. It may throw: the
/// transfer stops and the exception reaches the caller of send().
using BodySink = std::function<void(std::string_view piece)>;

/// A response: the final one when redirects were followed.
struct HttpResponse {
  long status = 0;                                   ///< e.g. 200, 404
  std::multimap<std::string, std::string> headers;  ///< names lowercase, values trimmed
  std::string body;  ///< the body when no sink took it (error bodies always), capped at kMaxBody

  /// The first value of header `name` (lowercase), empty when absent.
  std::string header(const std::string& name) const;
  /// True for 2xx.
  bool ok() const { return status >= 200 && status < 300; }
  /// The most of a body kept in memory (manifests, errors); more is an error.
  static constexpr std::size_t kMaxBody = 32 * 1024 * 1024;
};

/// One connection's worth of HTTP: keeps its connections alive between requests. Not for use
/// from two threads at once.
class HttpSession {
 public:
  /// A session with a new libcurl handle (libcurl is loaded on first use).
  /// @throws Error when libcurl cannot be loaded.
  HttpSession();
  ~HttpSession();
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  /// Sends `request` and waits for the whole response. A 2xx body goes to `sink` when one is
  /// given, else into HttpResponse::body; other bodies always into HttpResponse::body.
  /// GET and HEAD follow redirects (blob stores hand out other URLs).
  /// @throws Error naming the method and URL when no response came (connection refused, TLS,
  /// time-out), SysError when the body cannot be read, or what `sink` threw.
  HttpResponse send(const HttpRequest& request, const BodySink& sink = nullptr);

 private:
  struct Handle;
  std::unique_ptr<Handle> handle_;
};

/// "GET" → "Get", as Go's net/http names a method in its errors (docker's messages show it).
std::string method_word(const std::string& method);

}  // namespace dockling::ch12
