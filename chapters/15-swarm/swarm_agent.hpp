/// @file swarm_agent.hpp
/// @brief A node's agent: it asks its manager for the node's tasks (the call is its
/// heartbeat), runs each as a chapter 14 container through its own daemon's Engine API, and
/// reports every state the task reaches.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "overlay_links.hpp"
#include "service_dns.hpp"

namespace dockling::ch15 {

/// Who the agent is and whom it talks to.
struct AgentConfig {
  std::string manager;  ///< the manager's swarm port, "HOST:PORT"
  std::string node_id;  ///< this node's id, given at join; with the secret, its Bearer credential
  std::string secret;   ///< the node's secret, given at join
  std::string engine;   ///< this node's Engine API, "unix:///PATH"
};

/// The agent of one node; its threads run until stop().
class SwarmAgent {
 public:
  /// An agent for `config`; nothing runs until start().
  explicit SwarmAgent(AgentConfig config);
  ~SwarmAgent();
  SwarmAgent(const SwarmAgent&) = delete;
  SwarmAgent& operator=(const SwarmAgent&) = delete;

  /// Adopts the task containers this daemon already runs (after a restart), and starts.
  void start();
  /// Stops asking and reporting; containers run on.
  void stop();
  /// Tells the manager this node leaves (best effort, when `tell`), stops, and removes every
  /// task container.
  void leave(bool tell);

  /// The name of a task's container: SERVICE.SLOT.TASKID (a global task: SERVICE.NODEID.TASKID).
  static std::string container_name(const nlohmann::json& task);
  /// The `run` flags of a task container on the overlay network `name` (this host's bridge
  /// of it, its subnet, the address in `endpoint`'s IPAMConfig.IPv4Address, the network's
  /// names server); nullopt when this node has no such network. For the engine's create.
  std::optional<std::vector<std::string>> network_flags(const std::string& name, const nlohmann::json& endpoint);

 private:
  /// An overlay network this node's tasks are on.
  struct Network {
    std::string id;
    int vni = 0;
    std::string subnet;   ///< "10.0.1.0/24"
    std::string gateway;  ///< "10.0.1.1": the bridge's address here, and the names server's
    std::set<OverlayPeer> peers;  ///< the tasks on other hosts, as the VXLAN link knows them
    std::string own_address;      ///< ingress: this host's address on it, once given to the bridge
    std::string mesh;             ///< ingress: the routing mesh's table as last applied
  };
  /// Makes the links and the names server of the network `name` on this host (once); call
  /// with mutex_ held.
  Network& plumb(const std::string& name, const std::string& id, int vni, const std::string& subnet,
                 const std::string& gateway);
  /// Undoes plumb(): the names server and the links go.
  void unplumb(const Network& network);
  /// The networks as the manager sees them (its session's "Networks"): links, peers, names;
  /// a network that is no longer listed is unplumbed. Call without mutex_ held.
  void sync_networks(const nlohmann::json& networks);
  /// The ingress network's part (routing_mesh.hpp): this host's own address on the bridge, and
  /// the published ports' table, from the session's entry for it. Call with mutex_ held.
  void sync_mesh(Network& network, const nlohmann::json& entry);
  /// The create request's network fields for `task`'s first network attachment, plumbed.
  void attach(const nlohmann::json& task, nlohmann::json& body);
  /// What the agent knows of one task's container.
  struct Entry {
    std::string container;    ///< its id, once created
    std::string phase;        ///< "starting", "running", "stopping", "ended"
  };
  void loop();
  /// Takes on the task containers this node's daemon already has (after a restart).
  void adopt();
  void handle(const nlohmann::json& tasks);
  void watch_containers();
  void run_task(nlohmann::json task);
  /// Runs `work` on a thread of its own; call with mutex_ held. stop() waits for them all.
  void spawn(std::function<void()> work);
  void stop_task(const std::string& task_id, const std::string& container, std::int64_t grace_seconds);
  void remove_container(const std::string& container);
  /// Sends one state of a task to the manager (retried while it is unreachable, briefly).
  void report(nlohmann::json status);
  nlohmann::json engine_call(const std::string& method, const std::string& target, const std::string& body = "",
                             int* status = nullptr);

  AgentConfig config_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::map<std::string, Entry> entries_;  ///< by task id
  std::string node_addr_;            ///< this node's address, as the manager knows it (VXLAN's source)
  std::map<std::string, Network> networks_;  ///< by name; mutex_
  ServiceDns dns_;                   ///< the networks' names, on their gateway addresses
  int workers_ = 0;                  ///< threads of spawn() still running
  std::condition_variable idle_;     ///< workers_ reached 0
  std::thread thread_;
};

}  // namespace dockling::ch15
