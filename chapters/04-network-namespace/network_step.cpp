#include "network_step.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "mount_step.hpp"
#include "dockling/cli.hpp"
#include "dockling/error.hpp"
#include "dockling/fd.hpp"
#include "dockling/fs.hpp"
#include "dockling/log.hpp"
#include "dockling/tempdir.hpp"
#include "etc_files.hpp"
#include "host_ports.hpp"
#include "nat.hpp"
#include "netlink.hpp"
#include "veth.hpp"

namespace dockling::ch04 {

namespace fs = std::filesystem;

namespace {

/// The container's own files in /etc, generated and mounted over the rootfs's.
constexpr const char* kEtcFiles[] = {"hosts", "resolv.conf", "hostname"};

/// The name of a container's veth end on the host: "dl" + 12 hex digits of its id (15 is
/// the kernel's limit, IFNAMSIZ - 1).
std::string host_end_for(const std::string& container_id) { return "dl" + container_id.substr(0, 12); }

/// True for a name that host_end_for makes: "dl" + 12 lowercase hex digits.
bool is_host_end(std::string_view name) {
  return name.size() == 14 && name.starts_with("dl") &&
         name.find_first_not_of("0123456789abcdef", 2) == std::string_view::npos;
}

/// Deletes the veth pairs of finished containers that the kernel has not deleted because
/// something still holds their network namespace (an `nsenter`, an open /proc/PID/ns/net).
/// A host end on no bridge is such a leftover: a container's is created on its bridge, in
/// one message, and after_exit takes it off. Returns their names.
std::vector<std::string> delete_unplugged_host_ends() {
  NetlinkSocket sock;
  std::vector<std::string> deleted;
  for (const auto& name : unplugged_veths(sock))
    if (is_host_end(name) && delete_link(sock, name)) deleted.push_back(name);
  return deleted;
}

void write_sysctl(const std::string& key_path, const std::string& value) {
  write_file("/proc/sys/net/" + key_path, value + "\n");
}

/// Undoes what a container whose processes died (a crash, SIGKILL, or it ended and was not
/// deleted yet) left behind: its published ports, its host veth if the kernel has not removed
/// it yet, its files and its lease. Called with the network's lock held.
void reclaim(NetworkState& state, const std::string& bridge, const Lease& lease) {
  log::debug("network: reclaiming {} from dead container {}", lease.address.str(), lease.container_id.substr(0, 12));
  if (!lease.ports.empty()) {
    Nftables nft;
    unpublish_ports(nft, bridge, lease.ports);
  }
  NetlinkSocket sock;
  delete_link(sock, host_end_for(lease.container_id));
  if (!lease.root.empty()) remove_tree(lease.root / "containers" / lease.container_id);
  state.remove(lease);
}

/// Two mappings that cannot both hold: same protocol and port, and same address or "any".
bool clash(const PortMapping& a, const PortMapping& b) {
  return a.protocol == b.protocol && a.host_port == b.host_port &&
         (a.host_ip.empty() || b.host_ip.empty() || a.host_ip == b.host_ip);
}

}  // namespace

void NetworkStep::add_flags(CLI::App& run) {
  run.add_option("--network", mode_, "Network: bridge (default), none or host")
      ->check(CLI::IsMember({"bridge", "none", "host"}));
  // allow_extra_args(false): each -p takes one value (a list option would swallow ROOTFS).
  run.add_option("-p,--publish", publish_, "Publish a container port: [IP:]HOSTPORT:CONTAINERPORT[/tcp|udp]")
      ->allow_extra_args(false);
  run.add_flag("-P,--publish-all", publish_all_, "Publish all exposed ports to random ports");
  run.add_option("--expose", expose_, "Expose a port or a range of ports: PORT[/tcp|udp], FIRST-LAST[/tcp|udp]")
      ->allow_extra_args(false);
  run.add_option("--dns", dns_, "A DNS server for /etc/resolv.conf (instead of the host's)")->allow_extra_args(false);
  run.add_option("--add-host", add_host_, "An extra line for /etc/hosts: NAME:IP")->allow_extra_args(false);
  run.add_option("--ip", ip_, "IPv4 address (e.g., 10.201.0.20): this one instead of the lowest free one");
  subnet_option_ = run.add_option("--subnet", subnet_text_, "The bridge's subnet when it is created")
                       ->envname("DOCKLING_SUBNET")
                       ->capture_default_str();
  run.add_option("--bridge", bridge_, "The host bridge to attach to")
      ->envname("DOCKLING_BRIDGE")
      ->capture_default_str();
}

void NetworkStep::add_commands(CLI::App& app) {
  CLI::App* network = shared_command(app, "network", "Manage dockling's bridge network");
  network->require_subcommand(1);
  prune_command_ = add_command(*network, "prune", "Remove the bridge and its NAT table when no container uses them");
  prune_command_->add_option("--bridge", bridge_, "The bridge to remove")
      ->envname("DOCKLING_BRIDGE")
      ->capture_default_str();
}

std::optional<int> NetworkStep::run_command(const StateRoot&) {
  // The bridge is the host's, whatever the root: its leases are in the host's run directory.
  if (prune_command_ != nullptr && prune_command_->parsed()) return prune();
  return std::nullopt;
}

int NetworkStep::clone_flags(const ContainerSpec& spec) const {
  // CLONE_NEWNS for the bind mounts of /etc/hosts and friends, which must not appear on the
  // host. Chapter 03 asks for CLONE_NEWNS too; asking twice is harmless.
  return spec.network.mode == "host" ? CLONE_NEWNS : CLONE_NEWNET | CLONE_NEWNS;
}

void NetworkStep::to_spec(ContainerSpec& spec) {
  NetworkSpec& network = spec.network;
  network.mode = mode_;
  for (const auto& value : publish_) network.ports.push_back(parse_port_mapping(value));
  for (const auto& value : add_host_) network.extra_hosts.push_back(parse_host_entry(value));
  for (const auto& server : dns_)
    if (!is_ip_address(server)) throw Error(fmt::format("invalid --dns \"{}\": not an IP address", server));
  network.dns = dns_;
  if (!ip_.empty() && !Ipv4::parse(ip_)) throw Error(fmt::format("invalid --ip \"{}\": not an IPv4 address", ip_));
  if (!ip_.empty() && mode_ != "bridge") throw Error(fmt::format("--ip {} needs a bridge network, not --network {}", ip_, mode_));
  network.ip = ip_;
  const auto& ports = network.ports;
  for (size_t i = 0; i < ports.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (clash(ports[i], ports[j]))
        throw Error(fmt::format("-p {} and -p {} use the same host port", port_mapping_str(ports[j]),
                                port_mapping_str(ports[i])));
  if (!ports.empty() && mode_ == "none") throw Error("-p needs a network: it cannot be used with --network none");
  if (!ports.empty() && mode_ == "host") {
    log::warning("published ports are discarded when using host network mode");
    network.ports.clear();
  }
  // Exposed: the image's (chapter 10 put them here already), --expose's and -p's, once each.
  auto add_exposed = [&](const PortMapping& port) {
    for (const auto& known : network.exposed)
      if (known.container_port == port.container_port && known.protocol == port.protocol) return;
    network.exposed.push_back(PortMapping{"", 0, port.container_port, port.protocol});
  };
  for (const auto& value : expose_)
    for (const auto& port : parse_exposed_ports(value)) add_exposed(port);
  for (const auto& port : network.ports) add_exposed(port);
  network.publish_all = publish_all_ && mode_ == "bridge";
}

void NetworkStep::check_settings() {
  subnet_ = Subnet::parse(subnet_text_);
  subnet_given_ = subnet_option_ != nullptr && subnet_option_->count() > 0;
  if (bridge_.empty() || bridge_.size() > 15 || bridge_.find_first_of("/ :") != std::string::npos)
    throw Error(fmt::format("invalid --bridge \"{}\": a link name has 1 to 15 characters, no '/', ' ' or ':'", bridge_));
}

void NetworkStep::before_clone(Container& container) {
  check_settings();  // bad input ends the run here, before anything is configured
  const ContainerSpec& spec = container.spec;
  host_end_ = host_end_for(spec.id);
  if (spec.network.mode == "bridge") setup_bridge_network(container);
  // Known before clone, so that the child (a copy of this process) has it too.
  files_dir_ = container.root.container_dir(spec.id);
  container.record["network"]["files"] = files_dir_;
  std::error_code error;
  fs::create_directories(files_dir_, error);
  if (error) throw Error(fmt::format("mkdir(\"{}\"): {}", files_dir_.string(), error.message()));
  // A child in a user namespace (chapter 07) of a root run is not the host's root: it may
  // not pass through the state root's directories by name. It gets detached copies of the
  // files (open_tree) made here; the contents are written in place after clone (same
  // inodes). Otherwise (no user namespace, or rootless: a parent that may not make copies,
  // and a child that may reach the user's own state root) the child binds them by name.
  etc_trees_.clear();
  bool copies = container.user_namespace() && ::geteuid() == 0;
  for (const char* name : kEtcFiles) {
    std::string path = (files_dir_ / name).string();
    if (copies) write_file(path, "");
    etc_trees_.emplace_back(name, copies ? ch03::copy_mount_tree(path.c_str(), 0) : UniqueFd());
  }
}

void NetworkStep::write_etc_files(const Container& container) {
  // The container's own /etc files, mounted over the rootfs's in the child. Written after
  // every before_clone, so that chapter 05's hostname (a later slot) is known; the child
  // only mounts them after "go", so they are on disk by then.
  const ContainerSpec& spec = container.spec;
  const NetworkSpec& network = spec.network;
  std::string hostname = spec.hostname.empty() ? spec.short_id() : spec.hostname;
  std::string host_hosts, host_resolv = path_exists("/etc/resolv.conf") ? read_file("/etc/resolv.conf") : "";
  if (network.mode == "host") {
    // The host's names: same network, so the host's hosts file and hostname are right.
    char name[256] = {};
    ::gethostname(name, sizeof name - 1);
    hostname = name;
    std::string hosts = path_exists("/etc/hosts") ? read_file("/etc/hosts") : "";
    for (const auto& entry : network.extra_hosts) hosts += fmt::format("{}\t{}\n", entry.ip, entry.name);
    write_file((files_dir_ / "hosts").string(), hosts);
  } else {
    std::optional<Ipv4> address;
    if (lease_) address = lease_->address;
    write_file((files_dir_ / "hosts").string(), hosts_file(hostname, address, network.extra_hosts));
  }
  write_file((files_dir_ / "resolv.conf").string(), resolv_conf(host_resolv, network.dns, network.mode != "host"));
  write_file((files_dir_ / "hostname").string(), hostname + "\n");
}

void NetworkStep::setup_bridge_network(Container& container) {
  state_.emplace(StateRoot::host_run_dir(), bridge_);
  UniqueFd lock = state_->lock();  // until the lease is on file: parallel runs queue here

  if (auto recorded = state_->subnet()) {
    if (subnet_given_ && recorded->str() != subnet_.str()) {
      throw Error(fmt::format("bridge {} has subnet {}, not {} (remove it first: network prune --bridge {})", bridge_,
                              recorded->str(), subnet_.str(), bridge_));
    }
    subnet_ = *recorded;
  }
  NetlinkSocket sock;
  bridge_index_ = link_index(sock, bridge_);
  if (bridge_index_ == 0) {
    log::debug("network: creating bridge {} with {}", bridge_, subnet_.cidr(subnet_.gateway()));
    create_bridge(sock, bridge_);
    try {
      add_address(bridge_, subnet_.cidr(subnet_.gateway()));
    } catch (...) {
      delete_link(sock, bridge_);  // a bridge without its gateway address would stay broken
      throw;
    }
    bridge_index_ = link_index(sock, bridge_);
    state_->set_subnet(subnet_);
    write_sysctl("ipv4/ip_forward", "1");  // the host routes between the bridge and the world
    // Lets 127.0.0.1:HOSTPORT be DNATed to a container behind the bridge (see the README).
    write_sysctl(fmt::format("ipv4/conf/{}/route_localnet", bridge_), "1");
  } else if (!state_->subnet()) {
    state_->set_subnet(subnet_);
  }
  if (!nat_table_exists(bridge_)) {
    Nftables nft;
    create_nat_table(nft, bridge_, subnet_);
  }

  std::vector<Lease> live;
  for (const auto& lease : state_->leases()) {
    if (lease.owner.alive()) live.push_back(lease);
    else reclaim(*state_, bridge_, lease);
  }
  for (const auto& port : container.spec.network.ports)
    for (const auto& lease : live)
      for (const auto& taken : lease.ports)
        if (clash(port, taken))
          throw Error(fmt::format("-p {}: host port {}/{} is already published by container {}", port_mapping_str(port),
                                  port.host_port, port.protocol, lease.container_id.substr(0, 12)));

  const std::string& ip = container.spec.network.ip;
  Lease lease{ip.empty() ? pick_address(subnet_, live) : requested_address(ip, live), container.spec.id, ProcessIdentity::self(), container.root.dir(),
              container.spec.network.ports};
  if (container.spec.network.publish_all) publish_exposed(container.spec.network.exposed, live, lease.ports);
  state_->save(lease);
  lease_ = lease;
  container.record["network"]["bridge"] = bridge_;
  container.record["network"]["lease"] = lease.address.str();
  for (const auto& port : lease.ports) container.record["network"]["published"].push_back(port_mapping_str(port));
  log::debug("network: leased {} on {}", subnet_.cidr(lease.address), bridge_);
}

Ipv4 NetworkStep::requested_address(const std::string& text, const std::vector<Lease>& live) const {
  Ipv4 address = Ipv4::parse(text).value();  // checked by to_spec
  Ipv4 broadcast = subnet_.host(subnet_.size() - 1);
  if (!subnet_.contains(address) || address <= subnet_.gateway() || address == broadcast)
    throw Error(fmt::format("--ip {}: not a container address of bridge {} (subnet {}: {} to {})", text, bridge_,
                            subnet_.str(), subnet_.host(2).str(), subnet_.host(subnet_.size() - 2).str()));
  for (const auto& lease : live)
    if (lease.address == address)
      throw Error(fmt::format("--ip {}: address already in use by container {}", text, lease.container_id.substr(0, 12)));
  return address;
}

void NetworkStep::publish_exposed(const std::vector<PortMapping>& exposed, const std::vector<Lease>& live,
                                  std::vector<PortMapping>& ports) {
  std::vector<PortMapping> taken = ports;
  for (const auto& lease : live) taken.insert(taken.end(), lease.ports.begin(), lease.ports.end());
  for (const auto& port : exposed) {
    // A port that -p publishes already keeps that binding, as docker's -P does.
    bool bound = std::any_of(ports.begin(), ports.end(), [&](const PortMapping& mapping) {
      return mapping.container_port == port.container_port && mapping.protocol == port.protocol;
    });
    if (bound) continue;
    HeldPort held = hold_free_port(port.protocol, taken);
    PortMapping mapping{"", held.port, port.container_port, port.protocol};
    log::debug("network: -P: {}", port_mapping_str(mapping));
    ports.push_back(mapping);
    taken.push_back(mapping);
    held_ports_.push_back(std::move(held.socket));
  }
}

void NetworkStep::after_clone(Container& container, pid_t child) {
  write_etc_files(container);
  etc_trees_.clear();  // the child has its own copies of the descriptors
  const ContainerSpec& spec = container.spec;
  if (spec.network.mode != "bridge") return;
  // The lease belongs to the container's process from now on: it lives as long as the
  // container does, also when the container outlives this process (`oci create`).
  lease_->owner = ProcessIdentity::of(child);
  state_->save(*lease_);
  // The bridge's index from before clone: our lease keeps `network prune` from removing it.
  container.record["network"]["veth"] = host_end_;  // before: deleting one that is not there is harmless
  create_veth_pair(host_end_, bridge_index_, "eth0", child);
  if (!lease_->ports.empty()) {
    Nftables nft;
    container.record["network"]["ports"] = true;  // before: a half-done batch is all-or-nothing, deleting is safe
    publish_ports(nft, bridge_, spec.short_id(), lease_->address, lease_->ports);
  }
}

void NetworkStep::in_child(Container& container) {
  // Nothing mounted from here on may reach the host: no propagation back out.
  check(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), "mount", "/ (MS_PRIVATE)");
  const std::string& mode = container.spec.network.mode;
  for (const auto& [name, tree] : etc_trees_)
    bind_into_rootfs(container.spec.root.path, "etc/" + name, tree, files_dir_ / name);
  etc_trees_.clear();
  if (mode == "host") return;
  disable_ipv6();
  {
    NetlinkSocket sock;  // opened here: it talks to the container's network namespace
    set_link_up(sock, "lo");
  }
  if (mode == "bridge") {
    {
      NetlinkSocket sock;
      set_link_mac(sock, "eth0", mac_address_for(lease_->address));  // docker's: 02:42 + the address
    }
    add_address("eth0", subnet_.cidr(lease_->address));
    add_default_route(subnet_.gateway().str());
  }
}

void disable_ipv6() {
  // /proc/sys/net shows the network namespace of the process that opens it: ours. "all" turns
  // IPv6 off on the links that exist (lo, and eth0, moved in already); "default" on later ones.
  for (const char* which : {"all", "default"}) {
    std::string path = fmt::format("/proc/sys/net/ipv6/conf/{}/disable_ipv6", which);
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) return;  // a kernel without IPv6: nothing to turn off
    if (fd < 0 && (errno == EACCES || errno == EROFS)) {  // a /proc that is not ours to write (rootless)
      log::warning("cannot turn IPv6 off in the container ({}: {}): it keeps its IPv6 addresses", path,
                   std::strerror(errno));
      return;
    }
    UniqueFd file(check(fd, "open", path));
    if (::write(file.get(), "1", 1) != 1) throw_sys("write", path);
  }
}

void NetworkStep::after_exit(Container& container) noexcept {
  etc_trees_.clear();
  auto found = container.record.find("network");
  if (found == container.record.end()) return;
  const nlohmann::json& record = *found;
  try {
    std::string bridge = record.value("bridge", "");
    std::optional<NetworkState> state;
    std::optional<Lease> lease;
    UniqueFd lock;
    if (auto address = Ipv4::parse(record.value("lease", ""))) {
      state.emplace(StateRoot::host_run_dir(), bridge);
      lock = state->lock();
      lease = state->lease(*address);
      if (lease && lease->container_id != container.spec.id) lease.reset();  // reclaimed, and leased again
    }
    if (lease && record.value("ports", false)) {
      Nftables nft;
      unpublish_ports(nft, bridge, lease->ports);
    }
    if (record.contains("veth")) {
      // Not deleted: RTM_DELLINK waits for RCU grace periods (~20 ms). The container's
      // network namespace died with its last process, and the kernel's clean-up worker
      // deletes eth0, and its peer with it, tens of ms later. Unplugged from the bridge now,
      // so the dying pair never answers for the address the lease gives back below.
      NetlinkSocket sock;
      detach_link(sock, record.value("veth", ""));
    }
    if (lease) state->remove(*lease);
  } catch (const std::exception& e) {
    log::warning("network clean-up: {}", e.what());
  }
  if (record.contains("files")) {
    // Only our files: the directory is the container's, and chapter 10 keeps its rw layer
    // there after it stops. rmdir(2) removes the directory when nothing else is in it.
    fs::path dir = record["files"].get<std::string>();
    for (const char* name : kEtcFiles) ::unlink((dir / name).c_str());
    ::rmdir(dir.c_str());
  }
}

int NetworkStep::prune() {
  NetworkState state(StateRoot::host_run_dir(), bridge_);
  UniqueFd lock = state.lock();
  std::vector<std::string> running;
  for (const auto& lease : state.leases()) {
    if (lease.owner.alive()) running.push_back(lease.container_id.substr(0, 12));
    else reclaim(state, bridge_, lease);
  }
  // Whichever bridge they were on: unplugged, they are dead containers' in any case.
  for (const auto& name : delete_unplugged_host_ends()) std::cout << "deleted veth " << name << "\n";
  if (!running.empty()) {
    throw Error(fmt::format("bridge {} is still used by {} container(s): {}", bridge_, running.size(),
                            fmt::join(running, ", ")));
  }
  Nftables nft;
  if (delete_nat_table(nft, bridge_)) std::cout << "deleted table ip " << nat_table(bridge_) << "\n";
  NetlinkSocket sock;
  if (delete_link(sock, bridge_)) std::cout << "deleted bridge " << bridge_ << "\n";
  remove_tree(state.dir());
  return 0;
}

std::string default_network_mode() { return ::geteuid() == 0 ? "bridge" : "none"; }

Steps steps() {
  Steps list = ch03::steps();
  list.push_back(std::make_unique<NetworkStep>());
  return list;
}

}  // namespace dockling::ch04
