/// @file network_step.hpp
/// @brief The network step of chapter 04: --network bridge|none|host, -p, --dns,
/// --add-host, --subnet, --bridge, and the `network prune` subcommand.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "address.hpp"
#include "dockling/fd.hpp"
#include "ipam.hpp"
#include "pipeline.hpp"
#include "step.hpp"

namespace dockling::ch04 {

/// The default bridge and subnet. 10.201.0.0/16 stays clear of docker (172.17.0.0/16 and
/// its pools in 172.16.0.0/12 and 192.168.0.0/16), of AWS's default VPC (172.31.0.0/16), of
/// the low 10.0.x.x networks most VPCs and offices use, of podman (10.88.0.0/16), of
/// Kubernetes' usual 10.96.0.0/12 and 10.244.0.0/16, and of GCP's auto-mode subnets
/// (10.128.0.0/9, all with an even second byte).
inline constexpr const char* kDefaultBridge = "dockling0";
/// See kDefaultBridge.
inline constexpr const char* kDefaultSubnet = "10.201.0.0/16";
/// The default --network: bridge for root; none for an ordinary user, who may not create
/// links or NAT rules (rootless docker uses slirp4netns for that, which dockling has not).
std::string default_network_mode();

/// Turns IPv6 off in the calling process's network namespace, as docker does for every network
/// mode but host: lo has no ::1, eth0 no link-local address. Nothing to do without IPv6.
/// @throws SysError naming the sysctl file.
void disable_ipv6();

/// Gives the container its network: a network namespace with lo (none), plus a veth pair
/// to a host bridge with an address, a default route, NAT and published ports (bridge), or
/// the host's own network (host). Also mounts its /etc/hosts, /etc/resolv.conf and
/// /etc/hostname.
class NetworkStep : public Step {
 public:
  std::string_view name() const override { return "network"; }
  Slot slot() const override { return Slot::network; }
  void add_flags(CLI::App& run) override;
  void add_commands(CLI::App& app) override;
  std::optional<int> run_command(const StateRoot& root) override;
  void to_spec(ContainerSpec& spec) override;
  int clone_flags(const ContainerSpec& spec) const override;
  void before_clone(Container& container) override;
  void after_clone(Container& container, pid_t child) override;
  /// Writes hosts, resolv.conf and hostname under ROOT/containers/ID for the child to mount.
  void write_etc_files(const Container& container);
  void in_child(Container& container) override;
  /// Undoes what container.record["network"] says was set up: published ports, the veth's
  /// host end, the lease (if it is still this container's), the /etc files.
  void after_exit(Container& container) noexcept override;

 private:
  void check_settings();
  void setup_bridge_network(Container& container);
  /// --ip's address `text`: a container address of the subnet that none of `live` holds.
  /// @throws Error naming the address and why it cannot be had.
  Ipv4 requested_address(const std::string& text, const std::vector<Lease>& live) const;
  /// -P: each of `exposed` that `ports` does not publish yet gets a free host port, held
  /// (held_ports_) until this process ends; `live` are the other containers' leases.
  void publish_exposed(const std::vector<PortMapping>& exposed, const std::vector<Lease>& live,
                       std::vector<PortMapping>& ports);
  int prune();

  // Flags, as given.
  std::string mode_ = default_network_mode();
  std::vector<std::string> publish_, expose_, dns_, add_host_;
  std::string ip_;  ///< --ip
  bool publish_all_ = false;
  std::string subnet_text_ = kDefaultSubnet;
  CLI::Option* subnet_option_ = nullptr;
  bool subnet_given_ = false;  ///< --subnet or DOCKLING_SUBNET was given
  std::string bridge_ = kDefaultBridge;
  CLI::App* prune_command_ = nullptr;

  // Parsed, and what was set up (the record in container.record["network"] says what
  // after_exit undoes; these serve the start in this process).
  Subnet subnet_;
  std::optional<NetworkState> state_;
  std::optional<Lease> lease_;
  int bridge_index_ = 0;  ///< the bridge's interface index, found (or made) before clone
  std::string host_end_;  ///< the veth's host end, "dl" + 12 hex digits of the id
  std::filesystem::path files_dir_;  ///< ROOT/containers/ID: hosts, resolv.conf, hostname
  std::vector<std::pair<std::string, UniqueFd>> etc_trees_;  ///< {"hosts", detached copy}, ...
  std::vector<UniqueFd> held_ports_;  ///< -P's host ports, bound while this process runs
};

/// Chapter 04's steps: chapter 03's plus the network.
Steps steps();

}  // namespace dockling::ch04
