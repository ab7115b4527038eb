#include "init.hpp"

#include <sys/prctl.h>
#include <unistd.h>

#include "dockling/error.hpp"
#include "dockling/log.hpp"
#include "init_loop.hpp"
#include "signal_forwarder.hpp"

namespace dockling::ch02 {

sigset_t init_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int signal : ch00::SignalForwarder::signals()) sigaddset(&set, signal);
  sigaddset(&set, SIGCHLD);
  return set;
}

void take_terminal() {
  check(::setpgid(0, 0), "setpgid", "the command");
  // A process outside the foreground group gets SIGTTOU for tcsetpgrp unless it ignores it.
  ::signal(SIGTTOU, SIG_IGN);
  check(::tcsetpgrp(STDIN_FILENO, ::getpgrp()), "tcsetpgrp", "the container's terminal");
  ::signal(SIGTTOU, SIG_DFL);
}

void start_init(Container& container) {
  // Children are reaped by hand: SIGCHLD must not be ignored (SIG_IGN would make the kernel
  // reap them behind our back, and we would never see the command's status).
  ::signal(SIGCHLD, SIG_DFL);
  // Blocked before fork: a signal that arrives from now on waits, pending, until the init's
  // loop takes it with sigwaitinfo. Nothing is lost, and no handler runs in between.
  sigset_t signals = init_signals();
  sigset_t previous;
  check(::sigprocmask(SIG_BLOCK, &signals, &previous), "sigprocmask", "SIG_BLOCK");

  pid_t command = check(::fork(), "fork", "init");
  if (command == 0) {
    // The command (PID 2): back to default dispositions (the runtime's forwarding handlers
    // were inherited) and to the old mask, so that it receives signals like any program.
    for (int signal : ch00::SignalForwarder::signals()) ::signal(signal, SIG_DFL);
    ::sigprocmask(SIG_SETMASK, &previous, nullptr);
    if (container.spec.process.terminal) take_terminal();
    return;  // the pipeline execs the command
  }

  // The init (PID 1). It will not exec: close our copy of the socket so that the runtime sees
  // end-of-file once the command has exec'd (the command's copy closes on exec).
  ::close(container.sync_fd);
  container.sync_fd = -1;
  ::prctl(PR_SET_NAME, "init");
  int code = kExitRuntimeFailure;
  try {
    code = run_init(command);
  } catch (const std::exception& e) {
    // The runtime already believes the command runs: say it here, on the shared stderr.
    log::error("init: {}", e.what());
  }
  // _exit, not exit or return: this process is a copy of the runtime; its destructors and
  // atexit handlers belong to the original.
  ::_exit(code);
}

}  // namespace dockling::ch02
