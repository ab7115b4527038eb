/// @file swarm_networks.hpp
/// @brief Overlay networks as the manager keeps them: docker's network objects (one subnet and
/// one VXLAN id each), the address of every task on them, and what each node's agent must know
/// to plumb them (its neighbours on other hosts, the names its tasks may look up).
///
/// Plain functions over the store's JSON objects: the manager calls them with its lock held.
#pragma once

#include <map>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

namespace dockling::ch15 {

/// The store's objects of one kind, by id (SwarmStore::all).
using Objects = std::map<std::string, nlohmann::json>;

/// The first VXLAN id of overlay networks, as docker's (4096 and below are left to others).
constexpr int kFirstVni = 4097;
/// The ingress network's VXLAN id, as docker's.
constexpr int kIngressVni = 4096;
/// The ingress network's subnet, as docker's.
constexpr const char* kIngressSubnet = "10.0.0.0/24";

/// The network object for docker's POST /networks/create `request` ({"Name", "Driver":
/// "overlay", "IPAM": {"Config": [{"Subnet"}]}, "Labels", "Attachable"}), with id `id`: its
/// subnet the one asked for or the first free 10.0.N.0/24 (N from 1), its gateway host 1, its
/// VXLAN id the first free one from kFirstVni. Shaped as docker's GET /networks/ID.
/// @throws ch14::ApiError 400 for a bad request (a driver other than overlay, a bad or taken
/// subnet), 409 for a name in use.
nlohmann::json new_overlay_network(const nlohmann::json& request, const Objects& networks, const std::string& id,
                                   const std::string& created);

/// The ingress network (`ingress`, 10.0.0.0/24, VXLAN id 4096, "Ingress": true) that swarm
/// init makes, as docker's: the routing mesh carries published ports over it.
nlohmann::json ingress_network(const std::string& id, const std::string& created);

/// The id of the ingress network among `networks`; "" when there is none.
std::string ingress_id(const Objects& networks);

/// Whether the service publishes ports through the routing mesh (its Endpoint has Ports).
bool publishes_ports(const nlohmann::json& service);

/// The service's Endpoint for the spec `spec` (docker's `{"Spec": EndpointSpec, "Ports":
/// [...]}`): each port of `EndpointSpec.Ports` with its protocol (tcp by default) and its
/// published port (the one asked, or the first free one from 30000, as swarmkit's).
/// `services` are the others, whose published ports are taken.
/// @throws ch14::ApiError 400 for a bad port, a port another service publishes, host mode.
nlohmann::json service_endpoint(const nlohmann::json& spec, const Objects& services, const std::string& service_id);

/// The network `name` names (id, name or id prefix), or nullptr.
const nlohmann::json* find_network(const Objects& networks, const std::string& name);

/// The VXLAN id of `network`.
int network_vni(const nlohmann::json& network);

/// The addresses held on each network: network id → addresses ("10.0.1.3"), from the
/// NetworksAttachments of every task that may still run (not in a final state) and each
/// node's own address on the ingress network (`_Ingress`).
std::map<std::string, std::set<std::string>> held_addresses(const Objects& tasks, const Objects& nodes);

/// The lowest free host address of `network` that `taken` lacks (then recorded in it).
/// @throws Error naming the network when none is left.
std::string take_address(const nlohmann::json& network, std::set<std::string>& taken);

/// A new task's NetworksAttachments for the networks its TaskTemplate names (`Networks`:
/// [{"Target": ID}]), after the ingress network when `ingress` (a service that publishes
/// ports): each with the network and one free address of it, taken from `held` (which
/// records it). @throws Error naming a network that is gone or has no free address.
nlohmann::json attach_networks(const nlohmann::json& task_template, const Objects& networks,
                               std::map<std::string, std::set<std::string>>& held, bool ingress = false);

/// What the agent of node `node_id` needs to plumb its tasks' networks: one entry a network
/// that one of its tasks is on, {"ID", "Name", "VNI", "Subnet", "Gateway", "Peers":
/// [{"IP", "MAC", "Node"}] (the tasks on other nodes, and the address of their node), "Names":
/// {"web": [IP...], "tasks.web": [IP...]} (the running tasks of each service on it)}, in
/// address order. Tasks on nodes that are not ready are left out of both.
/// While a service publishes ports, every node also gets the ingress network, with its own
/// address there ("Addr"), the other ready nodes' addresses among the peers, no names, and
/// "Ports": [{"Protocol", "PublishedPort", "TargetPort", "Backends": [IP...]}] (the running
/// tasks of each publishing service, wherever they run).
nlohmann::json node_networks(const std::string& node_id, const Objects& networks, const Objects& tasks,
                             const Objects& services, const Objects& nodes);

}  // namespace dockling::ch15
