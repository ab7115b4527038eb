#include "signal_forwarder.hpp"

#include <atomic>
#include <csignal>

namespace dockling::ch00 {

namespace {
// A signal handler can only reach globals, and only lock-free atomics safely.
std::atomic<pid_t> forward_target{0};
std::atomic<unsigned long> kept_signals{0};  // bit N: signal N arrived before a target was set

void forward(int signal) {
  pid_t target = forward_target.load();
  if (target > 0) ::kill(target, signal);
  else kept_signals.fetch_or(1UL << signal);
}
}  // namespace

const std::vector<int>& SignalForwarder::signals() {
  static const std::vector<int> list = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
  return list;
}

SignalForwarder::SignalForwarder() {
  forward_target = 0;
  kept_signals = 0;
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

void SignalForwarder::forward_to(pid_t target) {
  forward_target = target;
  unsigned long kept = kept_signals.exchange(0);
  for (int signal : signals())
    if (kept & (1UL << signal)) ::kill(target, signal);
}

SignalForwarder::~SignalForwarder() {
  for (size_t i = 0; i < signals().size(); ++i) ::sigaction(signals()[i], &previous_[i], nullptr);
  forward_target = 0;
}

}  // namespace dockling::ch00
