/// @file create_request.hpp
/// @brief POST /containers/create: docker's Config and HostConfig JSON turned into the `run`
/// flags of chapters 01-13, which the monitor parses with the same steps as `run`. One
/// reading of every flag, whether it came from a command line or from the API.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dockling::ch14 {

/// The `run` flags that put a container on the network named `network`, one that a later
/// chapter adds (chapter 15's overlay networks), with docker's endpoint settings `endpoint`
/// (NetworkingConfig.EndpointsConfig[network]: IPAMConfig.IPv4Address); nullopt when there
/// is no such network.
using NetworkFlags =
    std::function<std::optional<std::vector<std::string>>(const std::string& network, const nlohmann::json& endpoint)>;

/// `run` and its arguments for the create request `body` (docker's ContainerConfig with its
/// HostConfig), naming the container `name` ("" for a generated one): flags first, then the
/// image and the command. Fields this engine does not know are ignored, as dockerd ignores
/// unknown fields; a field of the wrong type is refused.
/// HostConfig.NetworkMode is bridge, none, host, or a network that `networks` knows.
/// @throws Error (exit code 400, the HTTP status) naming the field; 404 for an unknown network.
std::vector<std::string> run_arguments(const nlohmann::json& body, const std::string& name,
                                       const NetworkFlags& networks = {});

}  // namespace dockling::ch14
