/// @file swarm_commands.hpp
/// @brief `swarm init|join|join-token|leave`, `service create|ls|ps|logs|scale|update|rollback|
/// inspect|rm`, `node ls|ps|inspect|update|rm` and `network create|ls|inspect|rm`: clients of the daemon's Engine API (the same
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
  CLI::App* swarm = nullptr;    ///< `swarm`
  CLI::App* service = nullptr;  ///< `service`
  CLI::App* node = nullptr;     ///< `node`

  // swarm
  CLI::App* init = nullptr;        ///< `swarm init`
  CLI::App* join = nullptr;        ///< `swarm join`
  CLI::App* join_token = nullptr;  ///< `swarm join-token`
  CLI::App* leave = nullptr;       ///< `swarm leave`
  std::string advertise_addr,        ///< `--advertise-addr` of init and join: IP or interface[:port]
      listen_addr = "0.0.0.0:2377",  ///< `--listen-addr` of init and join: where the swarm port listens
      dispatcher_heartbeat,          ///< init's `--dispatcher-heartbeat`: a Go duration ("5s")
      token,                         ///< join's `--token`: SWMTKN-1-...
      remote,                        ///< join's HOST:PORT: a manager's swarm port
      role;                          ///< join-token's ROLE: "worker" or "manager"
  bool rotate = false,  ///< join-token's `--rotate`: a new token, the old one stops working
      force = false;    ///< `-f` of `swarm leave` and `node rm`

  // service
  CLI::App* create = nullptr;    ///< `service create`
  CLI::App* ls = nullptr;        ///< `service ls`
  CLI::App* ps = nullptr;        ///< `service ps`
  CLI::App* logs = nullptr;      ///< `service logs`
  CLI::App* scale = nullptr;     ///< `service scale`
  CLI::App* update = nullptr;    ///< `service update`
  CLI::App* rollback = nullptr;  ///< `service rollback`
  CLI::App* inspect = nullptr;   ///< `service inspect`
  CLI::App* rm = nullptr;        ///< `service rm`
  CreateOptions create_options;  ///< create's flags; update reads its `--update-*` ones too
  std::optional<std::string> image;       ///< update's `--image`
  std::vector<std::string> env_add;       ///< update's `--env-add`: KEY=VALUE each
  std::vector<std::string> env_rm;        ///< update's `--env-rm`: KEY each
  std::vector<std::string> constraint_add,  ///< update's `--constraint-add`
      constraint_rm;                        ///< update's `--constraint-rm`: removed as written
  std::vector<std::string> publish_add,  ///< update's `--publish-add`: as create's `-p`
      publish_rm;                        ///< update's `--publish-rm`: by target port ("80", "8080:80/udp")
  std::optional<std::uint64_t> replicas;  ///< update's `--replicas`
  bool detach = false,        ///< `-d`: do not wait for the service to converge
      quiet = false,          ///< `-q`: ids (or the token) only; no progress for create, update, rollback
      no_trunc = false,       ///< `--no-trunc`
      pretty = false,         ///< inspect's `--pretty`: text instead of JSON
      force_update = false;   ///< update's `--force`: replace the tasks even with no change
  std::vector<std::string> filters;  ///< `-f`/`--filter`: KEY=VALUE each ("name=web")
  std::string format;                ///< `--format`: a Go template
  std::vector<std::string> targets;  ///< SERVICE..., NODE..., NAME=N...
  std::string target;                ///< the one SERVICE (or task, for logs) or NODE
  bool follow = false,        ///< logs' `-f`: keep streaming
      timestamps = false,     ///< logs' `-t`
      no_task_ids = false,    ///< logs' `--no-task-ids`
      raw = false;            ///< logs' `--raw`: no "NAME@NODE | " prefix
  std::string tail;  ///< logs' `-n`: a line count, or "" / "all" for every line

  // node
  CLI::App* node_ls = nullptr;       ///< `node ls`
  CLI::App* node_ps = nullptr;       ///< `node ps`
  CLI::App* node_inspect = nullptr;  ///< `node inspect`
  CLI::App* node_update = nullptr;   ///< `node update`
  CLI::App* node_rm = nullptr;       ///< `node rm`
  std::string availability,  ///< node update's `--availability`: "active", "pause" or "drain"
      node_role;             ///< node update's `--role`: "worker" or "manager"

  // network (beside chapter 04's `network prune`)
  CLI::App* network_create = nullptr;   ///< `network create`
  CLI::App* network_ls = nullptr;       ///< `network ls`
  CLI::App* network_inspect = nullptr;  ///< `network inspect`
  CLI::App* network_rm = nullptr;       ///< `network rm`
  std::string driver = "bridge";        ///< network create's `-d`: "overlay" (docker's default: bridge)
  std::vector<std::string> subnets;     ///< network create's `--subnet`: CIDR each (one used)
  bool attachable = false;              ///< network create's `--attachable`
};

/// Adds `swarm`, `service` and `node` with their subcommands to `app`, and the overlay network
/// commands to its `network` (made here if no earlier chapter made it).
void add_swarm_commands(CLI::App& app, SwarmCommands& commands);
/// Runs the chosen swarm command against the daemon (DOCKLING_HOST, else ROOT/engine.sock);
/// nullopt when none of them was chosen.
std::optional<int> run_swarm_commands(const StateRoot& root, SwarmCommands& commands);

}  // namespace dockling::ch15
