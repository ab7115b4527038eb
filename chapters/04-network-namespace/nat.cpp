#include "nat.hpp"

#include <nftables/libnftables.h>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "dockling/log.hpp"

namespace dockling::ch04 {

Nftables::Nftables() : ctx_(nft_ctx_new(NFT_CTX_DEFAULT)) {
  if (ctx_ == nullptr) throw Error("nft_ctx_new: failed");
  nft_ctx_buffer_output(ctx_);
  nft_ctx_buffer_error(ctx_);
}

Nftables::~Nftables() { nft_ctx_free(ctx_); }

void Nftables::run(const std::string& commands) {
  auto newline = commands.find('\n');
  log::debug("nft: {}{}", commands.substr(0, newline), newline + 1 < commands.size() ? " ..." : "");
  if (nft_run_cmd_from_buffer(ctx_, commands.c_str()) != 0) {
    std::string message = nft_ctx_get_error_buffer(ctx_);
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

std::string Nftables::output() const { return nft_ctx_get_output_buffer(ctx_); }

std::string nat_table(const std::string& bridge) {
  std::string name = "dockling_" + bridge;
  for (char& c : name)
    if (c == '-' || c == '.') c = '_';
  return name;
}

bool nat_table_exists(Nftables& nft, const std::string& bridge) {
  // `list table` fails when there is none; asking costs about as much as creating it.
  return nft_run_cmd_from_buffer(nft.context(), fmt::format("list table ip {}", nat_table(bridge)).c_str()) == 0;
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
