#include "veth.hpp"

#include <net/if.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

#include "netlink.hpp"

namespace dockling::ch04 {

void create_veth_pair(const std::string& host_end, int bridge_index, const std::string& container_end,
                      pid_t container_pid) {
  NetlinkSocket sock;
  LinkPtr veth(rtnl_link_veth_alloc(), rtnl_link_put);  // also allocates the peer
  rtnl_link_set_name(veth.get(), host_end.c_str());
  rtnl_link_set_master(veth.get(), bridge_index);
  rtnl_link_set_flags(veth.get(), IFF_UP);
  LinkPtr peer(rtnl_link_veth_get_peer(veth.get()), rtnl_link_put);  // a reference of our own
  rtnl_link_set_name(peer.get(), container_end.c_str());
  rtnl_link_set_ns_pid(peer.get(), container_pid);
  check_nl(rtnl_link_add(sock.get(), veth.get(), NLM_F_CREATE | NLM_F_EXCL), "rtnl_link_add(veth)", host_end);
}

void add_address(const std::string& interface, const std::string& cidr) {
  NetlinkSocket sock;
  int index = link_index(sock, interface);
  if (index == 0) check_nl(-NLE_OBJ_NOTFOUND, "rtnl_link_get_kernel", interface);
  AddrPtr local = parse_nl_address(cidr);
  std::unique_ptr<rtnl_addr, void (*)(rtnl_addr*)> address(rtnl_addr_alloc(), rtnl_addr_put);
  rtnl_addr_set_ifindex(address.get(), index);
  rtnl_addr_set_local(address.get(), local.get());  // the prefix length comes with it
  check_nl(rtnl_addr_add(sock.get(), address.get(), NLM_F_CREATE | NLM_F_EXCL), "rtnl_addr_add", interface);
  set_link_up(sock, interface);
}

void add_default_route(const std::string& gateway) {
  NetlinkSocket sock;
  std::unique_ptr<rtnl_route, void (*)(rtnl_route*)> route(rtnl_route_alloc(), rtnl_route_put);
  AddrPtr any = parse_nl_address("0.0.0.0/0");
  AddrPtr via = parse_nl_address(gateway);
  rtnl_route_set_dst(route.get(), any.get());
  std::unique_ptr<rtnl_nexthop, void (*)(rtnl_nexthop*)> hop(rtnl_route_nh_alloc(), rtnl_route_nh_free);
  rtnl_route_nh_set_gateway(hop.get(), via.get());
  rtnl_route_add_nexthop(route.get(), hop.release());  // the route owns it from here
  check_nl(rtnl_route_add(sock.get(), route.get(), NLM_F_CREATE | NLM_F_EXCL), "rtnl_route_add", gateway);
}

}  // namespace dockling::ch04
