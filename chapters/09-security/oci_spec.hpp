/// @file oci_spec.hpp
/// @brief OCI runtime-spec bundles: config.json read into a ContainerSpec, and the default config.json that `oci spec` writes (like `runc spec`).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "capabilities.hpp"
#include "container.hpp"
#include "seccomp_profile.hpp"
#include "security_step.hpp"
#include "userns.hpp"

namespace dockling::ch09 {

/// A bundle read: the container it describes, and what config.json asked that is not honoured.
struct OciBundle {
  /// The container (no id yet): process, root and mounts, devices, names, the namespaces it
  /// joins, the user namespace and its maps, resources (unified files included), masked and
  /// read-only paths, seccomp, sysctls, hooks, the bundle directory and its annotations.
  ContainerSpec spec;
  std::vector<std::string> warnings;  ///< every field read but not honoured, by name
};

/// Reads DIR/config.json. Relative root.path is relative to DIR.
/// @throws Error naming config.json and the field, e.g. `config.json: process.args: missing`.
OciBundle read_bundle(const std::filesystem::path& dir);

/// Parses a config.json already read; `dir` is the bundle directory.
OciBundle parse_bundle(const nlohmann::json& config, const std::filesystem::path& dir);

/// Parses a process.json (`oci exec --process FILE`, runc's -p) by config.json's rules for
/// its process object; what it reads but does not honour goes to `warnings`.
/// @throws Error naming `source` and the field, e.g. `p.json: process.cwd: missing`.
ProcessSpec parse_process(const nlohmann::json& process, const std::string& source, std::vector<std::string>& warnings);

/// The config.json `oci spec` writes: runc spec's defaults (sh in rootfs/, pid, network, ipc,
/// uts and mount namespaces, docker's masked and read-only paths), without a terminal.
nlohmann::json default_spec();

}  // namespace dockling::ch09
