/// @file address.hpp
/// @brief The chapter's values parsed from the command line: IPv4 addresses and subnets,
/// published ports (-p) and extra host entries (--add-host). Bad input throws Error naming it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spec.hpp"

namespace dockling::ch04 {

/// An IPv4 address, kept in host byte order so that "the next address" is value + 1.
struct Ipv4 {
  std::uint32_t value = 0;  ///< e.g. 0x0ac90002 for 10.201.0.2

  /// Parses dotted decimal ("10.201.0.2"); nullopt when it is not one.
  static std::optional<Ipv4> parse(std::string_view text);
  /// Dotted decimal.
  std::string str() const;
  /// Ordered as numbers, so that addresses sort and compare naturally.
  auto operator<=>(const Ipv4&) const = default;
};

/// An IPv4 subnet, e.g. 10.201.0.0/16: the bridge's network. Host 1 is the gateway (the
/// bridge's own address); containers get hosts 2 .. size-2 (the last is the broadcast).
struct Subnet {
  Ipv4 network;    ///< the first address, host bits zero
  int prefix = 0;  ///< the prefix length, 8..30

  /// Parses "A.B.C.D/N"; throws Error naming `text` (bad form, prefix out of 8..30, host
  /// bits set).
  static Subnet parse(const std::string& text);
  /// "10.201.0.0/16".
  std::string str() const;
  /// How many addresses the subnet spans (2^(32-prefix)).
  std::uint32_t size() const { return std::uint32_t{1} << (32 - prefix); }
  /// The address `n` places after the network address.
  Ipv4 host(std::uint32_t n) const { return Ipv4{network.value + n}; }
  /// The gateway: host 1, the address of the bridge on the host.
  Ipv4 gateway() const { return host(1); }
  /// True when `address` lies inside the subnet.
  bool contains(Ipv4 address) const;
  /// `address` with this subnet's prefix, e.g. "10.201.0.2/16".
  std::string cidr(Ipv4 address) const { return address.str() + "/" + std::to_string(prefix); }
};

/// The MAC address docker gives the interface holding `address`: 02:42 then the address's
/// four bytes ("02:42:0a:00:01:03" for 10.0.1.3). Known from the address alone, so that a
/// host can tell its neighbours' MACs without asking (chapter 15's overlay networks).
std::string mac_address_for(Ipv4 address);

/// Parses one -p value (a PortMapping of the spec); throws Error `invalid -p "VALUE": why` (exit 125).
PortMapping parse_port_mapping(const std::string& text);
/// Parses one --expose value: PORT[/PROTO] or a range FIRST-LAST[/PROTO], one PortMapping
/// (container_port and protocol) a port; throws Error `invalid --expose "VALUE": why`.
std::vector<PortMapping> parse_exposed_ports(const std::string& text);
/// "80/tcp": an exposed port as docker names it (ExposedPorts' keys).
std::string exposed_port_str(const PortMapping& port);

/// Back in -p form: "127.0.0.1:8080:80/tcp".
std::string port_mapping_str(const PortMapping& port);

/// Parses --add-host NAME:IP (IPv6 may contain colons: the name ends at the first one); throws
/// Error `invalid --add-host "VALUE": why`.
HostEntry parse_host_entry(const std::string& text);

/// True when `text` is an IPv4 or IPv6 address (for --dns and --add-host).
bool is_ip_address(const std::string& text);

}  // namespace dockling::ch04
