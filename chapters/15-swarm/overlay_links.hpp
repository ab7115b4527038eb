/// @file overlay_links.hpp
/// @brief An overlay network's links on one host, through netlink (libnl-route-3): a bridge
/// holding the network's gateway address, and a VXLAN link on it that carries the bridge's
/// frames to the other hosts inside UDP (port 4789).
///
/// No broadcast crosses hosts, as with docker's overlay driver: the VXLAN link learns nothing
/// and floods nothing. For each task on another host the agent writes two entries on it, from
/// what the manager says: the forwarding entry (the task's MAC is behind that host, like
/// `bridge fdb add MAC dev dlvxVNI dst HOST`) and the neighbour entry (the task's IP has that
/// MAC, like `ip neigh add IP lladdr MAC dev dlvxVNI`), which the link uses to answer ARP
/// itself (its proxy mode). A task's MAC is made from its address (02:42 + the address).
#pragma once

#include <string>

namespace dockling::ch15 {

/// The names of a network's links on a host: "dlov" + VNI (the bridge), "dlvx" + VNI (VXLAN).
struct OverlayLinks {
  std::string bridge;  ///< e.g. "dlov4097"
  std::string vxlan;   ///< e.g. "dlvx4097"
};

/// The links of the network with VXLAN id `vni`.
OverlayLinks overlay_links(int vni);

/// The UDP port of VXLAN (IANA's, and docker's).
constexpr int kVxlanPort = 4789;

/// A task on another host, as this host's VXLAN link must know it.
struct OverlayPeer {
  std::string ip;    ///< its address on the network
  std::string mac;   ///< its interface's MAC
  std::string node;  ///< the address of the host it runs on
  /// Ordered field by field, so that peers sit in a std::set.
  auto operator<=>(const OverlayPeer&) const = default;
};

/// Creates the network's bridge (with `gateway_cidr`, up) and its VXLAN link (id `vni`, from
/// `local_address`, no learning, ARP proxy, on the bridge, up), each when it is missing.
/// @throws Error naming the link and the call that failed.
void ensure_overlay_links(int vni, const std::string& gateway_cidr, const std::string& local_address);

/// Gives the network's bridge a second address of its own, `cidr` (beside the gateway), and
/// the MAC `mac`: what the routing mesh forwards from, and what other hosts send the replies to
/// (they know this host's address as a peer). Again with the same values is no error.
/// @throws Error naming the bridge.
void set_bridge_own_address(int vni, const std::string& cidr, const std::string& mac);

/// Writes the forwarding and neighbour entries of `peer` on the network's VXLAN link
/// (replacing older ones for its MAC and its IP). @throws Error naming the peer.
void add_overlay_peer(int vni, const OverlayPeer& peer);

/// Deletes the entries of `peer`; what is not there is no error. Never throws.
void remove_overlay_peer(int vni, const OverlayPeer& peer) noexcept;

/// Deletes the network's two links (their entries go with them), and the NAT table and lease
/// records that chapter 04's network step keeps for the bridge. Never throws.
void remove_overlay_links(int vni) noexcept;

}  // namespace dockling::ch15
