#include "container_ports.hpp"

#include <algorithm>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "address.hpp"
#include "dockling/error.hpp"

namespace dockling::ch10 {

namespace {

/// One row of docker's port list (types.Port): no IP for an exposed-only port.
struct Port {
  std::string ip;
  unsigned private_port = 0;
  unsigned public_port = 0;
  std::string type;
};

std::vector<Port> port_list(const nlohmann::json& network_ports) {
  std::vector<Port> ports;
  if (!network_ports.is_object()) return ports;
  for (const auto& [key, bindings] : network_ports.items()) {
    auto slash = key.find('/');
    unsigned private_port = static_cast<unsigned>(std::stoul(key.substr(0, slash)));
    std::string type = slash == std::string::npos ? "tcp" : key.substr(slash + 1);
    if (!bindings.is_array()) {
      ports.push_back(Port{"", private_port, 0, type});
      continue;
    }
    for (const auto& binding : bindings)
      ports.push_back(Port{binding.value("HostIp", ""), private_port,
                           static_cast<unsigned>(std::stoul(binding.value("HostPort", "0"))), type});
  }
  return ports;
}

}  // namespace

nlohmann::json exposed_ports_json(const std::vector<PortMapping>& exposed) {
  nlohmann::json json = nlohmann::json::object();
  for (const auto& port : exposed) json[ch04::exposed_port_str(port)] = nlohmann::json::object();
  return json;
}

nlohmann::json port_bindings_json(const std::vector<PortMapping>& ports) {
  nlohmann::json json = nlohmann::json::object();
  for (const auto& port : ports)
    json[ch04::exposed_port_str(port)].push_back({{"HostIp", port.host_ip}, {"HostPort", std::to_string(port.host_port)}});
  return json;
}

nlohmann::json network_ports_json(const std::vector<PortMapping>& exposed, const std::vector<PortMapping>& published) {
  nlohmann::json json = nlohmann::json::object();
  for (const auto& port : exposed) json[ch04::exposed_port_str(port)] = nullptr;
  for (const auto& port : published)
    json[ch04::exposed_port_str(port)].push_back(
        {{"HostIp", port.host_ip.empty() ? "0.0.0.0" : port.host_ip}, {"HostPort", std::to_string(port.host_port)}});
  return json;
}

std::string ps_ports(const nlohmann::json& network_ports) {
  std::vector<Port> ports = port_list(network_ports);
  std::sort(ports.begin(), ports.end(), [](const Port& a, const Port& b) {
    return std::tie(a.private_port, a.ip, a.public_port, a.type) < std::tie(b.private_port, b.ip, b.public_port, b.type);
  });
  // Ports that keep their number (exposed only, or published on the same port) group into
  // ranges by address and protocol; the others are listed one by one, last.
  struct Group {
    std::string ip, type;
    unsigned first, last;
  };
  std::vector<Group> open;  // one per key, in the order the keys first appear
  std::vector<std::string> result, host_mappings;
  auto form = [](const Group& group) {
    std::string range = std::to_string(group.first);
    if (group.first != group.last) range += fmt::format("-{}", group.last);
    if (!group.ip.empty()) range = fmt::format("{}:{}->{}", group.ip, range, range);
    return range + "/" + group.type;
  };
  for (const auto& port : ports) {
    if (!port.ip.empty() && port.public_port != port.private_port) {
      host_mappings.push_back(fmt::format("{}:{}->{}/{}", port.ip, port.public_port, port.private_port, port.type));
      continue;
    }
    auto group = std::find_if(open.begin(), open.end(),
                              [&](const Group& g) { return g.ip == port.ip && g.type == port.type; });
    if (group == open.end()) {
      open.push_back(Group{port.ip, port.type, port.private_port, port.private_port});
    } else if (port.private_port == group->last + 1) {
      group->last = port.private_port;
    } else {
      result.push_back(form(*group));
      group->first = group->last = port.private_port;
    }
  }
  for (const auto& group : open) result.push_back(form(group));
  result.insert(result.end(), host_mappings.begin(), host_mappings.end());
  std::string text;
  for (const auto& part : result) text += (text.empty() ? "" : ", ") + part;
  return text;
}

std::vector<std::string> port_lines(const nlohmann::json& network_ports, const std::string& private_port,
                                    const std::string& container) {
  std::vector<std::string> lines;
  if (!private_port.empty()) {
    std::string key = private_port.find('/') == std::string::npos ? private_port + "/tcp" : private_port;
    auto found = network_ports.is_object() ? network_ports.find(key) : network_ports.end();
    if (found == network_ports.end() || !found->is_array())
      throw Error(fmt::format("No public port '{}' published for {}", key, container), 1);
    for (const auto& binding : *found)
      lines.push_back(fmt::format("{}:{}", binding.value("HostIp", ""), binding.value("HostPort", "")));
    return lines;
  }
  if (network_ports.is_object())  // an object's keys come sorted: docker's order here
    for (const auto& [key, bindings] : network_ports.items())
      if (bindings.is_array())
        for (const auto& binding : bindings)
          lines.push_back(fmt::format("{} -> {}:{}", key, binding.value("HostIp", ""), binding.value("HostPort", "")));
  return lines;
}

}  // namespace dockling::ch10
