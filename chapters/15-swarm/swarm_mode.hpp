/// @file swarm_mode.hpp
/// @brief Swarm mode in chapter 14's daemon: docker's swarm, service, node and task routes of
/// the Engine API, the node's swarm port (TCP, 2377 by default: agents, joins, logs between
/// nodes), and the node's manager and agent.
///
/// ROOT/swarm/node.json says what this node is in which swarm; ROOT/swarm/manager/ holds a
/// manager's store. A daemon that starts with them takes its place in the swarm again.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "dockling/fd.hpp"
#include "dockling/state.hpp"
#include "engine_daemon.hpp"
#include "http_server.hpp"
#include "swarm_agent.hpp"
#include "swarm_manager.hpp"

namespace dockling::ch15 {

/// The daemon's swarm mode (a chapter 14 DaemonExtension).
class SwarmMode : public ch14::DaemonExtension {
 public:
  /// Swarm mode for the daemon of `root`; its agent will call this daemon where `options`
  /// has it listen (-H, else ROOT/engine.sock). Nothing starts before start().
  SwarmMode(const StateRoot& root, const ch14::DaemonOptions& options);
  ~SwarmMode() override;

  std::optional<ch12::http::Response> route(ch12::http::Request& request, const std::string& path) override;
  void add_info(nlohmann::json& info) override;
  /// The flags of a task container on one of this node's overlay networks (its agent's).
  std::optional<std::vector<std::string>> network_flags(const std::string& network,
                                                        const nlohmann::json& endpoint) override;
  /// Takes this node's place in its swarm again, if it had one.
  void start() override;
  void stop() override;

 private:
  /// What ROOT/swarm/node.json records.
  struct Membership {
    std::string node_id;
    std::string role;        ///< "manager" or "worker"
    std::string secret;      ///< the agent's credential
    std::string node_key;    ///< what managers present to this node's swarm port
    std::string manager;     ///< the manager's swarm port, HOST:PORT
    std::string addr;        ///< this node's advertise address (an IP)
    std::string listen_addr; ///< where this node's swarm port listens, HOST:PORT
    std::string cluster_id;
  };

  ch12::http::Response init(ch12::http::Request& request);
  ch12::http::Response join(ch12::http::Request& request);
  ch12::http::Response leave(ch12::http::Request& request);
  ch12::http::Response update_swarm(ch12::http::Request& request);
  ch12::http::Response service_logs(ch12::http::Request& request, const std::string& name);
  /// Answers the swarm port: joins, agents' sessions and reports, logs between nodes.
  ch12::http::Response rpc(ch12::http::Request& request);
  /// Starts the swarm port, the manager (if this node is one) and the agent.
  void begin(const Membership& membership);
  void end();
  /// The manager, when this node is one (call with mutex_ held). @throws ApiError 503.
  std::shared_ptr<SwarmManager> manager();
  /// True when this node is in a swarm.
  bool member();
  void save(const Membership& membership);

  const StateRoot& root_;
  std::string engine_;  ///< this daemon's own API, unix:///PATH
  std::mutex changing_;  ///< one init, join, leave, start or stop at a time (they take long)
  std::mutex mutex_;     ///< the members below, held only to read or swap them
  std::optional<Membership> membership_;
  std::shared_ptr<SwarmManager> manager_;  ///< shared: a request keeps it while it answers
  std::shared_ptr<SwarmAgent> agent_;
  std::unique_ptr<ch12::http::Listener> listener_;
  UniqueFd listener_stop_;  ///< an eventfd: written to end the swarm port's server
  std::thread server_;
};

}  // namespace dockling::ch15
