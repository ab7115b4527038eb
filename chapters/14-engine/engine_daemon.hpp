/// @file engine_daemon.hpp
/// @brief `ch14-engine daemon`: the Engine API on a unix socket, in the foreground, like dockerd.
#pragma once

#include <string>
#include <vector>

#include "dockling/state.hpp"
#include "engine_api.hpp"

namespace dockling::ch14 {

/// The daemon's options.
struct DaemonOptions {
  /// Where to listen: unix:///PATH (docker's form), unix:PATH, or "" for ROOT/engine.sock.
  std::string host;
  /// Where the daemon's own log goes; "" for stderr.
  std::string log_file;
  /// --registry-mirror URL (repeatable): asked first for Docker Hub's images.
  std::vector<std::string> registry_mirrors;
  /// --insecure-registry HOST[:PORT] (repeatable): spoken to over plain http.
  std::vector<std::string> insecure_registries;
};

/// Serves the Engine API for `root` until SIGINT or SIGTERM. One daemon a state root: another
/// one holding it is refused, naming its pid; a socket left by a killed daemon is replaced.
/// The socket is root's, mode 0660, as dockerd's. Containers outlive the daemon (each has its
/// monitor): a new daemon serves them again.
/// @returns 0 after a clean stop. @throws Error naming the root or the address.
/// `extension`, when given, adds its routes and work (chapter 15's swarm mode); it is started
/// once the API listens and stopped before run_daemon returns.
int run_daemon(const StateRoot& root, const DaemonOptions& options, DaemonExtension* extension = nullptr);

}  // namespace dockling::ch14
