/// @file netlink.hpp
/// @brief Small RAII helpers around libnl-route-3: a route netlink socket, libnl errors as
/// dockling errors, and the link operations the chapter needs besides the exercise.
#pragma once

#include <linux/netlink.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct nl_sock;
struct rtnl_link;
struct nl_addr;

namespace dockling::ch04 {

/// A netlink socket (nl_socket_alloc + nl_connect), closed when destroyed: NETLINK_ROUTE
/// unless told otherwise. It talks to the network namespace of the thread that created it.
class NetlinkSocket {
 public:
  /// Opens and connects the socket; throws Error naming nl_connect on failure.
  explicit NetlinkSocket(int protocol = NETLINK_ROUTE);
  NetlinkSocket(const NetlinkSocket&) = delete;
  NetlinkSocket& operator=(const NetlinkSocket&) = delete;
  ~NetlinkSocket();

  /// The libnl socket, for rtnl_* calls.
  nl_sock* get() const noexcept { return sock_; }

 private:
  nl_sock* sock_ = nullptr;
};

/// Owns a `struct rtnl_link` (rtnl_link_put when destroyed).
using LinkPtr = std::unique_ptr<rtnl_link, void (*)(rtnl_link*)>;
/// Owns a `struct nl_addr` (nl_addr_put when destroyed).
using AddrPtr = std::unique_ptr<nl_addr, void (*)(nl_addr*)>;

/// Returns `result` when it is >= 0; otherwise throws Error `call("argument"): libnl's
/// message` (libnl returns negative NLE_* codes, not -1 and errno).
int check_nl(int result, std::string_view call, std::string_view argument = {});

/// Parses "10.1.2.3/24" (or "default") into an nl_addr; throws Error naming the text.
AddrPtr parse_nl_address(const std::string& text);

/// The interface index of `name` in this namespace, or 0 when there is none.
int link_index(NetlinkSocket& sock, const std::string& name);

/// Sets IFF_UP on `name` (`ip link set NAME up`).
void set_link_up(NetlinkSocket& sock, const std::string& name);

/// Sets the MAC address of `name` to `mac` ("02:42:0a:00:01:03"), like `ip link set NAME
/// address MAC`.
void set_link_mac(NetlinkSocket& sock, const std::string& name, const std::string& mac);

/// Creates a bridge `name` (`ip link add NAME type bridge`); fails if it exists.
void create_bridge(NetlinkSocket& sock, const std::string& name);

/// Deletes link `name` if it exists; a veth takes its peer with it. Returns false when
/// there was nothing to delete. Throws on other errors. Slow: the kernel waits for RCU
/// grace periods before it answers (about 20 ms for a veth pair).
bool delete_link(NetlinkSocket& sock, const std::string& name);

/// The names of the veth links in this namespace that are on no bridge (no master).
std::vector<std::string> unplugged_veths(NetlinkSocket& sock);

/// Takes link `name` off its bridge (`ip link set NAME nomaster`), a fraction of a
/// millisecond. Returns false when there is no such link. Throws on other errors.
bool detach_link(NetlinkSocket& sock, const std::string& name);

}  // namespace dockling::ch04
