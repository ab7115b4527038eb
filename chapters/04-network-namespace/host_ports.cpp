#include "host_ports.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <fstream>

#include <fmt/format.h>

#include "dockling/error.hpp"

namespace dockling::ch04 {

namespace {

/// The kernel's ephemeral range; docker's fallback, 49153-65535, when it cannot be read.
std::pair<unsigned, unsigned> ephemeral_range() {
  std::ifstream file("/proc/sys/net/ipv4/ip_local_port_range");
  unsigned first = 0, last = 0;
  if (file >> first >> last && first > 0 && first <= last && last <= 65535) return {first, last};
  return {49153, 65535};
}

/// A socket bound to 0.0.0.0:port, or an empty fd when the port is in use.
UniqueFd bind_port(const std::string& protocol, std::uint16_t port) {
  int type = protocol == "udp" ? SOCK_DGRAM : SOCK_STREAM;
  UniqueFd fd(check(::socket(AF_INET, type | SOCK_CLOEXEC, 0), "socket", protocol));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_ANY);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) return fd;
  if (errno == EADDRINUSE || errno == EACCES) return {};
  throw SysError("bind", fmt::format("0.0.0.0:{}/{}", port, protocol), errno);
}

}  // namespace

HeldPort hold_free_port(const std::string& protocol, const std::vector<PortMapping>& taken) {
  auto [first, last] = ephemeral_range();
  for (unsigned port = first; port <= last; ++port) {
    bool published = std::any_of(taken.begin(), taken.end(), [&](const PortMapping& mapping) {
      return mapping.protocol == protocol && mapping.host_port == port;
    });
    if (published) continue;
    if (UniqueFd fd = bind_port(protocol, static_cast<std::uint16_t>(port)))
      return HeldPort{static_cast<std::uint16_t>(port), std::move(fd)};
  }
  throw Error(fmt::format("-P: no free host port for {} in {}-{}", protocol, first, last));
}

}  // namespace dockling::ch04
