#include "http_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "dockling/fd.hpp"

namespace dockling::ch14 {

namespace {

/// The address without docker's scheme: {"unix", PATH} or {"tcp", HOST:PORT}.
std::pair<std::string, std::string> split_address(const std::string& address) {
  if (address.rfind("unix://", 0) == 0) return {"unix", address.substr(7)};
  if (address.rfind("unix:", 0) == 0) return {"unix", address.substr(5)};
  if (address.rfind("tcp://", 0) == 0) return {"tcp", address.substr(6)};
  if (address.rfind("http://", 0) == 0) return {"tcp", address.substr(7)};
  return {"tcp", address};
}

/// Waits until `fd` is ready for `events`; false after `timeout` (0: wait for ever).
bool wait_ready(int fd, short events, std::chrono::milliseconds timeout) {
  pollfd entry{fd, events, 0};
  int wait = timeout.count() > 0 ? static_cast<int>(timeout.count()) : -1;
  for (;;) {
    int ready = ::poll(&entry, 1, wait);
    if (ready > 0) return true;
    if (ready == 0) return false;
    if (errno != EINTR) return false;
  }
}

UniqueFd connect_to(const std::string& address, std::chrono::milliseconds timeout) {
  auto [scheme, where] = split_address(address);
  if (scheme == "unix") {
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    if (where.size() >= sizeof(sun.sun_path)) throw HttpUnreachable(fmt::format("{}: socket path too long", address));
    std::memcpy(sun.sun_path, where.c_str(), where.size() + 1);
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) throw HttpUnreachable(fmt::format("socket: {}", std::strerror(errno)));
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&sun), sizeof(sun)) != 0)
      throw HttpUnreachable(fmt::format("cannot connect to {}: {}", address, std::strerror(errno)));
    return fd;
  }
  std::size_t colon = where.rfind(':');
  if (colon == std::string::npos) throw HttpUnreachable(fmt::format("{}: expected HOST:PORT", address));
  std::string host = where.substr(0, colon);
  if (host == "localhost") host = "127.0.0.1";
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  int port = 0;
  try {
    port = std::stoi(where.substr(colon + 1));
  } catch (const std::exception&) {
    port = 0;
  }
  if (port <= 0 || port > 65535 || ::inet_pton(AF_INET, host.c_str(), &sin.sin_addr) != 1)
    throw HttpUnreachable(fmt::format("{}: expected an IPv4 address and a port", address));
  sin.sin_port = htons(static_cast<std::uint16_t>(port));
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) throw HttpUnreachable(fmt::format("socket: {}", std::strerror(errno)));
  int one = 1;
  ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&sin), sizeof(sin)) != 0) {
    if (errno != EINPROGRESS) throw HttpUnreachable(fmt::format("cannot connect to {}: {}", address, std::strerror(errno)));
    if (!wait_ready(fd.get(), POLLOUT, timeout.count() > 0 ? timeout : std::chrono::milliseconds(5000)))
      throw HttpUnreachable(fmt::format("cannot connect to {}: timed out", address));
    int error = 0;
    socklen_t length = sizeof(error);
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) throw HttpUnreachable(fmt::format("cannot connect to {}: {}", address, std::strerror(error)));
  }
  ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
  return fd;
}

/// Reads the answer of one connection, a buffer at a time.
class AnswerReader {
 public:
  AnswerReader(int fd, std::string address, std::chrono::milliseconds timeout, std::function<bool()> cancelled)
      : fd_(fd), address_(std::move(address)), timeout_(timeout), cancelled_(std::move(cancelled)) {}

  /// More bytes into the buffer; false at the end of the stream (or when cancelled).
  bool fill() {
    if (cancelled_) {
      auto deadline = std::chrono::steady_clock::now() + timeout_;
      while (!wait_ready(fd_, POLLIN, std::chrono::milliseconds(200))) {
        if (cancelled_()) return false;
        if (timeout_.count() > 0 && std::chrono::steady_clock::now() > deadline)
          throw HttpUnreachable(fmt::format("{}: no answer in time", address_));
      }
    } else if (!wait_ready(fd_, POLLIN, timeout_)) {
      throw HttpUnreachable(fmt::format("{}: no answer in time", address_));
    }
    char chunk[16384];
    for (;;) {
      ssize_t got = ::read(fd_, chunk, sizeof(chunk));
      if (got > 0) {
        buffer_.append(chunk, static_cast<std::size_t>(got));
        return true;
      }
      if (got == 0) return false;
      if (errno == EINTR) continue;
      if (errno == ECONNRESET) return false;
      throw HttpUnreachable(fmt::format("{}: {}", address_, std::strerror(errno)));
    }
  }

  /// One line ending in CRLF, without it.
  std::string line() {
    for (;;) {
      std::size_t end = buffer_.find("\r\n");
      if (end != std::string::npos) {
        std::string text = buffer_.substr(0, end);
        buffer_.erase(0, end + 2);
        return text;
      }
      if (!fill()) throw HttpUnreachable(fmt::format("{}: the answer was cut short", address_));
    }
  }

  /// Hands exactly `count` bytes to `sink` (all of them when `count` is npos: up to the end).
  bool pass(std::size_t count, const std::function<bool(std::string_view)>& sink) {
    while (count > 0) {
      if (buffer_.empty() && !fill()) {
        if (count == std::string::npos) return true;
        throw HttpUnreachable(fmt::format("{}: the answer was cut short", address_));
      }
      std::size_t take = std::min(count, buffer_.size());
      bool more = sink(std::string_view(buffer_).substr(0, take));
      buffer_.erase(0, take);
      if (count != std::string::npos) count -= take;
      if (!more) return false;
    }
    return true;
  }

 private:
  int fd_;
  std::string address_;
  std::chrono::milliseconds timeout_;
  std::function<bool()> cancelled_;
  std::string buffer_;
};

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

HttpAnswer exchange(const HttpEndpoint& endpoint, const HttpCall& call,
                    const std::function<bool(std::string_view)>& on_data) {
  UniqueFd fd = connect_to(endpoint.address, call.timeout);
  std::string host = split_address(endpoint.address).first == "unix" ? "docker" : split_address(endpoint.address).second;
  std::string head = fmt::format("{} {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: dockling\r\nConnection: close\r\n",
                                 call.method, call.target, host);
  for (const auto& [name, value] : call.headers) head += fmt::format("{}: {}\r\n", name, value);
  if (!call.body.empty() || call.method == "POST" || call.method == "PUT")
    head += fmt::format("Content-Type: {}\r\nContent-Length: {}\r\n", call.content_type, call.body.size());
  head += "\r\n";
  // send(MSG_NOSIGNAL): a server that closes early is an error here, not a SIGPIPE that
  // ends a client process which (unlike the daemon) does not ignore it.
  std::string request = head + call.body;
  for (std::size_t sent = 0; sent < request.size();) {
    ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw HttpUnreachable(fmt::format("{}: {}", endpoint.address, std::strerror(errno)));
    sent += static_cast<std::size_t>(n);
  }

  AnswerReader reader(fd.get(), endpoint.address, call.timeout, call.cancelled);
  HttpAnswer answer;
  std::string status_line = reader.line();
  if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12)
    throw HttpUnreachable(fmt::format("{}: not an HTTP answer: {}", endpoint.address, status_line.substr(0, 80)));
  answer.status = std::atoi(status_line.c_str() + 9);
  for (std::string field = reader.line(); !field.empty(); field = reader.line()) {
    std::size_t colon = field.find(':');
    if (colon == std::string::npos) continue;
    std::string value = field.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    answer.headers.emplace_back(lower(field.substr(0, colon)), value);
  }
  if (call.method == "HEAD" || answer.status == 204 || answer.status == 304 || answer.status / 100 == 1) return answer;
  if (lower(answer.header("transfer-encoding")).find("chunked") != std::string::npos) {
    for (;;) {
      std::size_t size = std::stoul(reader.line(), nullptr, 16);
      if (size == 0) break;
      if (!reader.pass(size, on_data)) return answer;
      reader.line();
    }
    return answer;
  }
  std::string length = answer.header("content-length");
  reader.pass(length.empty() ? std::string::npos : std::stoul(length), on_data);
  return answer;
}

}  // namespace

std::string HttpAnswer::header(std::string_view name) const {
  for (const auto& [field, value] : headers)
    if (field == name) return value;
  return "";
}

HttpAnswer http_call(const HttpEndpoint& endpoint, const HttpCall& call) {
  std::string body;
  HttpAnswer answer = exchange(endpoint, call, [&body](std::string_view data) {
    body.append(data);
    return true;
  });
  answer.body = std::move(body);
  return answer;
}

HttpAnswer http_stream(const HttpEndpoint& endpoint, const HttpCall& call,
                       const std::function<bool(std::string_view)>& on_data) {
  return exchange(endpoint, call, on_data);
}

std::string url_encode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

}  // namespace dockling::ch14
