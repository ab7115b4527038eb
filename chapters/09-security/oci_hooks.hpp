/// @file oci_hooks.hpp
/// @brief An OCI bundle's hooks (ContainerSpec::hooks): read from config.json, and run with the
/// container's state as JSON on their standard input.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "spec.hpp"

namespace dockling::ch09 {

/// Reads config.json's `hooks`; `warnings` gets the keys the spec does not know.
/// @throws Error naming the field, e.g. `config.json: hooks.prestart[1].path: must be an absolute path`.
Hooks parse_hooks(const nlohmann::json& hooks, std::vector<std::string>& warnings);

/// The state the spec hands to hooks: ociVersion, id, status, pid (when > 0), bundle, annotations.
std::string hook_state(const std::string& id, const std::string& status, pid_t pid, const std::string& bundle,
                       const nlohmann::json& annotations);

/// Runs `hook` with `state` on its standard input and waits for it, killing it after its
/// timeout. @throws Error naming the hook's field and path when it cannot start, times out,
/// or does not exit 0.
void run_hook(const Hook& hook, const std::string& state);

}  // namespace dockling::ch09
