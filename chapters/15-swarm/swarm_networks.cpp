#include "swarm_networks.hpp"

#include <algorithm>
#include <regex>

#include <fmt/format.h>

#include "address.hpp"
#include "api_response.hpp"
#include "json_text.hpp"
#include "swarm_model.hpp"

using nlohmann::json;

namespace dockling::ch15 {

using ch14::ApiError;

namespace {

/// The option that carries a network's VXLAN id, as docker shows it.
constexpr const char* kVniOption = "com.docker.network.driver.overlay.vxlanid_list";

/// The subnet of `network` (its first IPAM config).
ch04::Subnet subnet_of(const json& network) {
  return ch04::Subnet::parse(text_at(network, "/IPAM/Config/0/Subnet"));
}

bool overlaps(const ch04::Subnet& a, const ch04::Subnet& b) {
  return a.contains(b.network) || b.contains(a.network);
}

/// A task that may still run: its address stays its own until it reaches a final state.
bool may_run(const json& task) {
  auto state = task_state_from(text_at(task, "/Status/State"));
  return !state || !is_final(*state);
}

}  // namespace

json new_overlay_network(const json& request, const Objects& networks, const std::string& id,
                         const std::string& created) {
  if (!request.is_object()) throw ApiError(400, "network create: the body must be a JSON object");
  std::string name = request.value("Name", "");
  if (name.empty()) throw ApiError(400, "network name must be given");
  // docker's rule for names of objects (the same as containers').
  static const std::regex valid_name("^[a-zA-Z0-9][a-zA-Z0-9_.-]*$");
  if (!std::regex_match(name, valid_name))
    throw ApiError(400, fmt::format("invalid network name \"{}\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name));
  std::string driver = request.value("Driver", "");
  if (driver != "overlay")
    throw ApiError(400, fmt::format("network {}: driver \"{}\" is not supported here: only overlay networks "
                                    "(network create -d overlay {})",
                                    name, driver.empty() ? "bridge" : driver, name));
  for (const auto& [other_id, network] : networks)
    if (network.value("Name", "") == name) throw ApiError(409, fmt::format("network with name {} already exists", name));

  std::vector<ch04::Subnet> taken;
  int vni = kFirstVni;
  for (const auto& [other_id, network] : networks) {
    taken.push_back(subnet_of(network));
    vni = std::max(vni, network_vni(network) + 1);
  }
  std::string asked = text_at(request, "/IPAM/Config/0/Subnet");
  std::optional<ch04::Subnet> subnet;
  if (!asked.empty()) {
    try {
      subnet = ch04::Subnet::parse(asked);
    } catch (const Error& e) {
      throw ApiError(400, fmt::format("network {}: {}", name, e.what()));
    }
    for (const auto& other : taken)
      if (overlaps(*subnet, other))
        throw ApiError(400, fmt::format("network {}: subnet {} overlaps with network subnet {}", name, asked, other.str()));
  } else {
    for (std::uint32_t n = 1; n < 256 && !subnet; ++n) {
      ch04::Subnet candidate = ch04::Subnet::parse(fmt::format("10.0.{}.0/24", n));
      bool free = true;
      for (const auto& other : taken) free = free && !overlaps(candidate, other);
      if (free) subnet = candidate;
    }
    if (!subnet) throw ApiError(400, "could not find an available, non-overlapping IPv4 address pool in 10.0.0.0/16");
  }
  // docker shows null for no labels (an empty map is left out).
  json labels = request.contains("Labels") && request["Labels"].is_object() && !request["Labels"].empty()
                    ? request["Labels"]
                    : json();
  return {{"Name", name},
          {"Id", id},
          {"Created", created},
          {"Scope", "swarm"},
          {"Driver", "overlay"},
          {"EnableIPv6", false},
          {"IPAM",
           {{"Driver", "default"},
            {"Options", nullptr},
            {"Config", json::array({{{"Subnet", subnet->str()}, {"Gateway", subnet->gateway().str()}}})}}},
          {"Internal", request.value("Internal", false)},
          {"Attachable", request.value("Attachable", false)},
          {"Ingress", false},
          {"ConfigFrom", {{"Network", ""}}},
          {"ConfigOnly", false},
          {"Containers", nullptr},
          {"Options", {{kVniOption, std::to_string(vni)}}},
          {"Labels", labels}};
}

json ingress_network(const std::string& id, const std::string& created) {
  json request = {{"Name", "ingress"}, {"Driver", "overlay"}, {"IPAM", {{"Config", json::array({json{{"Subnet", kIngressSubnet}}})}}}};
  json network = new_overlay_network(request, {}, id, created);
  network["Ingress"] = true;
  network["Options"][kVniOption] = std::to_string(kIngressVni);
  return network;
}

std::string ingress_id(const Objects& networks) {
  for (const auto& [id, network] : networks)
    if (network.value("Ingress", false)) return id;
  return "";
}

bool publishes_ports(const json& service) {
  json::json_pointer ports("/Endpoint/Ports");
  return service.contains(ports) && service[ports].is_array() && !service[ports].empty();
}

json service_endpoint(const json& spec, const Objects& services, const std::string& service_id) {
  auto invalid = [](const std::string& what) { throw ApiError(400, "rpc error: code = InvalidArgument desc = " + what); };
  json endpoint_spec = spec.value("EndpointSpec", json::object());
  json endpoint = {{"Spec", endpoint_spec}};
  const json asked = endpoint_spec.value("Ports", json::array());
  if (!asked.is_array() || asked.empty()) return endpoint;
  // protocol/port → the service that publishes it.
  std::map<std::string, std::string> taken;
  for (const auto& [id, service] : services) {
    if (id == service_id || !publishes_ports(service)) continue;
    for (const auto& port : service["Endpoint"]["Ports"])
      taken[fmt::format("{}/{}", port.value("Protocol", "tcp"), port.value("PublishedPort", 0))] =
          fmt::format("'{}' ({})", text_at(service, "/Spec/Name"), id);
  }
  json ports = json::array();
  for (const auto& wanted : asked) {
    std::string protocol = wanted.value("Protocol", "tcp");
    if (protocol.empty()) protocol = "tcp";
    if (protocol != "tcp" && protocol != "udp") invalid(fmt::format("unsupported protocol {}: tcp or udp", protocol));
    std::string mode = wanted.value("PublishMode", "ingress");
    if (mode == "host")
      invalid("dockling publishes ports through the routing mesh only (mode=ingress), not on the task's host (mode=host)");
    std::int64_t target = wanted.value("TargetPort", std::int64_t{0});
    std::int64_t published = wanted.value("PublishedPort", std::int64_t{0});
    if (target < 1 || target > 65535) invalid(fmt::format("invalid target port {}", target));
    if (published < 0 || published > 65535) invalid(fmt::format("invalid published port {}", published));
    if (published == 0) {  // swarmkit's dynamic range
      for (published = 30000; published <= 32767 && taken.count(fmt::format("{}/{}", protocol, published)); ++published) {
      }
      if (published > 32767) invalid("no free port left in 30000-32767 to publish");
    }
    std::string key = fmt::format("{}/{}", protocol, published);
    if (auto other = taken.find(key); other != taken.end())
      invalid(other->second == "self" ? fmt::format("duplicate published port {}", key)
                                      : fmt::format("port '{}' is already in use by service {} as an ingress port",
                                                    published, other->second));
    taken[key] = "self";
    ports.push_back({{"Protocol", protocol}, {"TargetPort", target}, {"PublishedPort", published}, {"PublishMode", "ingress"}});
  }
  endpoint["Ports"] = ports;
  return endpoint;
}

const json* find_network(const Objects& networks, const std::string& name) {
  if (auto found = networks.find(name); found != networks.end()) return &found->second;
  for (const auto& [id, network] : networks)
    if (network.value("Name", "") == name) return &network;
  const json* match = nullptr;
  for (const auto& [id, network] : networks)
    if (!name.empty() && id.rfind(name, 0) == 0) {
      if (match != nullptr) return nullptr;  // ambiguous
      match = &network;
    }
  return match;
}

int network_vni(const json& network) {
  std::string text = text_at(network, (std::string("/Options/") + kVniOption).c_str());
  return text.empty() ? 0 : std::stoi(text);
}

std::map<std::string, std::set<std::string>> held_addresses(const Objects& tasks, const Objects& nodes) {
  std::map<std::string, std::set<std::string>> held;
  for (const auto& [id, node] : nodes)
    if (!text_at(node, "/_Ingress/Addr").empty()) held[text_at(node, "/_Ingress/Network")].insert(text_at(node, "/_Ingress/Addr"));
  for (const auto& [id, task] : tasks) {
    if (!may_run(task) || !task.contains("NetworksAttachments")) continue;
    for (const auto& attachment : task["NetworksAttachments"])
      for (const auto& address : attachment.value("Addresses", json::array())) {
        std::string text = address.get<std::string>();
        held[text_at(attachment, "/Network/ID")].insert(text.substr(0, text.find('/')));
      }
  }
  return held;
}

std::string take_address(const json& network, std::set<std::string>& taken) {
  ch04::Subnet subnet = subnet_of(network);
  for (std::uint32_t n = 2; n + 1 < subnet.size(); ++n)
    if (taken.insert(subnet.host(n).str()).second) return subnet.host(n).str();
  throw Error(fmt::format("network {}: no free address left in {}", network.value("Name", ""), subnet.str()));
}

json attach_networks(const json& task_template, const Objects& networks,
                     std::map<std::string, std::set<std::string>>& held, bool ingress) {
  json attachments = json::array();
  std::vector<std::string> targets;
  if (ingress) targets.push_back(ingress_id(networks));
  if (task_template.contains("Networks") && task_template["Networks"].is_array())
    for (const auto& wanted : task_template["Networks"]) targets.push_back(wanted.value("Target", ""));
  for (const auto& target : targets) {
    auto network = networks.find(target);
    if (network == networks.end()) throw Error(fmt::format("network {} not found", target.empty() ? "ingress" : target));
    ch04::Subnet subnet = subnet_of(network->second);
    std::string address = take_address(network->second, held[target]);
    attachments.push_back({{"Network",
                            {{"ID", target},
                             {"Spec", {{"Name", network->second.value("Name", "")}, {"DriverConfiguration", {{"Name", "overlay"}}}, {"Scope", "swarm"}}},
                             {"DriverState", {{"Name", "overlay"}, {"Options", network->second["Options"]}}},
                             {"IPAMOptions", {{"Driver", {{"Name", "default"}}}, {"Configs", network->second["IPAM"]["Config"]}}}}},
                           {"Addresses", json::array({fmt::format("{}/{}", address, subnet.prefix)})}});
  }
  return attachments;
}

json node_networks(const std::string& node_id, const Objects& networks, const Objects& tasks, const Objects& services,
                   const Objects& nodes) {
  // The networks this node's tasks are on; the ingress network on every node while a service
  // publishes ports (a node with none of its tasks forwards its published ports too).
  std::set<std::string> mine;
  for (const auto& [id, task] : tasks) {
    if (task.value("NodeID", "") != node_id || !may_run(task) || !task.contains("NetworksAttachments")) continue;
    for (const auto& attachment : task["NetworksAttachments"]) mine.insert(text_at(attachment, "/Network/ID"));
  }
  std::string ingress = ingress_id(networks);
  bool meshed = std::any_of(services.begin(), services.end(), [](const auto& entry) { return publishes_ports(entry.second); });
  auto self = nodes.find(node_id);
  if (meshed && !ingress.empty() && self != nodes.end() && !text_at(self->second, "/_Ingress/Addr").empty())
    mine.insert(ingress);
  else
    mine.erase(ingress);
  json list = json::array();
  for (const auto& network_id : mine) {
    auto network = networks.find(network_id);
    if (network == networks.end()) continue;
    bool is_ingress = network_id == ingress;
    json peers = json::array();
    json names = json::object();
    std::map<std::string, json> backends;  // service id → its running tasks' addresses here
    if (is_ingress)  // the other nodes' own addresses: replies to what they forwarded go back to them
      for (const auto& [id, node] : nodes) {
        std::string addr = text_at(node, "/_Ingress/Addr");
        auto address = ch04::Ipv4::parse(addr);
        if (id == node_id || !address || text_at(node, "/Status/State") != "ready") continue;
        peers.push_back({{"IP", addr}, {"MAC", ch04::mac_address_for(*address)}, {"Node", text_at(node, "/Status/Addr")}});
      }
    for (const auto& [id, task] : tasks) {
      if (!may_run(task) || !task.contains("NetworksAttachments")) continue;
      for (const auto& attachment : task["NetworksAttachments"]) {
        if (text_at(attachment, "/Network/ID") != network_id) continue;
        std::string cidr = text_at(attachment, "/Addresses/0");
        std::string ip = cidr.substr(0, cidr.find('/'));
        auto address = ch04::Ipv4::parse(ip);
        if (!address) continue;
        std::string node = task.value("NodeID", "");
        auto host = nodes.find(node);
        // A task on a node that is down is out of reach, and out of the names, until it is back.
        if (host == nodes.end() || text_at(host->second, "/Status/State") != "ready") continue;
        if (node != node_id)
          peers.push_back({{"IP", ip}, {"MAC", ch04::mac_address_for(*address)}, {"Node", text_at(host->second, "/Status/Addr")}});
        // Names answer the tasks that run (docker's DNS round robin over a service's tasks).
        auto service = services.find(task.value("ServiceID", ""));
        if (service != services.end() && text_at(task, "/Status/State") == "running" &&
            task.value("DesiredState", "") == "running") {
          if (is_ingress) {
            backends[service->first].push_back(ip);
            continue;
          }
          std::string name = text_at(service->second, "/Spec/Name");
          names[name].push_back(ip);
          names["tasks." + name].push_back(ip);
        }
      }
    }
    // In address order, whatever the order of the tasks' ids.
    auto by_address = [](const json& a, const json& b) {
      auto ip = [](const json& entry) { return ch04::Ipv4::parse(entry.is_string() ? entry.get<std::string>() : entry.value("IP", "")); };
      return ip(a) < ip(b);
    };
    std::sort(peers.begin(), peers.end(), by_address);
    for (auto& [name, addresses] : names.items()) std::sort(addresses.begin(), addresses.end(), by_address);
    ch04::Subnet subnet = subnet_of(network->second);
    json entry = {{"ID", network_id},
                  {"Name", network->second.value("Name", "")},
                  {"VNI", network_vni(network->second)},
                  {"Subnet", subnet.str()},
                  {"Gateway", subnet.gateway().str()},
                  {"Peers", peers},
                  {"Names", names}};
    if (is_ingress) {
      json ports = json::array();
      for (const auto& [service_id, service] : services) {
        if (!publishes_ports(service)) continue;
        json addresses = backends[service_id];
        if (addresses.is_null()) addresses = json::array();
        std::sort(addresses.begin(), addresses.end(), by_address);
        for (const auto& port : service["Endpoint"]["Ports"])
          ports.push_back({{"Protocol", port.value("Protocol", "tcp")},
                           {"PublishedPort", port.value("PublishedPort", 0)},
                           {"TargetPort", port.value("TargetPort", 0)},
                           {"Backends", addresses}});
      }
      std::sort(ports.begin(), ports.end(), [](const json& a, const json& b) {
        return a.value("PublishedPort", 0) < b.value("PublishedPort", 0);
      });
      entry["Ingress"] = true;
      entry["Addr"] = text_at(self->second, "/_Ingress/Addr");
      entry["Ports"] = ports;
    }
    list.push_back(entry);
  }
  return list;
}

}  // namespace dockling::ch15
