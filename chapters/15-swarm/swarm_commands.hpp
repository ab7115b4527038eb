/// @file swarm_commands.hpp
/// @brief `swarm init|join|join-token|leave`, `service create|ls|ps|logs|scale|update|rollback|
/// inspect|rm` and `node ls|ps|inspect|update|rm`: clients of the daemon's Engine API (the same
/// calls the docker CLI makes), printing what docker prints (swarm_cli_format.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "dockling/state.hpp"
#include "swarm_cli_format.hpp"

namespace dockling::ch15 {

/// The swarm commands' subcommands and their parsed flags.
struct SwarmCommands {
  CLI::App* swarm = nullptr;
  CLI::App* service = nullptr;
  CLI::App* node = nullptr;

  // swarm
  CLI::App* init = nullptr;
  CLI::App* join = nullptr;
  CLI::App* join_token = nullptr;
  CLI::App* leave = nullptr;
  std::string advertise_addr, listen_addr = "0.0.0.0:2377", dispatcher_heartbeat, token, remote, role;
  bool rotate = false, force = false;

  // service
  CLI::App* create = nullptr;
  CLI::App* ls = nullptr;
  CLI::App* ps = nullptr;
  CLI::App* logs = nullptr;
  CLI::App* scale = nullptr;
  CLI::App* update = nullptr;
  CLI::App* rollback = nullptr;
  CLI::App* inspect = nullptr;
  CLI::App* rm = nullptr;
  CreateOptions create_options;
  std::optional<std::string> image;
  std::vector<std::string> env_add;
  std::optional<std::uint64_t> replicas;
  bool detach = false, quiet = false, no_trunc = false, pretty = false, force_update = false;
  std::vector<std::string> filters;
  std::string format;
  std::vector<std::string> targets;  ///< SERVICE..., NODE..., NAME=N...
  std::string target;
  bool follow = false, timestamps = false, no_task_ids = false, raw = false;
  std::string tail;

  // node
  CLI::App* node_ls = nullptr;
  CLI::App* node_ps = nullptr;
  CLI::App* node_inspect = nullptr;
  CLI::App* node_update = nullptr;
  CLI::App* node_rm = nullptr;
  std::string availability, node_role;
};

/// Adds `swarm`, `service` and `node` with their subcommands to `app`.
void add_swarm_commands(CLI::App& app, SwarmCommands& commands);
/// Runs the chosen swarm command against the daemon (DOCKLING_HOST, else ROOT/engine.sock);
/// nullopt when none of them was chosen.
std::optional<int> run_swarm_commands(const StateRoot& root, SwarmCommands& commands);

}  // namespace dockling::ch15
