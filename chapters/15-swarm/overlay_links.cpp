#include "overlay_links.hpp"

#include <linux/if_bridge.h>
#include <linux/neighbour.h>
#include <net/if.h>
#include <sys/socket.h>

#include <memory>

#include <fmt/format.h>
#include <netlink/errno.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/vxlan.h>
#include <netlink/route/neighbour.h>

#include "dockling/error.hpp"
#include "dockling/log.hpp"
#include "dockling/state.hpp"
#include "dockling/tempdir.hpp"
#include "ipam.hpp"
#include "nat.hpp"
#include "netlink.hpp"
#include "veth.hpp"

namespace dockling::ch15 {

using ch04::AddrPtr;
using ch04::check_nl;
using ch04::LinkPtr;
using ch04::NetlinkSocket;

namespace {

using NeighPtr = std::unique_ptr<rtnl_neigh, void (*)(rtnl_neigh*)>;

AddrPtr parse(const std::string& text, int family) {
  nl_addr* address = nullptr;
  check_nl(nl_addr_parse(text.c_str(), family, &address), "nl_addr_parse", text);
  return AddrPtr(address, nl_addr_put);
}

/// The forwarding entry of `peer` (`bridge fdb ... dev VXLAN dst NODE`).
NeighPtr forwarding_entry(int vxlan_index, const OverlayPeer& peer) {
  NeighPtr entry(rtnl_neigh_alloc(), rtnl_neigh_put);
  // The destination first: libnl takes the entry's family from it, and refuses an IPv4
  // destination on an AF_BRIDGE entry. The family is set over it afterwards.
  check_nl(rtnl_neigh_set_dst(entry.get(), parse(peer.node, AF_INET).get()), "rtnl_neigh_set_dst", peer.node);
  rtnl_neigh_set_family(entry.get(), AF_BRIDGE);
  rtnl_neigh_set_ifindex(entry.get(), vxlan_index);
  rtnl_neigh_set_lladdr(entry.get(), parse(peer.mac, AF_LLC).get());
  rtnl_neigh_set_flags(entry.get(), NTF_SELF);  // the VXLAN link's own table, not the bridge's
  rtnl_neigh_set_state(entry.get(), NUD_PERMANENT);
  return entry;
}

/// The neighbour entry of `peer` (`ip neigh ... IP lladdr MAC dev VXLAN`).
NeighPtr neighbour_entry(int vxlan_index, const OverlayPeer& peer) {
  NeighPtr entry(rtnl_neigh_alloc(), rtnl_neigh_put);
  check_nl(rtnl_neigh_set_dst(entry.get(), parse(peer.ip, AF_INET).get()), "rtnl_neigh_set_dst", peer.ip);
  rtnl_neigh_set_ifindex(entry.get(), vxlan_index);
  rtnl_neigh_set_lladdr(entry.get(), parse(peer.mac, AF_LLC).get());
  rtnl_neigh_set_state(entry.get(), NUD_PERMANENT);
  return entry;
}

}  // namespace

OverlayLinks overlay_links(int vni) { return {fmt::format("dlov{}", vni), fmt::format("dlvx{}", vni)}; }

void ensure_overlay_links(int vni, const std::string& gateway_cidr, const std::string& local_address) {
  OverlayLinks links = overlay_links(vni);
  NetlinkSocket sock;
  int bridge = ch04::link_index(sock, links.bridge);
  if (bridge == 0) {
    ch04::create_bridge(sock, links.bridge);
    try {
      ch04::add_address(links.bridge, gateway_cidr);
    } catch (...) {
      ch04::delete_link(sock, links.bridge);
      throw;
    }
    bridge = ch04::link_index(sock, links.bridge);
  }
  if (ch04::link_index(sock, links.vxlan) != 0) return;
  LinkPtr vxlan(rtnl_link_vxlan_alloc(), rtnl_link_put);
  rtnl_link_set_name(vxlan.get(), links.vxlan.c_str());
  check_nl(rtnl_link_vxlan_set_id(vxlan.get(), static_cast<std::uint32_t>(vni)), "rtnl_link_vxlan_set_id", links.vxlan);
  check_nl(rtnl_link_vxlan_set_local(vxlan.get(), parse(local_address, AF_INET).get()), "rtnl_link_vxlan_set_local",
           local_address);
  check_nl(rtnl_link_vxlan_set_port(vxlan.get(), kVxlanPort), "rtnl_link_vxlan_set_port", links.vxlan);
  check_nl(rtnl_link_vxlan_set_learning(vxlan.get(), 0), "rtnl_link_vxlan_set_learning", links.vxlan);
  check_nl(rtnl_link_vxlan_set_proxy(vxlan.get(), 1), "rtnl_link_vxlan_set_proxy", links.vxlan);
  // The containers' links keep 1500 bytes: the encapsulated packets (50 bytes more) are
  // fragmented on the way between hosts rather than dropped.
  rtnl_link_set_mtu(vxlan.get(), 1500);
  rtnl_link_set_master(vxlan.get(), bridge);
  rtnl_link_set_flags(vxlan.get(), IFF_UP);
  check_nl(rtnl_link_add(sock.get(), vxlan.get(), NLM_F_CREATE | NLM_F_EXCL), "rtnl_link_add(vxlan)", links.vxlan);
  log::info("overlay: {} and {} (VXLAN id {}, from {})", links.bridge, links.vxlan, vni, local_address);
}

void set_bridge_own_address(int vni, const std::string& cidr, const std::string& mac) {
  OverlayLinks links = overlay_links(vni);
  NetlinkSocket sock;
  int index = ch04::link_index(sock, links.bridge);
  if (index == 0) throw Error(fmt::format("overlay: no link {}", links.bridge));
  std::unique_ptr<rtnl_addr, void (*)(rtnl_addr*)> address(rtnl_addr_alloc(), rtnl_addr_put);
  rtnl_addr_set_ifindex(address.get(), index);
  rtnl_addr_set_local(address.get(), ch04::parse_nl_address(cidr).get());
  check_nl(rtnl_addr_add(sock.get(), address.get(), NLM_F_CREATE | NLM_F_REPLACE), "rtnl_addr_add", links.bridge);
  ch04::set_link_mac(sock, links.bridge, mac);
}

void add_overlay_peer(int vni, const OverlayPeer& peer) {
  OverlayLinks links = overlay_links(vni);
  NetlinkSocket sock;
  int index = ch04::link_index(sock, links.vxlan);
  if (index == 0) throw Error(fmt::format("overlay peer {}: no link {}", peer.ip, links.vxlan));
  check_nl(rtnl_neigh_add(sock.get(), forwarding_entry(index, peer).get(), NLM_F_CREATE | NLM_F_REPLACE),
           "rtnl_neigh_add(fdb)", fmt::format("{} dst {}", peer.mac, peer.node));
  check_nl(rtnl_neigh_add(sock.get(), neighbour_entry(index, peer).get(), NLM_F_CREATE | NLM_F_REPLACE),
           "rtnl_neigh_add", fmt::format("{} lladdr {}", peer.ip, peer.mac));
}

void remove_overlay_peer(int vni, const OverlayPeer& peer) noexcept {
  try {
    NetlinkSocket sock;
    int index = ch04::link_index(sock, overlay_links(vni).vxlan);
    if (index == 0) return;
    rtnl_neigh_delete(sock.get(), neighbour_entry(index, peer).get(), 0);
    rtnl_neigh_delete(sock.get(), forwarding_entry(index, peer).get(), 0);
  } catch (const std::exception& e) {
    log::warning("overlay: cannot forget peer {}: {}", peer.ip, e.what());
  }
}

void remove_overlay_links(int vni) noexcept {
  try {
    OverlayLinks links = overlay_links(vni);
    NetlinkSocket sock;
    ch04::delete_link(sock, links.vxlan);
    ch04::delete_link(sock, links.bridge);
    // What chapter 04's step made for the bridge when the first task joined it.
    ch04::Nftables nft;
    ch04::delete_nat_table(nft, links.bridge);
    remove_tree(ch04::NetworkState(StateRoot::host_run_dir(), links.bridge).dir());
  } catch (const std::exception& e) {
    log::warning("overlay: cannot delete the links of VXLAN id {}: {}", vni, e.what());
  }
}

}  // namespace dockling::ch15
