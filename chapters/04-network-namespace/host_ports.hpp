/// @file host_ports.hpp
/// @brief -P's host ports: a free one from the kernel's ephemeral range
/// (/proc/sys/net/ipv4/ip_local_port_range), as docker's port allocator chooses, held by a
/// bound socket while the container runs so that no other run takes it meanwhile.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dockling/fd.hpp"
#include "spec.hpp"

namespace dockling::ch04 {

/// A host port chosen for -P, and the socket that holds it.
struct HeldPort {
  std::uint16_t port = 0;  ///< the host port
  UniqueFd socket;         ///< bound to 0.0.0.0:port (never listening: DNAT takes the traffic first)
};

/// The first port of the ephemeral range that no mapping in `taken` uses for `protocol` and
/// that nothing on the host is bound to; bound here, and kept so by the returned socket.
/// @param protocol "tcp" or "udp"
/// @param taken the mappings already published (other containers', and this one's)
/// @throws Error when every port of the range is taken.
HeldPort hold_free_port(const std::string& protocol, const std::vector<PortMapping>& taken);

}  // namespace dockling::ch04
