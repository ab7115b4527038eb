#include "http_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <atomic>
#include <csignal>
#include <cstring>
#include <list>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "dockling/text.hpp"

namespace dockling::ch12::http {

namespace {

using Clock = std::chrono::steady_clock;

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) { return lower(x) == lower(y); });
}

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
  return text;
}

std::optional<std::uint64_t> parse_decimal(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

std::string peer_name(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return "?";
  char text[INET6_ADDRSTRLEN] = "";
  if (address.ss_family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&address);
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    return fmt::format("{}:{}", text, ntohs(in->sin_port));
  }
  if (address.ss_family == AF_INET6) {
    auto* in = reinterpret_cast<sockaddr_in6*>(&address);
    inet_ntop(AF_INET6, &in->sin6_addr, text, sizeof text);
    return fmt::format("[{}]:{}", text, ntohs(in->sin6_port));
  }
  return "unix";
}

}  // namespace

/// Reads requests from one client socket and writes the answers, until either side closes.
/// Named in Body (a friend), so it lives outside the anonymous namespace.
class Connection {
 public:
  Connection(int fd, std::string peer, const Handler& handler, const AccessLog& log, const Limits& limits, int stop_fd)
      : fd_(fd), peer_(std::move(peer)), handler_(handler), log_(log), limits_(limits), stop_fd_(stop_fd) {
    buffer_.resize(64 * 1024);
  }

  /// Serves requests until the connection closes, is not to be kept, or the server stops.
  void run();

  /// Up to `size` bytes: what is buffered, else straight from the socket. 0 at end of stream.
  std::size_t read_some(char* out, std::size_t size);
  /// One line (without CR LF) of at most `limit` bytes. @throws ProtocolError, ConnectionLost
  std::string read_line(std::size_t limit);
  /// "HTTP/1.1 100 Continue", once.
  void send_continue() { send_all("HTTP/1.1 100 Continue\r\n\r\n"); }

 private:
  /// Reads more bytes into the buffer; false at end of stream.
  bool fill();
  /// Waits for the next request's first bytes; false when idle too long or the server stops.
  bool wait_for_request();
  /// Parses the request line and headers into `request`. @throws ProtocolError
  void read_head(Request& request, Body& body);
  void send_all(std::string_view data, int flags = 0);
  /// Writes `response`; returns the body bytes sent.
  std::uint64_t send_response(const Request& request, Response& response, bool keep_alive);
  void compact() {
    if (begin_ > 0) {
      std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
  }

  int fd_;
  std::string peer_;
  const Handler& handler_;
  const AccessLog& log_;
  const Limits& limits_;
  int stop_fd_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

namespace {

/// Closes a client socket without losing the answer: closing with unread bytes (the rest of
/// a refused body) would send a reset that can destroy the answer before the client reads it.
/// So: end our side, read what still comes (a little, briefly), then close.
void linger_and_close(int fd) {
  shutdown(fd, SHUT_WR);
  timeval brief{.tv_sec = 0, .tv_usec = 200 * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &brief, sizeof brief);
  char buffer[16 * 1024];
  Clock::time_point give_up = Clock::now() + std::chrono::milliseconds(500);  // a slow sender is not waited for
  for (std::size_t drained = 0; drained < (1u << 20) && Clock::now() < give_up;) {
    ssize_t got = recv(fd, buffer, sizeof buffer, 0);
    if (got <= 0) break;
    drained += static_cast<std::size_t>(got);
  }
  close(fd);
}

void set_timeout(int fd, std::chrono::seconds timeout) {
  timeval value{};
  value.tv_sec = static_cast<time_t>(timeout.count());
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, sizeof value);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, sizeof value);
}

}  // namespace

bool Connection::fill() {
  if (end_ == buffer_.size()) compact();
  if (end_ == buffer_.size()) throw ProtocolError("request head too large", 431);
  for (;;) {
    ssize_t got = recv(fd_, buffer_.data() + end_, buffer_.size() - end_, 0);
    if (got > 0) {
      end_ += static_cast<std::size_t>(got);
      return true;
    }
    if (got == 0) return false;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) throw ConnectionLost("timed out waiting for the client");
    throw ConnectionLost(std::string("recv: ") + std::strerror(errno));
  }
}

std::size_t Connection::read_some(char* out, std::size_t size) {
  if (begin_ < end_) {
    std::size_t count = std::min(size, end_ - begin_);
    std::memcpy(out, buffer_.data() + begin_, count);
    begin_ += count;
    return count;
  }
  begin_ = end_ = 0;
  if (size >= buffer_.size() / 4) {
    // Large reads go straight into the caller's buffer: no copy for a blob's bytes.
    for (;;) {
      ssize_t got = recv(fd_, out, size, 0);
      if (got >= 0) return static_cast<std::size_t>(got);
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) throw ConnectionLost("timed out waiting for the request body");
      throw ConnectionLost(std::string("recv: ") + std::strerror(errno));
    }
  }
  if (!fill()) return 0;
  return read_some(out, size);
}

std::string Connection::read_line(std::size_t limit) {
  for (;;) {
    auto* start = buffer_.data() + begin_;
    auto* newline = static_cast<char*>(std::memchr(start, '\n', end_ - begin_));
    if (newline != nullptr) {
      std::string line(start, newline);
      begin_ += line.size() + 1;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.size() > limit) throw ProtocolError("line too long");
      return line;
    }
    if (end_ - begin_ > limit) throw ProtocolError("line too long");
    if (!fill()) throw ConnectionLost("connection closed in the middle of a line");
  }
}

void Connection::send_all(std::string_view data, int flags) {
  while (!data.empty()) {
    ssize_t sent = send(fd_, data.data(), data.size(), flags | MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) continue;
      throw ConnectionLost(std::string("send: ") + std::strerror(errno));
    }
    data.remove_prefix(static_cast<std::size_t>(sent));
  }
}

bool Connection::wait_for_request() {
  if (begin_ < end_) return true;
  pollfd fds[2] = {{fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
  int ready = poll(fds, stop_fd_ >= 0 ? 2 : 1, static_cast<int>(limits_.idle_timeout.count() * 1000));
  if (ready <= 0) return false;
  if (stop_fd_ >= 0 && (fds[1].revents & POLLIN)) return false;
  return true;
}

void Connection::read_head(Request& request, Body& body) {
  // Locate the end of the head: an empty line.
  std::size_t head_end = 0;
  std::size_t head_bytes = 0;
  for (;;) {
    std::string_view data(buffer_.data() + begin_, end_ - begin_);
    // Empty lines before a request are allowed (RFC 9112 2.2).
    while (!data.empty() && (data.front() == '\r' || data.front() == '\n')) {
      data.remove_prefix(1);
      ++begin_;
    }
    // Bytes no request line holds (a TLS ClientHello starts with 0x16) are refused at once:
    // a client that tries https first then hears an HTTP answer and falls back, instead of
    // waiting for a handshake that never comes.
    std::string_view request_line = data.substr(0, data.find('\n'));
    if (std::any_of(request_line.begin(), request_line.end(), [](char c) { return (c < 0x20 && c != '\r') || c == 0x7f || (c & 0x80); }))
      throw ProtocolError("not an HTTP request");
    std::size_t at = data.find("\n\r\n");
    std::size_t bare = data.find("\n\n");
    if (at != std::string_view::npos && (bare == std::string_view::npos || at < bare)) {
      head_end = begin_ + at + 3;
      break;
    }
    if (bare != std::string_view::npos) {
      head_end = begin_ + bare + 2;
      break;
    }
    if (end_ - begin_ > limits_.max_header_bytes) throw ProtocolError("request head too large", 431);
    if (!fill()) {
      if (begin_ == end_) throw ConnectionLost("closed");
      throw ProtocolError("connection closed in the middle of the request head");
    }
  }
  head_bytes = head_end - begin_;
  if (head_bytes > limits_.max_header_bytes) throw ProtocolError("request head too large", 431);
  std::string_view head(buffer_.data() + begin_, head_bytes);
  begin_ = head_end;

  std::vector<std::string_view> lines;
  while (!head.empty()) {
    std::size_t newline = head.find('\n');
    std::string_view line = head.substr(0, newline);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) lines.push_back(line);
    head.remove_prefix(newline == std::string_view::npos ? head.size() : newline + 1);
  }
  if (lines.empty()) throw ProtocolError("empty request");

  // The request line: METHOD SP TARGET SP HTTP/x.y
  std::string_view line = lines[0];
  std::size_t first = line.find(' ');
  std::size_t last = line.rfind(' ');
  if (first == std::string_view::npos || first == last) throw ProtocolError("malformed request line");
  request.method = std::string(line.substr(0, first));
  request.target = std::string(line.substr(first + 1, last - first - 1));
  request.version = std::string(line.substr(last + 1));
  if (request.method.empty() || !std::all_of(request.method.begin(), request.method.end(), is_token_char))
    throw ProtocolError("malformed method");
  if (request.version.size() != 8 || request.version.compare(0, 5, "HTTP/") != 0 || !std::isdigit(request.version[5]) ||
      request.version[6] != '.' || !std::isdigit(request.version[7]))
    throw ProtocolError("malformed HTTP version");
  if (request.version[5] != '1') throw ProtocolError("HTTP version not supported", 505);
  if (request.target.empty() ||
      !std::all_of(request.target.begin(), request.target.end(), [](char c) { return c > 0x20 && c < 0x7f; }))
    throw ProtocolError("malformed request target");

  // absolute-form ("http://host/path") is reduced to its path.
  std::string_view target = request.target;
  if (target.front() != '/') {
    std::size_t scheme = target.find("://");
    if (scheme == std::string_view::npos) throw ProtocolError("malformed request target");
    std::size_t slash = target.find('/', scheme + 3);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  std::size_t question = target.find('?');
  std::optional<std::string> path = percent_decode(target.substr(0, question));
  if (!path || path->find('\0') != std::string::npos) throw ProtocolError("malformed escape in the request path");
  request.path = std::move(*path);
  request.query = question == std::string_view::npos ? "" : std::string(target.substr(question + 1));

  if (lines.size() - 1 > limits_.max_header_fields) throw ProtocolError("too many header fields", 431);
  for (std::size_t i = 1; i < lines.size(); ++i) {
    std::string_view field = lines[i];
    if (field.front() == ' ' || field.front() == '\t') throw ProtocolError("obsolete header line folding");
    std::size_t colon = field.find(':');
    if (colon == std::string_view::npos || colon == 0) throw ProtocolError("malformed header field");
    std::string_view name = field.substr(0, colon);
    if (!std::all_of(name.begin(), name.end(), is_token_char)) throw ProtocolError("malformed header name");
    request.headers.add(std::string(name), std::string(trim(field.substr(colon + 1))));
  }

  // The body's framing.
  body = Body();
  body.connection_ = this;
  std::optional<std::string> length;
  for (const auto& [name, value] : request.headers.fields()) {
    if (!equals_ignoring_case(name, "Content-Length")) continue;
    if (length && *length != value) throw ProtocolError("conflicting Content-Length fields");
    length = value;
  }
  std::optional<std::string> encoding = request.headers.get("Transfer-Encoding");
  if (encoding) {
    if (length) throw ProtocolError("both Content-Length and Transfer-Encoding");
    if (!equals_ignoring_case(trim(*encoding), "chunked")) throw ProtocolError("unsupported Transfer-Encoding " + *encoding, 501);
    body.chunked_ = true;
    body.finished_ = false;
  } else if (length) {
    std::optional<std::uint64_t> value = parse_decimal(trim(*length));
    if (!value) throw ProtocolError("malformed Content-Length");
    body.length_ = body.remaining_ = *value;
    body.finished_ = *value == 0;
  }
  std::optional<std::string> expect = request.headers.get("Expect");
  if (expect) {
    if (!equals_ignoring_case(trim(*expect), "100-continue")) throw ProtocolError("unsupported Expect " + *expect, 417);
    body.expect_continue_ = request.version == "HTTP/1.1" && !body.finished_;
  }
}

std::uint64_t Connection::send_response(const Request& request, Response& response, bool keep_alive) {
  bool head_only = request.method == "HEAD";
  bool no_body = response.status == 204 || response.status == 304 || response.status < 200;
  std::uint64_t length = response.file ? response.file_length : response.body.size();
  if (response.head_length) length = *response.head_length;
  std::string text = fmt::format("HTTP/1.1 {} {}\r\n", response.status, reason_phrase(response.status));
  if (response.stream) {
    // Written as it happens, until the stream ends the connection: no length to announce.
    bool upgrade = response.status == 101;
    for (const auto& [name, value] : response.headers.fields())
      if (!equals_ignoring_case(name, "Content-Length") && (upgrade || !equals_ignoring_case(name, "Connection")))
        text += name + ": " + value + "\r\n";
    if (!upgrade) text += "Connection: close\r\n";
    send_all(text + "\r\n");
    response.stream(fd_);
    return 0;
  }
  for (const auto& [name, value] : response.headers.fields()) {
    if (equals_ignoring_case(name, "Content-Length") || equals_ignoring_case(name, "Connection")) continue;
    text += name + ": " + value + "\r\n";
  }
  if (!no_body) text += fmt::format("Content-Length: {}\r\n", length);
  if (!keep_alive) text += "Connection: close\r\n";
  text += "\r\n";
  if (head_only || no_body || response.head_length) {
    send_all(text);
    return 0;
  }
  if (!response.file) {
    if (response.body.size() <= 64 * 1024) {
      text += response.body;
      send_all(text);
    } else {
      send_all(text, MSG_MORE);
      send_all(response.body);
    }
    return response.body.size();
  }
  send_all(text, response.file_length > 0 ? MSG_MORE : 0);
  off_t offset = response.file_offset;
  std::uint64_t left = response.file_length;
  while (left > 0) {
    ssize_t sent = sendfile(fd_, response.file.get(), &offset, std::min<std::uint64_t>(left, 1u << 30));
    if (sent < 0) {
      if (errno == EINTR) continue;
      throw ConnectionLost(std::string("sendfile: ") + std::strerror(errno));
    }
    if (sent == 0) throw ConnectionLost("the file ended before its length");
    left -= static_cast<std::uint64_t>(sent);
  }
  return response.file_length;
}

void Connection::run() {
  set_timeout(fd_, limits_.io_timeout);
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // fails harmlessly on unix sockets
  for (;;) {
    if (!wait_for_request()) return;
    Body body;
    Request request{.method = {}, .target = {}, .path = {}, .query = {}, .version = {}, .headers = {}, .body = body, .peer = peer_};
    Clock::time_point started = Clock::now();
    try {
      read_head(request, body);
    } catch (const ProtocolError& bad) {
      Response response = Response::text(bad.status(), std::string(bad.what()) + "\n");
      if (request.method.empty()) request.method = "-";
      try {
        std::uint64_t bytes = send_response(request, response, false);
        if (log_) log_(request, response.status, bytes, std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started));
      } catch (const ConnectionLost&) {
      }
      return;
    } catch (const ConnectionLost&) {
      return;
    }

    Response response;
    bool keep_alive = request.version == "HTTP/1.1";
    if (auto connection = request.headers.get("Connection")) {
      std::string value = ascii_lower(*connection);
      if (value.find("close") != std::string::npos) keep_alive = false;
      if (value.find("keep-alive") != std::string::npos && request.version == "HTTP/1.0") keep_alive = true;
    }
    try {
      response = handler_(request);
    } catch (const ConnectionLost&) {
      // Logged as nginx does: 499, the client closed the request (or the server stopped).
      if (log_) log_(request, 499, 0, std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started));
      return;
    } catch (const ProtocolError& bad) {
      response = Response::text(bad.status(), std::string(bad.what()) + "\n");
      keep_alive = false;
    } catch (const std::exception& error) {
      std::fprintf(stderr, "%s %s: %s\n", request.method.c_str(), request.path.c_str(), error.what());
      response = Response::text(500, "internal server error\n");
      keep_alive = false;
    }
    // A body left unread would be taken for the next request: close instead.
    if (!body.finished() || response.stream) keep_alive = false;
    std::uint64_t bytes = 0;
    try {
      bytes = send_response(request, response, keep_alive);
    } catch (const ConnectionLost&) {
      keep_alive = false;
    }
    if (log_) log_(request, response.status, bytes, std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started));
    if (!keep_alive) return;
  }
}

// Body

std::size_t Body::read(char* buffer, std::size_t size) {
  if (finished_ || size == 0) return 0;
  if (expect_continue_) {
    expect_continue_ = false;
    connection_->send_continue();
  }
  if (chunked_ && !chunk_open_) {
    start_chunk();
    if (finished_) return 0;
  }
  std::size_t got = connection_->read_some(buffer, static_cast<std::size_t>(std::min<std::uint64_t>(size, remaining_)));
  if (got == 0)
    throw ConnectionLost(fmt::format("the client closed the connection after {} bytes of the request body", consumed_));
  remaining_ -= got;
  consumed_ += got;
  if (remaining_ == 0) {
    if (chunked_) {
      if (!connection_->read_line(2).empty()) throw ProtocolError("chunk data longer than its size");
      chunk_open_ = false;
    } else {
      finished_ = true;
    }
  }
  return got;
}

void Body::start_chunk() {
  std::string line = connection_->read_line(1024);
  std::string_view size_text = trim(std::string_view(line).substr(0, line.find(';')));
  if (size_text.empty() || size_text.size() > 15) throw ProtocolError("malformed chunk size");
  std::uint64_t size = 0;
  for (char c : size_text) {
    int digit = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                : (c >= 'a' && c <= 'f')                    ? c - 'a' + 10
                : (c >= 'A' && c <= 'F')                    ? c - 'A' + 10
                                                            : -1;
    if (digit < 0) throw ProtocolError("malformed chunk size");
    size = size * 16 + static_cast<std::uint64_t>(digit);
  }
  if (size == 0) {
    // The trailer: fields we ignore, up to an empty line.
    for (int fields = 0;; ++fields) {
      if (fields > 100) throw ProtocolError("chunked trailer too long");
      if (connection_->read_line(8192).empty()) break;
    }
    finished_ = true;
    return;
  }
  remaining_ = size;
  chunk_open_ = true;
}

std::optional<std::string> Body::read_all(std::size_t limit) {
  std::string data;
  char buffer[64 * 1024];
  for (;;) {
    std::size_t got = read(buffer, sizeof buffer);
    if (got == 0) return data;
    if (data.size() + got > limit) return std::nullopt;
    data.append(buffer, got);
  }
}

// Headers, Request, Response

std::optional<std::string> Headers::get(std::string_view name) const {
  for (const auto& [key, value] : fields_)
    if (equals_ignoring_case(key, name)) return value;
  return std::nullopt;
}

void Headers::set(std::string name, std::string value) {
  std::erase_if(fields_, [&](const auto& field) { return equals_ignoring_case(field.first, name); });
  add(std::move(name), std::move(value));
}

std::optional<std::string> Request::query_param(std::string_view name) const {
  std::string_view rest = query;
  while (!rest.empty()) {
    std::size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest.remove_prefix(amp == std::string_view::npos ? rest.size() : amp + 1);
    std::size_t equals = pair.find('=');
    std::string_view key = pair.substr(0, equals);
    if (key != name) continue;
    std::string value(equals == std::string_view::npos ? "" : pair.substr(equals + 1));
    std::replace(value.begin(), value.end(), '+', ' ');  // form encoding: '+' is a space
    return percent_decode(value).value_or("");
  }
  return std::nullopt;
}

Response Response::text(int status, std::string body, std::string content_type) {
  Response response;
  response.status = status;
  response.headers.add("Content-Type", std::move(content_type));
  response.body = std::move(body);
  return response;
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    auto hex = [](char c) {
      return std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
             : (c >= 'a' && c <= 'f')                    ? c - 'a' + 10
             : (c >= 'A' && c <= 'F')                    ? c - 'A' + 10
                                                         : -1;
    };
    int high = hex(text[i + 1]);
    int low = hex(text[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "UPGRADED";  // docker's words for its hijacked attach
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

// Listening and serving

Listener listen_on(const std::string& address) {
  Listener listener;
  if (address.starts_with("unix:")) {
    std::string path = address.substr(5);
    sockaddr_un un{};
    un.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof un.sun_path) throw Error("--addr " + address + ": the socket path is empty or too long");
    std::memcpy(un.sun_path, path.data(), path.size());
    listener.fd = UniqueFd(check(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket", address));
    struct stat info {};
    if (lstat(path.c_str(), &info) == 0 && S_ISSOCK(info.st_mode)) unlink(path.c_str());  // a stale socket
    check(bind(listener.fd.get(), reinterpret_cast<sockaddr*>(&un), sizeof un), "bind", path);
    check(listen(listener.fd.get(), 512), "listen", path);
    listener.address = address;
    return listener;
  }

  std::size_t colon = address.rfind(':');
  if (colon == std::string::npos) throw Error("--addr " + address + ": expected HOST:PORT or unix:PATH");
  std::string host = address.substr(0, colon);
  std::optional<std::uint64_t> port = parse_decimal(address.substr(colon + 1));
  if (!port || *port > 65535) throw Error("--addr " + address + ": the port is not a number from 0 to 65535");
  if (host == "localhost") host = "127.0.0.1";
  sockaddr_storage storage{};
  socklen_t length = 0;
  bool v6 = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (v6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(static_cast<std::uint16_t>(*port));
    if (inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &in6->sin6_addr) != 1)
      throw Error("--addr " + address + ": not an IPv6 address");
    length = sizeof(sockaddr_in6);
  } else {
    auto* in = reinterpret_cast<sockaddr_in*>(&storage);
    in->sin_family = AF_INET;
    in->sin_port = htons(static_cast<std::uint16_t>(*port));
    if (host.empty()) host = "0.0.0.0";
    if (inet_pton(AF_INET, host.c_str(), &in->sin_addr) != 1)
      throw Error("--addr " + address + ": the host is not an IPv4 address (or [IPv6], or localhost)");
    length = sizeof(sockaddr_in);
  }
  listener.fd = UniqueFd(check(socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket", address));
  int one = 1;
  setsockopt(listener.fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  check(bind(listener.fd.get(), reinterpret_cast<sockaddr*>(&storage), length), "bind", address);
  check(listen(listener.fd.get(), 512), "listen", address);
  check(getsockname(listener.fd.get(), reinterpret_cast<sockaddr*>(&storage), &length), "getsockname", address);
  std::uint16_t bound = storage.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port)
                                                      : ntohs(reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
  listener.address = fmt::format("{}:{}", host, bound);
  return listener;
}

void serve(Listener& listener, const Handler& handler, int stop_fd, const AccessLog& log, Limits limits) {
  // A client that goes away while we write must not kill the server.
  std::signal(SIGPIPE, SIG_IGN);
  struct Worker {
    std::mutex mutex;  // guards fd: the thread closes it, the stopper shuts it down
    int fd = -1;
    std::thread thread;
    std::atomic<bool> done{false};
  };
  std::list<Worker> workers;
  auto reap = [&workers] {
    for (auto it = workers.begin(); it != workers.end();) {
      if (it->done) {
        it->thread.join();
        it = workers.erase(it);
      } else {
        ++it;
      }
    }
  };

  for (;;) {
    pollfd fds[2] = {{listener.fd.get(), POLLIN, 0}, {stop_fd, POLLIN, 0}};
    int ready = poll(fds, 2, 1000);
    if (ready < 0 && errno != EINTR) throw_sys("poll", listener.address);
    if (fds[1].revents & POLLIN) break;
    reap();
    if (!(fds[0].revents & POLLIN)) continue;
    int client = accept4(listener.fd.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));  // out of descriptors: let some close
      continue;
    }
    Worker& worker = workers.emplace_back();
    worker.fd = client;
    worker.thread = std::thread([&worker, &handler, &log, &limits, stop_fd, client] {
      try {
        Connection connection(client, peer_name(client), handler, log, limits, stop_fd);
        connection.run();
      } catch (const std::exception& error) {
        std::fprintf(stderr, "connection: %s\n", error.what());
      }
      linger_and_close(client);
      {
        std::lock_guard lock(worker.mutex);
        worker.fd = -1;
      }
      worker.done = true;
    });
  }

  listener.fd.reset();
  if (listener.address.starts_with("unix:")) unlink(listener.address.c_str() + 5);
  // Requests in progress get a few seconds to finish; then their sockets are shut.
  Clock::time_point deadline = Clock::now() + std::chrono::seconds(3);
  while (Clock::now() < deadline &&
         std::any_of(workers.begin(), workers.end(), [](const Worker& worker) { return !worker.done; }))
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  for (Worker& worker : workers) {
    std::lock_guard lock(worker.mutex);
    if (worker.fd >= 0) shutdown(worker.fd, SHUT_RDWR);
  }
  for (Worker& worker : workers) worker.thread.join();
}

void serve_connection(int fd, const Handler& handler, const AccessLog& log, Limits limits, int stop_fd) {
  Connection connection(fd, peer_name(fd), handler, log, limits, stop_fd);
  connection.run();
}

}  // namespace dockling::ch12::http
