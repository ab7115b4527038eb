/// @file signal_forwarder.hpp
/// @brief Passes the signals a user sends to the runtime on to the command it runs.
#pragma once

#include <sys/types.h>

#include <csignal>
#include <vector>

namespace dockling::ch00 {

/// While alive, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 sent to this process
/// are sent on to the command (as `docker run` does with --sig-proxy). The handlers are
/// installed without SA_RESTART, so a blocking waitpid returns EINTR after each one.
/// The destructor restores the previous handlers.
///
/// Create it before the child exists and call forward_to() once it does: a signal that
/// arrives in between is kept and delivered then, instead of killing the runtime.
class SignalForwarder {
 public:
  SignalForwarder();
  /// From now on, forward to `target`; first delivers the signals kept so far.
  void forward_to(pid_t target);
  SignalForwarder(const SignalForwarder&) = delete;
  SignalForwarder& operator=(const SignalForwarder&) = delete;
  ~SignalForwarder();

  /// The signals that are forwarded.
  static const std::vector<int>& signals();

 private:
  std::vector<struct sigaction> previous_;
};

}  // namespace dockling::ch00
