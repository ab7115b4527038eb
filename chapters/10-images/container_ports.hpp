/// @file container_ports.hpp
/// @brief A kept container's ports in docker's shapes: HostConfig.PortBindings (what -p
/// asked), NetworkSettings.Ports (what is published while it runs, exposed-only ports as
/// null), `ps`'s PORTS column and `port`'s lines.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "spec.hpp"

namespace dockling::ch10 {

/// Config.ExposedPorts: {"80/tcp": {}, ...}.
nlohmann::json exposed_ports_json(const std::vector<PortMapping>& exposed);
/// HostConfig.PortBindings: {"80/tcp": [{"HostIp": "", "HostPort": "8080"}], ...}.
nlohmann::json port_bindings_json(const std::vector<PortMapping>& ports);
/// NetworkSettings.Ports of a running container: each exposed port with its host
/// bindings (HostIp "0.0.0.0" for any address), or null when it is not published.
/// @param exposed the exposed ports (-p's among them)
/// @param published the published mappings, -P's chosen ports included
nlohmann::json network_ports_json(const std::vector<PortMapping>& exposed, const std::vector<PortMapping>& published);

/// `ps`'s PORTS column from NetworkSettings.Ports, as docker's DisplayablePorts prints it:
/// sorted by container port, runs of exposed ports as ranges ("7000-7001/tcp"), host
/// mappings last ("0.0.0.0:32768->80/tcp"), joined by ", ".
std::string ps_ports(const nlohmann::json& network_ports);

/// `port`'s lines from NetworkSettings.Ports: "80/tcp -> 0.0.0.0:32768" for each binding,
/// sorted as docker prints them; with `private_port` ("80" or "80/udp") only that port's
/// "0.0.0.0:32768".
/// @param network_ports NetworkSettings.Ports
/// @param private_port "" for every port
/// @param container the name it was asked by, for the error
/// @throws Error "No public port '80/tcp' published for NAME" when it has none.
std::vector<std::string> port_lines(const nlohmann::json& network_ports, const std::string& private_port,
                                    const std::string& container);

}  // namespace dockling::ch10
