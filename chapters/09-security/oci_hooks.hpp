/// @file oci_hooks.hpp
/// @brief An OCI bundle's hooks: programs the runtime runs at points of the container's life,
/// each given the container's state as JSON on its standard input.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dockling::ch09 {

/// One hook of config.json's `hooks`.
struct OciHook {
  std::string field;              ///< "hooks.prestart[0]", for messages
  std::string path;               ///< absolute path of the program, in the runtime's namespaces
  std::vector<std::string> args;  ///< its argv (argv[0] included); empty: just the path
  std::vector<std::string> env;   ///< its whole environment
  std::optional<int> timeout;     ///< seconds; none: no limit
};

/// The hooks of a bundle. From the runtime (the parent): prestart and createRuntime once the
/// container's process exists and waits, poststart once the command runs, poststop after it
/// ended. From the container's process (the child): createContainer in the container's
/// namespaces before pivot_root (the path is the host's), startContainer inside the new root
/// before the command (the path is the container's).
struct OciHooks {
  std::vector<OciHook> prestart;        ///< deprecated by the spec, still run (runc does)
  std::vector<OciHook> create_runtime;  ///< after prestart
  std::vector<OciHook> create_container;  ///< in the child, before pivot_root; a failure stops the start
  std::vector<OciHook> start_container;   ///< in the child, in the new root; a failure stops the start
  std::vector<OciHook> poststart;       ///< a failure is a warning
  std::vector<OciHook> poststop;        ///< a failure is a warning
};

/// Reads config.json's `hooks`; `warnings` gets the keys the spec does not know.
/// @throws Error naming the field, e.g. `config.json: hooks.prestart[1].path: must be an absolute path`.
OciHooks parse_hooks(const nlohmann::json& hooks, std::vector<std::string>& warnings);

/// The state the spec hands to hooks: ociVersion, id, status, pid (when > 0), bundle, annotations.
std::string hook_state(const std::string& id, const std::string& status, pid_t pid, const std::string& bundle,
                       const nlohmann::json& annotations);

/// Runs `hook` with `state` on its standard input and waits for it, killing it after its
/// timeout. @throws Error naming the hook's field and path when it cannot start, times out,
/// or does not exit 0.
void run_hook(const OciHook& hook, const std::string& state);

}  // namespace dockling::ch09
