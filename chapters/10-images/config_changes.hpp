/// @file config_changes.hpp
/// @brief An image's container config as docker prints it, and `import --change`: Dockerfile
/// instructions (`CMD ["x"]`, `ENV a=b`, `EXPOSE 80/udp`, …) applied to that config.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace dockling::ch10 {

/// Docker's container config (Go's container.Config) in its field order, from an image
/// config's "config" object (OCI or docker): every field docker always prints, with its
/// zero value when missing ("", false, null), and the `omitempty` ones (ExposedPorts,
/// Healthcheck, StopSignal, …) only when set. `config` may be null: all zero.
nlohmann::ordered_json docker_container_config(const nlohmann::json& config);

/// The config's Env ("NAME=VALUE" entries) as a table by name: what `$NAME` expands to. An
/// entry without '=' is the name with an empty value.
std::map<std::string, std::string> env_map(const nlohmann::ordered_json& config);

/// Applies the `--change` instructions to `config` (a docker_container_config()), in order,
/// as docker's import and commit do: CMD, ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK, LABEL,
/// ONBUILD, USER, VOLUME, WORKDIR, in JSON or shell form (a shell-form CMD becomes
/// ["/bin/sh", "-c", "…"]); `$VAR`, `${VAR}` and `${VAR:-word}` expand from the config's Env
/// where docker expands them.
/// @throws Error (exit code 1) with docker's words: "stopsignal is not a valid change command",
/// "ENV must have two arguments", "Invalid containerPort: abc", "file with no instructions".
void apply_changes(nlohmann::ordered_json& config, const std::vector<std::string>& changes);

}  // namespace dockling::ch10
