#include "api_response.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

#include <fmt/format.h>

namespace dockling::ch14 {

namespace http = ch12::http;
using json = nlohmann::json;

http::Response json_response(int status, const json& body) {
  return http::Response::text(status, body.dump() + "\n", "application/json");
}

http::Response json_response(int status, const nlohmann::ordered_json& body) {
  return http::Response::text(status, body.dump(-1, ' ', false, json::error_handler_t::replace) + "\n",
                              "application/json");
}

http::Response empty_response(int status) {
  http::Response response;
  response.status = status;
  return response;
}

bool query_flag(const http::Request& request, std::string_view name) {
  auto value = request.query_param(name);
  return value && (*value == "1" || *value == "true" || *value == "True");
}

json json_body(http::Request& request, std::size_t limit) {
  auto body = request.body.read_all(limit);
  if (!body) throw ApiError(413, fmt::format("the request's body is larger than {} bytes", limit));
  try {
    return json::parse(body->empty() ? "{}" : *body);
  } catch (const json::exception& e) {
    throw ApiError(400, fmt::format("invalid JSON: {}", e.what()));
  }
}

bool peer_gone(int fd, bool half_close) {
  pollfd entry{fd, static_cast<short>(half_close ? POLLRDHUP : 0), 0};
  return ::poll(&entry, 1, 0) > 0 && (entry.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

bool send_text(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::send(fd, text.data(), text.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    text.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace dockling::ch14
