/// @file build_interrupt.hpp
/// @brief A build stops cleanly on SIGINT, SIGTERM and SIGHUP: the signal is noted, what runs
/// is ended and cleaned up, and the build then fails with 128 + the signal's number.
#pragma once

#include <array>
#include <csignal>

namespace dockling::ch11 {

/// The build's handlers for the signals that end it, for this object's lifetime; installed
/// without SA_RESTART, so that a read or wait returns EINTR and the builder can end what runs.
class InterruptHandlers {
 public:
  InterruptHandlers();
  ~InterruptHandlers();
  InterruptHandlers(const InterruptHandlers&) = delete;
  InterruptHandlers& operator=(const InterruptHandlers&) = delete;

 private:
  static constexpr std::array<int, 3> kSignals{SIGINT, SIGTERM, SIGHUP};
  std::array<struct sigaction, 3> previous_{};
};

/// The signal that asked the build to stop, 0 while none did.
int interrupting_signal() noexcept;

/// Throws Error "build interrupted by SIGINT: ..." (exit code 128 + the signal) once a signal
/// asked the build to stop; nothing otherwise.
void stop_if_interrupted();

}  // namespace dockling::ch11
