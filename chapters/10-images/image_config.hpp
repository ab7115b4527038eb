/// @file image_config.hpp
/// @brief What an image's config gives a container, with docker's rules for combining it
/// with `run`'s command line.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "spec.hpp"

namespace dockling::ch10 {

/// What `run` was told beside the image.
struct RunOverrides {
  std::vector<std::string> command;       ///< COMMAND [ARG...]; empty: none was given
  std::optional<std::string> entrypoint;  ///< --entrypoint; "" clears the image's
};

/// The command docker runs: the entrypoint (--entrypoint, else the image's), followed by
/// the command line's COMMAND, else the image's Cmd. An --entrypoint drops the image's Cmd,
/// as docker does. `config` is the image config's "config" object.
/// @throws Error "No command specified" when both end up empty.
std::vector<std::string> image_command(const nlohmann::json& config, const RunOverrides& overrides);

/// Writes the image config's defaults into `spec`, before the flags of later steps override
/// them: the command (image_command()), Env (docker's default PATH added when it has
/// none), WorkingDir, User, and ExposedPorts (what -P publishes).
void apply_image_config(const nlohmann::json& config, const RunOverrides& overrides, ContainerSpec& spec);

}  // namespace dockling::ch10
