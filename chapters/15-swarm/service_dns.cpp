#include "service_dns.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "dockling/log.hpp"

namespace dockling::ch15 {

namespace {

constexpr int kDnsPort = 53;
constexpr std::uint16_t kTypeA = 1, kTypeAny = 255, kClassIn = 1;
constexpr std::uint8_t kNoError = 0, kNameError = 3, kNotImplemented = 4;

std::uint16_t u16(const std::string& data, std::size_t at) {
  return static_cast<std::uint16_t>(static_cast<unsigned char>(data[at]) << 8 | static_cast<unsigned char>(data[at + 1]));
}

void put16(std::string& out, std::uint16_t value) {
  out += static_cast<char>(value >> 8);
  out += static_cast<char>(value & 0xff);
}

}  // namespace

std::string dns_answer(const std::string& query, const DnsNames& names) {
  constexpr std::size_t kHeader = 12;
  if (query.size() < kHeader) return {};
  auto flags = static_cast<unsigned char>(query[2]);
  if ((flags & 0x80) != 0 || u16(query, 4) != 1) return {};  // a response, or not one question
  // The question's name: labels up to the empty one (a query has no compression pointers).
  std::string name;
  std::size_t at = kHeader;
  for (;;) {
    if (at >= query.size()) return {};
    auto length = static_cast<unsigned char>(query[at++]);
    if (length == 0) break;
    if (length > 63 || at + length > query.size() || name.size() + length > 253) return {};
    if (!name.empty()) name += '.';
    for (std::size_t i = 0; i < length; ++i)
      name += static_cast<char>(std::tolower(static_cast<unsigned char>(query[at + i])));
    at += length;
  }
  if (at + 4 > query.size()) return {};
  std::uint16_t type = u16(query, at), klass = u16(query, at + 2);
  std::size_t question_end = at + 4;

  std::vector<std::string> addresses;
  std::uint8_t code = kNoError;
  int opcode = (flags >> 3) & 0x0f;
  if (opcode != 0) {
    code = kNotImplemented;
  } else if (auto found = names.find(name); found == names.end()) {
    code = kNameError;
  } else if (klass == kClassIn && (type == kTypeA || type == kTypeAny)) {
    addresses = found->second;
    // What fits one UDP message of 512 bytes (16 bytes a record after the question).
    std::size_t room = (512 - question_end) / 16;
    if (addresses.size() > room) addresses.resize(room);
  }
  std::string answer = query.substr(0, 2);                            // the id
  answer += static_cast<char>(0x80 | (flags & 0x78) | 0x04 | (flags & 0x01));  // QR, opcode, AA, RD
  answer += static_cast<char>(0x80 | code);                            // RA, the code
  put16(answer, 1);
  put16(answer, static_cast<std::uint16_t>(addresses.size()));
  put16(answer, 0);
  put16(answer, 0);
  answer += query.substr(kHeader, question_end - kHeader);
  for (const auto& address : addresses) {
    in_addr bytes{};
    if (::inet_pton(AF_INET, address.c_str(), &bytes) != 1) continue;
    put16(answer, 0xc000 | kHeader);  // the name: a pointer to the question's
    put16(answer, kTypeA);
    put16(answer, kClassIn);
    put16(answer, 0);  // TTL 0: tasks come and go, ask again every time
    put16(answer, 0);
    put16(answer, 4);
    answer.append(reinterpret_cast<const char*>(&bytes), 4);
  }
  return answer;
}

ServiceDns::ServiceDns() : wake_(check(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), "eventfd")) {
  thread_ = std::thread([this] { loop(); });
}

ServiceDns::~ServiceDns() {
  stopping_ = true;
  std::uint64_t one = 1;
  [[maybe_unused]] ssize_t written = ::write(wake_.get(), &one, sizeof one);
  if (thread_.joinable()) thread_.join();
}

void ServiceDns::serve(const std::string& address, DnsNames names) {
  std::lock_guard lock(mutex_);
  auto zone = zones_.find(address);
  if (zone == zones_.end()) {
    sockaddr_in where{};
    where.sin_family = AF_INET;
    where.sin_port = htons(kDnsPort);
    if (::inet_pton(AF_INET, address.c_str(), &where.sin_addr) != 1)
      throw Error(fmt::format("DNS: \"{}\" is not an IPv4 address", address));
    UniqueFd socket(check(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), "socket", "udp"));
    int yes = 1;
    ::setsockopt(socket.get(), SOL_IP, IP_FREEBIND, &yes, sizeof yes);
    std::string endpoint = fmt::format("{}:{}", address, kDnsPort);
    check(::bind(socket.get(), reinterpret_cast<sockaddr*>(&where), sizeof where), "bind", endpoint);
    zone = zones_.emplace(address, Zone{std::move(socket), {}}).first;
    std::uint64_t one = 1;
    [[maybe_unused]] ssize_t written = ::write(wake_.get(), &one, sizeof one);
  }
  zone->second.names = std::move(names);
}

void ServiceDns::forget(const std::string& address) {
  std::lock_guard lock(mutex_);
  zones_.erase(address);
  std::uint64_t one = 1;
  [[maybe_unused]] ssize_t written = ::write(wake_.get(), &one, sizeof one);
}

void ServiceDns::loop() {
  while (!stopping_) {
    std::vector<pollfd> watched = {{wake_.get(), POLLIN, 0}};
    {
      std::lock_guard lock(mutex_);
      for (const auto& [address, zone] : zones_) watched.push_back({zone.socket.get(), POLLIN, 0});
    }
    if (::poll(watched.data(), watched.size(), -1) < 0) continue;
    if (watched[0].revents != 0) {
      std::uint64_t count = 0;
      [[maybe_unused]] ssize_t got = ::read(wake_.get(), &count, sizeof count);
    }
    std::lock_guard lock(mutex_);
    for (std::size_t i = 1; i < watched.size(); ++i) {
      if ((watched[i].revents & POLLIN) == 0) continue;
      // Only a socket still served: forget() may have closed this one since the poll.
      auto zone = std::find_if(zones_.begin(), zones_.end(),
                               [&](const auto& entry) { return entry.second.socket.get() == watched[i].fd; });
      if (zone == zones_.end()) continue;
      char buffer[512];  // RFC 1035's limit for UDP messages
      sockaddr_in from{};
      socklen_t from_size = sizeof from;
      ssize_t n = ::recvfrom(watched[i].fd, buffer, sizeof buffer, 0, reinterpret_cast<sockaddr*>(&from), &from_size);
      if (n <= 0) continue;
      std::string answer = dns_answer(std::string(buffer, static_cast<std::size_t>(n)), zone->second.names);
      if (answer.empty() || answer.size() > sizeof buffer) continue;
      ::sendto(watched[i].fd, answer.data(), answer.size(), 0, reinterpret_cast<sockaddr*>(&from), from_size);
    }
  }
}

}  // namespace dockling::ch15
