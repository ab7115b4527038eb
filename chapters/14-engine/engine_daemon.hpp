/// @file engine_daemon.hpp
/// @brief `ch14-engine daemon`: the Engine API on a unix socket, in the foreground, like dockerd.
#pragma once

#include <string>

#include "dockling/state.hpp"

namespace dockling::ch14 {

/// The daemon's options.
struct DaemonOptions {
  /// Where to listen: unix:///PATH (docker's form), unix:PATH, or "" for ROOT/engine.sock.
  std::string host;
  /// Where the daemon's own log goes; "" for stderr.
  std::string log_file;
};

/// Serves the Engine API for `root` until SIGINT or SIGTERM. One daemon a state root: another
/// one holding it is refused, naming its pid; a socket left by a killed daemon is replaced.
/// The socket is root's, mode 0660, as dockerd's. Containers outlive the daemon (each has its
/// monitor): a new daemon serves them again.
/// @returns 0 after a clean stop. @throws Error naming the root or the address.
int run_daemon(const StateRoot& root, const DaemonOptions& options);

}  // namespace dockling::ch14
