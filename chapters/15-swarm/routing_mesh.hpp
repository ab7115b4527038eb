/// @file routing_mesh.hpp
/// @brief The routing mesh on one host: a published port (`service create -p 8080:80`)
/// answers on every host of the swarm, also on one that runs none of the service's tasks.
///
/// Every host is on the ingress network (10.0.0.0/24, VXLAN id 4096) with an address of its
/// own there, and keeps one nftables table, `table ip dockling_mesh`:
///
///     prerouting, output: to a local address (127.0.0.1 too), by published port:
///       tcp dport 8080 dnat to numgen random mod 2 map { 0 : 10.0.0.3, 1 : 10.0.0.4 } : 80
///     postrouting: what goes into the ingress bridge from elsewhere leaves from this host's
///       own address there (snat to 10.0.0.2), so that the task's reply comes back here,
///       over VXLAN, to be translated back.
///     input: no new connection from the bridge to 127.0.0.0/8 (the bridge's route_localnet,
///       which lets 127.0.0.1:8080 through, would let tasks reach the host's loopback services).
///
/// Each new connection goes to one running task, picked at random (docker's IPVS picks round
/// robin); later packets of the connection follow it (conntrack). A port with no running task
/// has no rule: the host refuses the connection.
#pragma once

#include <string>
#include <vector>

namespace dockling::ch15 {

/// The nftables table of the routing mesh.
constexpr const char* kMeshTable = "dockling_mesh";

/// A published port and the tasks behind it.
struct MeshPort {
  std::string protocol;               ///< "tcp" or "udp"
  int published = 0;                  ///< the port on every host
  int target = 0;                     ///< the port in the task
  std::vector<std::string> backends;  ///< the running tasks' ingress addresses
};

/// The table's text (nft syntax) for `ports` on the ingress bridge `bridge`, whose subnet is
/// `subnet` ("10.0.0.0/24") and where this host's address is `own_address` ("10.0.0.2").
std::string mesh_table(const std::string& bridge, const std::string& subnet, const std::string& own_address,
                       const std::vector<MeshPort>& ports);

/// Replaces the table with `table` (mesh_table's text), in one nftables batch.
/// @throws Error with nftables' message.
void apply_mesh(const std::string& table);

/// Deletes the table, if there is one. Never throws.
void remove_mesh() noexcept;

}  // namespace dockling::ch15
