#include "signal_forwarder.hpp"

#include <csignal>

namespace dockling::ch00 {

namespace {
// A signal handler can only reach globals; sig_atomic_t-sized and lock-free.
volatile sig_atomic_t forward_target = 0;

void forward(int signal) {
  if (forward_target > 0) ::kill(forward_target, signal);
}
}  // namespace

const std::vector<int>& SignalForwarder::signals() {
  static const std::vector<int> list = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
  return list;
}

SignalForwarder::SignalForwarder(pid_t target) {
  forward_target = target;
  struct sigaction action {};
  action.sa_handler = forward;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: the waiting loop sees EINTR and waits again
  for (int signal : signals()) {
    struct sigaction old {};
    ::sigaction(signal, &action, &old);
    previous_.push_back(old);
  }
}

SignalForwarder::~SignalForwarder() {
  for (size_t i = 0; i < signals().size(); ++i) ::sigaction(signals()[i], &previous_[i], nullptr);
  forward_target = 0;
}

}  // namespace dockling::ch00
