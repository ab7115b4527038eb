// Chapter 04 exercise: fill in the three functions, then grade them with
//   sudo scripts/grade 4
// Their contracts are in chapters/04-network-namespace/veth.hpp; the helpers in netlink.hpp.
// libnl's reference: https://www.infradead.org/~tgr/libnl/doc/api/group__rtnl.html
#include "veth.hpp"

#include <net/if.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

#include "dockling/error.hpp"
#include "netlink.hpp"

namespace dockling::ch04 {

void create_veth_pair(const std::string& host_end, int bridge_index, const std::string& container_end,
                      pid_t container_pid) {
  // TODO: one RTM_NEWLINK message describes both ends.
  // 1. NetlinkSocket sock;  then  LinkPtr veth(rtnl_link_veth_alloc(), rtnl_link_put);
  //    rtnl_link_veth_alloc also allocates the peer: rtnl_link_veth_get_peer(veth.get())
  //    returns it with a reference of your own (libnl's getter counts one more user):
  //    LinkPtr peer(rtnl_link_veth_get_peer(veth.get()), rtnl_link_put), or it leaks.
  // 2. The host end: rtnl_link_set_name, rtnl_link_set_master(…, bridge_index) and
  //    rtnl_link_set_flags(…, IFF_UP) — set now, they travel in the same message.
  // 3. The peer: its name (container_end) and rtnl_link_set_ns_pid(peer, container_pid): the
  //    kernel creates it directly in that process's network namespace. Why is that better
  //    than creating it here and moving it afterwards?
  // 4. check_nl(rtnl_link_add(sock.get(), veth.get(), NLM_F_CREATE | NLM_F_EXCL),
  //             "rtnl_link_add(veth)", host_end);   NLM_F_EXCL: fail if the name is taken.
  (void)host_end, (void)bridge_index, (void)container_end, (void)container_pid;
  throw NotImplemented("ch04::create_veth_pair", "exercises/04-network-namespace/veth.cpp");
}

void add_address(const std::string& interface, const std::string& cidr) {
  // TODO: RTM_NEWADDR, then IFF_UP.
  // 1. NetlinkSocket sock;  int index = link_index(sock, interface);  (0: no such interface:
  //    throw, e.g. check_nl(-NLE_OBJ_NOTFOUND, "rtnl_link_get_kernel", interface)).
  // 2. AddrPtr local = parse_nl_address(cidr);  keeps the prefix length (/16) too.
  // 3. rtnl_addr_alloc() (own it: std::unique_ptr<rtnl_addr, void (*)(rtnl_addr*)> with
  //    rtnl_addr_put), rtnl_addr_set_ifindex, rtnl_addr_set_local, then
  //    check_nl(rtnl_addr_add(sock.get(), addr, NLM_F_CREATE | NLM_F_EXCL), "rtnl_addr_add", interface).
  // 4. set_link_up(sock, interface). An interface that is down neither sends nor receives.
  (void)interface, (void)cidr;
  throw NotImplemented("ch04::add_address", "exercises/04-network-namespace/veth.cpp");
}

void add_default_route(const std::string& gateway) {
  // TODO: RTM_NEWROUTE for 0.0.0.0/0 via the gateway.
  // 1. A route: rtnl_route_alloc() (owned, rtnl_route_put); rtnl_route_set_dst with
  //    parse_nl_address("0.0.0.0/0").
  // 2. A next hop: rtnl_route_nh_alloc() (owned: rtnl_route_nh_free), rtnl_route_nh_set_gateway(hop,
  //    parsed gateway), rtnl_route_add_nexthop(route, hop.release()): the route owns it from then on.
  //    No interface needed: the kernel finds the one whose subnet holds the gateway (eth0),
  //    so add_address must have run first.
  // 3. check_nl(rtnl_route_add(sock.get(), route, NLM_F_CREATE | NLM_F_EXCL), "rtnl_route_add", gateway).
  (void)gateway;
  throw NotImplemented("ch04::add_default_route", "exercises/04-network-namespace/veth.cpp");
}

}  // namespace dockling::ch04
