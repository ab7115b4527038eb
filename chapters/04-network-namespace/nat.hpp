/// @file nat.hpp
/// @brief NAT and published ports through libnftables: one nftables table per bridge,
/// `table ip dockling_BRIDGE`, that dockling owns and nobody else's rules are touched.
///
///     postrouting: masquerade what leaves the subnet (and 127.0.0.1 going to the bridge)
///     prerouting, output: for local destination addresses, DNAT by the two maps
///     published     { tcp . 8080 : 10.201.0.2 . 80 }             -p 8080:80
///     published_on  { 127.0.0.1 . tcp . 8080 : 10.201.0.2 . 80 } -p 127.0.0.1:8080:80
///     input: drop new connections from the bridge to 127.0.0.0/8 (route_localnet's risk)
///
/// A container's ports are map elements, added and deleted by key: no rule handles to keep.
#pragma once

#include <string>
#include <vector>

#include "address.hpp"

struct nft_ctx;

namespace dockling::ch04 {

/// A libnftables context (nft_ctx_new), with output and errors kept in buffers.
class Nftables {
 public:
  Nftables();
  Nftables(const Nftables&) = delete;
  Nftables& operator=(const Nftables&) = delete;
  ~Nftables();

  /// Runs `commands` (nft syntax, one batch: all or nothing); throws Error with nft's message.
  void run(const std::string& commands);
  /// Like run, but returns false instead of throwing.
  bool try_run(const std::string& commands) noexcept;
  /// What the last command printed (e.g. for `list table`).
  std::string output() const;

 private:
  nft_ctx* ctx_ = nullptr;
};

/// The name of the bridge's table: "dockling_" + the bridge's name ('-' and '.' as '_').
std::string nat_table(const std::string& bridge);

/// True when the bridge's table exists (asked over netlink, without libnftables).
bool nat_table_exists(const std::string& bridge);

/// Creates the bridge's table with its chains and maps (see the file comment).
void create_nat_table(Nftables& nft, const std::string& bridge, const Subnet& subnet);

/// Deletes the bridge's table; false when there was none.
bool delete_nat_table(Nftables& nft, const std::string& bridge) noexcept;

/// Adds `ports` of the container at `address` to the maps, in one atomic batch.
void publish_ports(Nftables& nft, const std::string& bridge, const std::string& container_id, Ipv4 address,
                   const std::vector<PortMapping>& ports);

/// Deletes `ports` from the maps, one by one (a missing one is no error). Never throws.
void unpublish_ports(Nftables& nft, const std::string& bridge, const std::vector<PortMapping>& ports) noexcept;

}  // namespace dockling::ch04
