#include "netlink.hpp"

#include <net/if.h>

#include <fmt/format.h>
#include <netlink/errno.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>

#include "dockling/error.hpp"

namespace dockling::ch04 {

NetlinkSocket::NetlinkSocket(int protocol) : sock_(nl_socket_alloc()) {
  if (sock_ == nullptr) throw Error("nl_socket_alloc: out of memory");
  int rc = nl_connect(sock_, protocol);
  if (rc < 0) {
    nl_socket_free(sock_);
    check_nl(rc, "nl_connect", protocol == NETLINK_ROUTE ? "NETLINK_ROUTE" : std::to_string(protocol));
  }
}

NetlinkSocket::~NetlinkSocket() { nl_socket_free(sock_); }

int check_nl(int result, std::string_view call, std::string_view argument) {
  if (result >= 0) return result;
  if (argument.empty()) throw Error(fmt::format("{}: {}", call, nl_geterror(result)));
  throw Error(fmt::format("{}(\"{}\"): {}", call, argument, nl_geterror(result)));
}

AddrPtr parse_nl_address(const std::string& text) {
  nl_addr* address = nullptr;
  check_nl(nl_addr_parse(text.c_str(), AF_INET, &address), "nl_addr_parse", text);
  return AddrPtr(address, nl_addr_put);
}

int link_index(NetlinkSocket& sock, const std::string& name) {
  rtnl_link* link = nullptr;
  int rc = rtnl_link_get_kernel(sock.get(), 0, name.c_str(), &link);
  if (rc == -NLE_NODEV || rc == -NLE_OBJ_NOTFOUND) return 0;
  check_nl(rc, "rtnl_link_get_kernel", name);
  LinkPtr owned(link, rtnl_link_put);
  return rtnl_link_get_ifindex(link);
}

void set_link_up(NetlinkSocket& sock, const std::string& name) {
  // RTM_NEWLINK for an existing link changes it: only the fields set in `change` are sent.
  LinkPtr change(rtnl_link_alloc(), rtnl_link_put);
  rtnl_link_set_name(change.get(), name.c_str());
  rtnl_link_set_flags(change.get(), IFF_UP);
  check_nl(rtnl_link_add(sock.get(), change.get(), 0), "rtnl_link_add(up)", name);
}

void set_link_mac(NetlinkSocket& sock, const std::string& name, const std::string& mac) {
  nl_addr* parsed = nullptr;
  check_nl(nl_addr_parse(mac.c_str(), AF_LLC, &parsed), "nl_addr_parse", mac);
  AddrPtr address(parsed, nl_addr_put);
  LinkPtr change(rtnl_link_alloc(), rtnl_link_put);
  rtnl_link_set_name(change.get(), name.c_str());
  rtnl_link_set_addr(change.get(), address.get());
  check_nl(rtnl_link_add(sock.get(), change.get(), 0), "rtnl_link_add(address)", name);
}

void create_bridge(NetlinkSocket& sock, const std::string& name) {
  LinkPtr bridge(rtnl_link_bridge_alloc(), rtnl_link_put);
  rtnl_link_set_name(bridge.get(), name.c_str());
  check_nl(rtnl_link_add(sock.get(), bridge.get(), NLM_F_CREATE | NLM_F_EXCL), "rtnl_link_add(bridge)", name);
}

bool delete_link(NetlinkSocket& sock, const std::string& name) {
  LinkPtr link(rtnl_link_alloc(), rtnl_link_put);
  rtnl_link_set_name(link.get(), name.c_str());
  int rc = rtnl_link_delete(sock.get(), link.get());
  if (rc == -NLE_NODEV || rc == -NLE_OBJ_NOTFOUND) return false;
  check_nl(rc, "rtnl_link_delete", name);
  return true;
}

bool detach_link(NetlinkSocket& sock, const std::string& name) {
  LinkPtr change(rtnl_link_alloc(), rtnl_link_put);
  rtnl_link_set_name(change.get(), name.c_str());
  rtnl_link_set_master(change.get(), 0);  // IFLA_MASTER 0: no bridge
  int rc = rtnl_link_add(sock.get(), change.get(), 0);
  if (rc == -NLE_NODEV || rc == -NLE_OBJ_NOTFOUND) return false;
  check_nl(rc, "rtnl_link_add(nomaster)", name);
  return true;
}

std::vector<std::string> unplugged_veths(NetlinkSocket& sock) {
  nl_cache* cache = nullptr;  // a dump of every link (RTM_GETLINK with NLM_F_DUMP)
  check_nl(rtnl_link_alloc_cache(sock.get(), AF_UNSPEC, &cache), "rtnl_link_alloc_cache");
  std::unique_ptr<nl_cache, void (*)(nl_cache*)> owned(cache, nl_cache_free);
  std::vector<std::string> names;
  for (nl_object* object = nl_cache_get_first(cache); object != nullptr; object = nl_cache_get_next(object)) {
    auto* link = reinterpret_cast<rtnl_link*>(object);
    const char* type = rtnl_link_get_type(link);
    if (type != nullptr && std::string_view(type) == "veth" && rtnl_link_get_master(link) == 0)
      names.emplace_back(rtnl_link_get_name(link));
  }
  return names;
}

}  // namespace dockling::ch04
