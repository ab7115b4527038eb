#include "registry_curl.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ostream>

#include "dockling/fd.hpp"
#include "dockling/testing.hpp"

namespace dockling::ch12 {

std::optional<std::string> CurlAnswer::header(const std::string& name) const {
  std::string lower_name;
  for (char c : name) lower_name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::size_t at = 0;
  while (at < headers.size()) {
    std::size_t end = headers.find("\r\n", at);
    if (end == std::string::npos) end = headers.size();
    std::string line = headers.substr(at, end - at);
    at = end + 2;
    std::size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key;
    for (char c : line.substr(0, colon)) key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (key != lower_name) continue;
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    return value;
  }
  return std::nullopt;
}

nlohmann::json CurlAnswer::json() const {
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, false);
  return parsed.is_discarded() ? nlohmann::json() : parsed;
}

std::string CurlAnswer::error_code() const {
  nlohmann::json parsed = json();
  if (!parsed.is_object() || !parsed.contains("errors") || !parsed["errors"].is_array() || parsed["errors"].empty())
    return "";
  return parsed["errors"][0].value("code", "");
}

std::ostream& operator<<(std::ostream& os, const CurlAnswer& answer) {
  return os << "curl exit " << answer.exit_code << ", status " << answer.status << "\n"
            << answer.headers << "\n" << answer.body.substr(0, 2000) << "\n" << answer.stderr_text;
}

CurlAnswer curl(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"/usr/bin/curl", "-s", "-S", "-i", "--path-as-is", "--max-time", "20"};
  argv.insert(argv.end(), args.begin(), args.end());
  testing::RunResult result = testing::run(argv);
  CurlAnswer answer;
  answer.exit_code = result.exit_code;
  answer.stderr_text = result.err;
  std::string rest = result.out;
  // Interim answers (100 Continue) come first, each with its own blank line.
  for (;;) {
    std::size_t end = rest.find("\r\n\r\n");
    if (end == std::string::npos) {
      answer.headers = rest;
      return answer;
    }
    std::string block = rest.substr(0, end);
    rest = rest.substr(end + 4);
    if (block.size() > 12 && block.compare(0, 5, "HTTP/") == 0) answer.status = std::stoi(block.substr(block.find(' ') + 1, 3));
    if (answer.status >= 200 || answer.status == 0) {
      answer.headers = block;
      answer.body = rest;
      return answer;
    }
  }
}

std::string raw_exchange(const std::string& address, const std::string& bytes) {
  std::size_t colon = address.rfind(':');
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(static_cast<uint16_t>(std::stoi(address.substr(colon + 1))));
  inet_pton(AF_INET, address.substr(0, colon).c_str(), &in.sin_addr);
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd || connect(fd.get(), reinterpret_cast<sockaddr*>(&in), sizeof in) != 0) return "(connect failed)";
  if (send(fd.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL) < 0) return "(send failed)";
  std::string answer;
  char buffer[4096];
  for (;;) {
    pollfd ready{fd.get(), POLLIN, 0};
    if (poll(&ready, 1, 5000) <= 0) return answer + "(timed out)";
    ssize_t got = recv(fd.get(), buffer, sizeof buffer, 0);
    if (got <= 0) return answer;
    answer.append(buffer, static_cast<std::size_t>(got));
  }
}

}  // namespace dockling::ch12
