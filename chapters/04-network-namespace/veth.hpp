/// @file veth.hpp
/// @brief A veth pair between the host and the container, and an address and a route, all
/// through netlink (libnl-route-3), with the helpers of netlink.hpp.
#pragma once

#include <sys/types.h>

#include <string>

namespace dockling::ch04 {

/// Creates a veth pair with ONE netlink message (RTM_NEWLINK), in this process's
/// (the host's) network namespace:
///   - the end `host_end` stays here, is enslaved to the bridge with index `bridge_index`
///     and is up;
///   - its peer is created directly inside the network namespace of process
///     `container_pid` (IFLA_NET_NS_PID), under the name `container_end` (e.g. "eth0").
///
/// Like `ip link add HOST_END master BRIDGE up type veth peer name eth0 netns PID`.
/// @throws Error naming the call and host_end when the kernel refuses (e.g. name taken).
void create_veth_pair(const std::string& host_end, int bridge_index, const std::string& container_end,
                      pid_t container_pid);

/// Gives `interface` (in the calling thread's network namespace) the address
/// `cidr`, e.g. "10.201.0.2/16", and brings it up, like
/// `ip address add CIDR dev INTERFACE && ip link set INTERFACE up`.
/// Used for the container's eth0 and for the bridge's gateway address.
/// @throws Error naming the call and the interface.
void add_address(const std::string& interface, const std::string& cidr);

/// Adds the default route via `gateway` (e.g. "10.201.0.1") in the calling
/// thread's network namespace, like `ip route add default via GATEWAY`.
/// @throws Error naming the call and the gateway.
void add_default_route(const std::string& gateway);

}  // namespace dockling::ch04
