/// @file config_instruction.hpp
/// @brief The instructions that only edit the image config (ENV LABEL MAINTAINER EXPOSE
/// VOLUME STOPSIGNAL USER CMD ENTRYPOINT SHELL ONBUILD HEALTHCHECK), as BuildKit applies them,
/// and the small readers of an instruction and a config the builder shares.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "build.hpp"
#include "dockerfile.hpp"

namespace dockling::ch11 {

/// The PATH every stage has (BuildKit's system.DefaultPathEnv on Linux).
inline constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// True for the instructions apply_config_instruction() handles (no layer, no process).
bool edits_config_only(const std::string& keyword);

/// Applies one config-only instruction (variables already substituted) to `image`, the
/// whole image config (its "config" object, and "author" for MAINTAINER). Docker's rules:
/// the shell form of CMD and ENTRYPOINT goes through SHELL (default `/bin/sh -c`); an
/// ENTRYPOINT drops a CMD the stage did not set itself (`cmd_set`, set by CMD); EXPOSE takes
/// ranges and protocols (`8000-8002/udp` is three ports); HEALTHCHECK takes NONE or CMD with
/// --interval, --timeout, --start-period, --start-interval (Go durations) and --retries.
/// @throws Error with docker's words ("invalid containerPort: x"); the caller names the line.
void apply_config_instruction(nlohmann::ordered_json& image, const Instruction& instruction, bool& cmd_set);

/// The config's Env as variables (what `$NAME` expands to).
Variables env_of(const nlohmann::ordered_json& config);
/// Sets NAME=VALUE in the config's Env, in place of an entry with that name, else at the end.
void set_env(nlohmann::ordered_json& config, const std::string& name, const std::string& value);

/// The value of an instruction's `--NAME=VALUE` flag; nullopt when it was not given.
std::optional<std::string> flag_value(const Instruction& instruction, const std::string& name);
/// @throws Error "unknown flag: NAME" for a flag not in `allowed`.
void check_flags(const Instruction& instruction, std::initializer_list<const char*> allowed);

/// Go's time.ParseDuration, in nanoseconds: "30s", "1m30s", "500ms", "1.5h".
/// @throws Error "time: invalid duration \"x\"" / "time: missing unit in duration \"30\"".
std::int64_t parse_duration(const std::string& text);

}  // namespace dockling::ch11
