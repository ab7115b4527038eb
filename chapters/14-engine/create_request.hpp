/// @file create_request.hpp
/// @brief POST /containers/create: docker's Config and HostConfig JSON turned into the `run`
/// flags of chapters 01-13, which the monitor parses with the same steps as `run`. One
/// reading of every flag, whether it came from a command line or from the API.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dockling::ch14 {

/// `run` and its arguments for the create request `body` (docker's ContainerConfig with its
/// HostConfig), naming the container `name` ("" for a generated one): flags first, then the
/// image and the command. Fields this engine does not know are ignored, as dockerd ignores
/// unknown fields; a field of the wrong type is refused.
/// @throws Error (exit code 400, the HTTP status) naming the field.
std::vector<std::string> run_arguments(const nlohmann::json& body, const std::string& name);

}  // namespace dockling::ch14
