/// @file engine_api.hpp
/// @brief The Docker Engine API (version 1.41) over chapter 12's HTTP server: what the docker
/// CLI asks for `run`, `ps`, `logs`, `stop`, `rm`, `inspect`, `images` and `version`.
///
/// Containers are chapter 10's records (ROOT/containers/ID/config.json, docker's inspect
/// shape), each held by a monitor process (monitor.hpp); the handlers read the records, talk
/// to the monitors through their control FIFOs, and signal the containers' processes. So a
/// daemon can stop and start again without touching its containers.
#pragma once

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "container_store.hpp"
#include "dockling/state.hpp"
#include "engine_exec.hpp"
#include "http_server.hpp"
#include "image_transfer.hpp"

namespace dockling::ch14 {

/// The API version this engine speaks (Debian 12's docker CLI; newer CLIs negotiate down).
inline constexpr const char* kApiVersion = "1.41";

/// What a later chapter adds to the daemon (chapter 15: swarm mode): routes of its own, fields
/// of /info, and work of its own while the daemon runs.
class DaemonExtension {
 public:
  virtual ~DaemonExtension() = default;
  /// Answers `request` (its `path` without the version prefix) when the route is the
  /// extension's; nullopt leaves it to the engine. Errors as EngineApi's (ApiError).
  virtual std::optional<ch12::http::Response> route(ch12::http::Request& request, const std::string& path) = 0;
  /// The `run` flags for a container on `network`, a network of the extension's (chapter 15:
  /// an overlay network); nullopt when it has none of that name. See create_request.hpp.
  virtual std::optional<std::vector<std::string>> network_flags(const std::string& network,
                                                                const nlohmann::json& endpoint) {
    (void)network;
    (void)endpoint;
    return std::nullopt;
  }
  /// Adds to /info's answer (docker's "Swarm" section).
  virtual void add_info(nlohmann::json& info) { (void)info; }
  /// Starts the extension's own work, once the API listens.
  virtual void start() {}
  /// Ends it, when the daemon stops.
  virtual void stop() {}
};

/// The routes of the Engine API.
class EngineApi {
 public:
  /// Serves the state root `root`; `program` is this binary (/proc/self/exe), started as each
  /// container's monitor.
  EngineApi(const StateRoot& root, std::filesystem::path program);

  /// Answers one request; errors as docker's: {"message": "..."} with 400, 404, 409 or 500.
  ch12::http::Response handle(ch12::http::Request& request);
  /// Starts the exited containers whose restart policy is "always", or "unless-stopped" when
  /// the user did not stop them, as dockerd does when it starts. Errors are logged.
  void start_with_daemon();
  /// Routes that `extension` answers come before the engine's (it outlives this object).
  void extend(DaemonExtension* extension) { extension_ = extension; }
  /// Where pulls and pushes go (the daemon's --registry-mirror, --insecure-registry).
  void set_registry(RegistrySettings registry) { registry_ = std::move(registry); }

 private:
  ch12::http::Response route(ch12::http::Request& request, const std::string& path);
  /// The container `text` names (id, prefix or name), as ApiError 404 when there is none. One
  /// whose monitor was killed is cleaned up first, and recorded as exited (137).
  ch10::ContainerRecord container(const std::string& text);
  ch12::http::Response create(ch12::http::Request& request);
  ch12::http::Response start(const std::string& id);
  ch12::http::Response restart(ch12::http::Request& request, const std::string& id);
  /// Starts a monitor (`PROGRAM monitor ROOT OPTIONS... run ...`) and waits for its word:
  /// the id of the container it created. @throws ApiError with the monitor's error.
  std::string spawn_monitor(const std::vector<std::string>& options, const std::vector<std::string>& run_args);
  ch12::http::Response wait(ch12::http::Request& request, const std::string& id);
  ch12::http::Response attach(ch12::http::Request& request, const std::string& id);
  ch12::http::Response logs(ch12::http::Request& request, const std::string& id);
  ch12::http::Response stop(ch12::http::Request& request, const std::string& id);
  ch12::http::Response kill(ch12::http::Request& request, const std::string& id);
  ch12::http::Response top(ch12::http::Request& request, const std::string& id);
  ch12::http::Response stats(ch12::http::Request& request, const std::string& id);
  ch12::http::Response rename(ch12::http::Request& request, const std::string& id);
  ch12::http::Response remove(ch12::http::Request& request, const std::string& id);
  ch12::http::Response list_containers(ch12::http::Request& request);
  ch12::http::Response inspect_container(const std::string& id);
  ch12::http::Response list_images();
  ch12::http::Response inspect_image(const std::string& name);
  ch12::http::Response version();
  ch12::http::Response info();

  const StateRoot& root_;
  std::filesystem::path program_;
  ExecInstances execs_;  ///< `docker exec`'s instances
  std::mutex reaping_;   ///< one clean-up of a container whose monitor was killed at a time
  DaemonExtension* extension_ = nullptr;
  RegistrySettings registry_;
};

}  // namespace dockling::ch14
