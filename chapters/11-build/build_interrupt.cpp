#include "build_interrupt.hpp"

#include <cstring>

#include <fmt/format.h>

#include "dockling/error.hpp"

namespace dockling::ch11 {

namespace {

volatile std::sig_atomic_t interrupted_by = 0;

void note_signal(int signal) { interrupted_by = signal; }

}  // namespace

InterruptHandlers::InterruptHandlers() {
  interrupted_by = 0;
  struct sigaction action {};
  action.sa_handler = note_signal;
  sigemptyset(&action.sa_mask);
  for (size_t i = 0; i < kSignals.size(); ++i) ::sigaction(kSignals[i], &action, &previous_[i]);
}

InterruptHandlers::~InterruptHandlers() {
  for (size_t i = 0; i < kSignals.size(); ++i) ::sigaction(kSignals[i], &previous_[i], nullptr);
}

int interrupting_signal() noexcept { return interrupted_by; }

void stop_if_interrupted() {
  int signal = interrupted_by;
  if (signal == 0) return;
  const char* name = ::sigabbrev_np(signal);
  throw Error(fmt::format("build interrupted by SIG{}: nothing of the unfinished step was kept", name ? name : "?"),
              128 + signal);
}

}  // namespace dockling::ch11
