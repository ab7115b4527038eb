/// @file swarm_manager.hpp
/// @brief A swarm manager: the store, the orchestrator and scheduler loop, and the dispatcher
/// the agents talk to. The Engine API's swarm routes (swarm_mode.hpp) call it for docker's
/// `service`, `node` and `swarm` commands.
///
/// Desired state (services) lives in the store; the loop compares it with the actual state
/// (tasks, as the agents report them) and writes what must change: new tasks, their nodes, the
/// desired state of tasks to stop. Agents only ever read their tasks and report states forward.
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "swarm_model.hpp"
#include "swarm_store.hpp"
#include "swarm_update.hpp"

namespace dockling::ch15 {

/// docker's API filters: {"name": {"logger": true}} (or the old {"name": ["logger"]}).
using Filters = std::map<std::string, std::vector<std::string>>;
/// The filters of a `filters=` query parameter. @throws Error (400) for malformed JSON.
Filters parse_filters(const std::string& text);
/// Whether the network `network` (as the API shows it) passes `network ls`'s filters: id and
/// name (prefixes), driver and scope.
bool network_passes(const Filters& filters, const nlohmann::json& network);

/// What a node says of itself when it joins (or when the first manager starts the swarm).
struct NodeDescription {
  std::string hostname;          ///< its host name: one joining node per name, unless the other is down
  std::string addr;              ///< the address others reach it on (its advertise address)
  std::string listen_addr;       ///< where its swarm port listens, "HOST:PORT"
  std::int64_t memory_bytes = 0;  ///< its physical memory, bytes (Resources.MemoryBytes)
  std::int64_t nano_cpus = 0;     ///< its CPUs in billionths (docker's NanoCPUs: 4 CPUs = 4000000000)
};

/// What a node gets when it joins: its identity and what it needs to talk to the swarm.
struct NodeCredentials {
  std::string node_id;   ///< the node's new id, 25 base-36 characters (swarmkit's form)
  std::string secret;    ///< the node's own secret: its agent authenticates with it
  std::string node_key;  ///< the key managers present when they call a node (logs)
  std::string cluster_id;  ///< the swarm's id (docker's ClusterID)
  std::string role;      ///< "manager" or "worker"
};

/// The manager of one swarm; one a daemon.
class SwarmManager {
 public:
  /// Opens the manager's state in `dir` (state.db and manager.key), made by create().
  /// `heartbeat`: how often agents call; a node silent for three periods is down.
  SwarmManager(const std::filesystem::path& dir, std::chrono::milliseconds heartbeat);
  ~SwarmManager();
  SwarmManager(const SwarmManager&) = delete;
  SwarmManager& operator=(const SwarmManager&) = delete;

  /// Makes a new swarm in `dir` with this node as its only manager.
  static NodeCredentials create(const std::filesystem::path& dir, const NodeDescription& self,
                                std::chrono::milliseconds heartbeat);
  /// True when `dir` holds a manager's state.
  static bool exists(const std::filesystem::path& dir);

  /// Starts the orchestrator loop.
  void start();
  /// Ends it (and wakes the agents' waiting calls).
  void stop();

  // docker's API (swarm_mode.cpp routes to these; errors as ch14::ApiError)
  /// GET /swarm: the swarm (cluster) object with its two join tokens.
  nlohmann::json swarm_json();
  /// The "Swarm" part of GET /info as node `self_id` (this manager's node) shows it.
  nlohmann::json info_json(const std::string& self_id);
  /// GET /nodes: the nodes that pass `filters` (id, name: the hostname, role).
  nlohmann::json nodes(const Filters& filters);
  /// GET /nodes/NAME: the node with that id, hostname or id prefix. @throws ApiError 404, 400.
  nlohmann::json node(const std::string& name);
  /// POST /nodes/NAME/update: sets Availability and Labels. `version`: the node's Version.Index,
  /// as read (else 500, update out of sequence). A role change is refused (400).
  void update_node(const std::string& name, std::uint64_t version, const nlohmann::json& spec);
  /// DELETE /nodes/NAME: a worker that is down, or any worker with `force`; never a manager.
  void remove_node(const std::string& name, bool force);
  /// GET /services: those that pass `filters` (id, name, mode); `status` adds ServiceStatus
  /// (running and desired task counts).
  nlohmann::json services(const Filters& filters, bool status);
  /// GET /services/NAME: the service with that id, name or id prefix. @throws ApiError 404, 400.
  nlohmann::json service(const std::string& name);
  /// POST /services/create: checks `spec` and stores a new service; returns its id.
  /// @throws ApiError 400 for a bad spec, 409 for a name in use.
  std::string create_service(const nlohmann::json& spec);
  /// POST /services/NAME/update: `spec` becomes the spec (the old one becomes PreviousSpec), or with
  /// `rollback` PreviousSpec does. `version` as update_node's. New tasks roll out when
  /// TaskTemplate changed.
  void update_service(const std::string& name, std::uint64_t version, const nlohmann::json& spec, bool rollback);
  /// DELETE /services/NAME: the service goes and its tasks are marked to be removed.
  void remove_service(const std::string& name);
  /// GET /networks: the overlay networks that pass `filters` (id, name, driver, scope).
  nlohmann::json networks(const Filters& filters);
  /// GET /networks/NAME: the network with that id, name or id prefix. @throws ApiError 404.
  nlohmann::json network(const std::string& name);
  /// Whether a swarm network has that id, name or id prefix.
  bool has_network(const std::string& name);
  /// POST /networks/create: a new overlay network (swarm_networks.hpp); returns its id.
  std::string create_network(const nlohmann::json& request);
  /// DELETE /networks/NAME: refused (403) while a service uses it, as docker does.
  void remove_network(const std::string& name);
  /// GET /tasks: those that pass `filters` (service and node by id, name or prefix; id, name,
  /// desired-state).
  nlohmann::json tasks(const Filters& filters);
  /// GET /tasks/ID: the task with that id or id prefix. @throws ApiError 404.
  nlohmann::json task(const std::string& id);
  /// The worker or manager token (docker's SWMTKN-1-...).
  std::string join_token(const std::string& role);
  /// A new token for `role`: the old one stops working.
  void rotate_token(const std::string& role);

  // the dispatcher (agents)
  /// A node joins with `token`. @throws ApiError 403 for a wrong token, 409 for a hostname in use.
  NodeCredentials join(const std::string& token, const NodeDescription& node);
  /// An agent's call: checks its secret, notes the heartbeat, and answers its tasks. When they
  /// are those the agent already has (`digest`), waits up to `wait` for a change first.
  nlohmann::json session(const std::string& node_id, const std::string& secret, const std::string& digest,
                         std::chrono::milliseconds wait);
  /// An agent reports its tasks' states; a state never moves back.
  void report(const std::string& node_id, const std::string& secret, const nlohmann::json& statuses);
  /// A worker leaves: it is down at once.
  void leave(const std::string& node_id, const std::string& secret);
  /// The address (HOST:PORT of its swarm port) and key to reach node `node_id` for its logs.
  std::pair<std::string, std::string> node_endpoint(const std::string& node_id);
  /// The key every node was given at join (managers present it to nodes).
  std::string node_key();

 private:
  void loop();
  void orchestrate();
  void check_heartbeats(std::vector<StoreChange>& changes);
  void reconcile_services(std::vector<StoreChange>& changes);
  void schedule(std::vector<StoreChange>& changes);
  void collect_garbage(std::vector<StoreChange>& changes);
  void apply(std::vector<StoreChange> changes);
  const nlohmann::json& find_node(const std::string& name);
  const nlohmann::json& find_service(const std::string& name);
  /// `spec` with each TaskTemplate.Networks Target (a network's name, id or id prefix) as the
  /// network's id. @throws ApiError 404 naming a network there is none of.
  nlohmann::json with_network_ids(nlohmann::json spec);
  /// The Endpoint of service `service_id` for `spec` (service_endpoint), refused when it
  /// publishes ports on a service with a network of its own. @throws ApiError 400.
  nlohmann::json endpoint_of(const nlohmann::json& spec, const std::string& service_id);
  const nlohmann::json* authenticate(const std::string& node_id, const std::string& secret);
  std::vector<NodeInfo> node_infos();
  std::string token_secret(const std::string& role);

  std::filesystem::path dir_;
  std::chrono::milliseconds heartbeat_;
  std::string key_;  ///< manager.key: the tokens' secrets derive from it
  std::mutex mutex_;
  std::condition_variable changed_;  ///< the store changed, or stop
  SwarmStore store_;
  std::map<std::string, std::chrono::steady_clock::time_point> last_seen_;
  /// Tasks whose replacement waits for the restart delay: task id → when it may be replaced.
  std::map<std::string, std::chrono::steady_clock::time_point> restart_at_;
  /// The updates under way, by service id (swarm_update.hpp).
  std::map<std::string, Rollout> rollouts_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace dockling::ch15
