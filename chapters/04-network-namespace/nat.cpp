#include "nat.hpp"

#include <netinet/in.h>  // before the linux/ headers, which then leave its definitions alone
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <nftables/libnftables.h>

#include <memory>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "dockling/log.hpp"
#include "dockling/shared_library.hpp"
#include "netlink.hpp"

namespace dockling::ch04 {

namespace {

/// libnftables, loaded on first use rather than at every start: it and the libraries it
/// needs (libnftnl, libxtables, libjansson, libgmp, ...) cost about a millisecond to load
/// and relocate, which every container would pay, also those with --network none.
struct LibNftables {
  decltype(&nft_ctx_new) ctx_new;
  decltype(&nft_ctx_free) ctx_free;
  decltype(&nft_ctx_buffer_output) buffer_output;
  decltype(&nft_ctx_buffer_error) buffer_error;
  decltype(&nft_run_cmd_from_buffer) run_cmd_from_buffer;
  decltype(&nft_ctx_get_output_buffer) get_output_buffer;
  decltype(&nft_ctx_get_error_buffer) get_error_buffer;
};

const LibNftables& libnftables() {
  static const LibNftables lib = [] {
    SharedLibrary library("libnftables.so.1", "libnftables1");
    LibNftables functions{};
    library.load("nft_ctx_new", functions.ctx_new);
    library.load("nft_ctx_free", functions.ctx_free);
    library.load("nft_ctx_buffer_output", functions.buffer_output);
    library.load("nft_ctx_buffer_error", functions.buffer_error);
    library.load("nft_run_cmd_from_buffer", functions.run_cmd_from_buffer);
    library.load("nft_ctx_get_output_buffer", functions.get_output_buffer);
    library.load("nft_ctx_get_error_buffer", functions.get_error_buffer);
    return functions;
  }();
  return lib;
}

}  // namespace

Nftables::Nftables() : ctx_(libnftables().ctx_new(NFT_CTX_DEFAULT)) {
  if (ctx_ == nullptr) throw Error("nft_ctx_new: failed");
  libnftables().buffer_output(ctx_);
  libnftables().buffer_error(ctx_);
}

Nftables::~Nftables() { libnftables().ctx_free(ctx_); }

void Nftables::run(const std::string& commands) {
  auto newline = commands.find('\n');
  log::debug("nft: {}{}", commands.substr(0, newline), newline + 1 < commands.size() ? " ..." : "");
  if (libnftables().run_cmd_from_buffer(ctx_, commands.c_str()) != 0) {
    std::string message = libnftables().get_error_buffer(ctx_);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    throw Error(fmt::format("nftables: {}", message));
  }
}

bool Nftables::try_run(const std::string& commands) noexcept {
  try {
    run(commands);
    return true;
  } catch (const std::exception& e) {
    log::debug("{}", e.what());
    return false;
  }
}

std::string Nftables::output() const { return libnftables().get_output_buffer(ctx_); }

std::string nat_table(const std::string& bridge) {
  std::string name = "dockling_" + bridge;
  for (char& c : name)
    if (c == '-' || c == '.') c = '_';
  return name;
}

bool nat_table_exists(const std::string& bridge) {
  // Asked at every start, so not through libnftables, whose loading and cache fetch (a
  // dozen requests) cost milliseconds: one NFT_MSG_GETTABLE, answered by the table or ENOENT.
  NetlinkSocket sock(NETLINK_NETFILTER);
  std::string table = nat_table(bridge);
  std::unique_ptr<nl_msg, void (*)(nl_msg*)> message(
      nlmsg_alloc_simple((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE, 0), nlmsg_free);
  if (message == nullptr) throw Error("nlmsg_alloc_simple: out of memory");
  nfgenmsg header{};
  header.nfgen_family = NFPROTO_IPV4;  // `table ip`
  header.version = NFNETLINK_V0;
  check_nl(nlmsg_append(message.get(), &header, sizeof header, NLMSG_ALIGNTO), "nlmsg_append", table);
  check_nl(nla_put_string(message.get(), NFTA_TABLE_NAME, table.c_str()), "nla_put_string", table);
  check_nl(nl_send_auto(sock.get(), message.get()), "nl_send_auto(NFT_MSG_GETTABLE)", table);
  int rc = nl_wait_for_ack(sock.get());  // the table's description comes first, then the ack
  if (rc == -NLE_OBJ_NOTFOUND) return false;
  check_nl(rc, "NFT_MSG_GETTABLE", table);
  return true;
}

void create_nat_table(Nftables& nft, const std::string& bridge, const Subnet& subnet) {
  // `fib daddr type local`: the packet is for one of this host's own addresses (127.0.0.1,
  // eth0's, the bridge's): only those are published ports.
  nft.run(fmt::format(R"(table ip {table} {{
  map published {{
    type inet_proto . inet_service : ipv4_addr . inet_service
  }}
  map published_on {{
    type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service
  }}
  chain publish {{
    dnat ip to meta l4proto . th dport map @published
    dnat ip to ip daddr . meta l4proto . th dport map @published_on
  }}
  chain prerouting {{
    type nat hook prerouting priority dstnat; policy accept;
    fib daddr type local jump publish
  }}
  chain output {{
    type nat hook output priority -100; policy accept;
    fib daddr type local jump publish
  }}
  chain postrouting {{
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr {subnet} oifname != "{bridge}" masquerade
    ip saddr 127.0.0.0/8 oifname "{bridge}" masquerade
  }}
  chain input {{
    type filter hook input priority filter; policy accept;
    iifname "{bridge}" ip daddr 127.0.0.0/8 ct state new drop
  }}
}}
)",
                      fmt::arg("table", nat_table(bridge)), fmt::arg("bridge", bridge),
                      fmt::arg("subnet", subnet.str())));
}

bool delete_nat_table(Nftables& nft, const std::string& bridge) noexcept {
  return nft.try_run(fmt::format("delete table ip {}", nat_table(bridge)));
}

namespace {

/// The map element's key for `port`: "tcp . 8080" or "127.0.0.1 . tcp . 8080".
std::string element_key(const PortMapping& port) {
  std::string key = fmt::format("{} . {}", port.protocol, port.host_port);
  return port.host_ip.empty() ? key : port.host_ip + " . " + key;
}

const char* map_of(const PortMapping& port) { return port.host_ip.empty() ? "published" : "published_on"; }

}  // namespace

void publish_ports(Nftables& nft, const std::string& bridge, const std::string& container_id, Ipv4 address,
                   const std::vector<PortMapping>& ports) {
  std::string batch;
  for (const auto& port : ports) {
    batch += fmt::format("add element ip {} {} {{ {} comment \"{}\" : {} . {} }}\n", nat_table(bridge), map_of(port),
                         element_key(port), container_id, address.str(), port.container_port);
  }
  if (!batch.empty()) nft.run(batch);
}

void unpublish_ports(Nftables& nft, const std::string& bridge, const std::vector<PortMapping>& ports) noexcept {
  for (const auto& port : ports) {
    nft.try_run(fmt::format("delete element ip {} {} {{ {} }}", nat_table(bridge), map_of(port), element_key(port)));
  }
}

}  // namespace dockling::ch04
