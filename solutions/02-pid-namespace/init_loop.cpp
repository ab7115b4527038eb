// Chapter 02 exercise, solved.
#include "init_loop.hpp"

#include <sys/wait.h>

#include <cerrno>
#include <csignal>
#include <string>

#include "dockling/error.hpp"
#include "fork_exec.hpp"
#include "init.hpp"

namespace dockling::ch02 {

int run_init(pid_t command) {
  sigset_t signals = init_signals();
  while (true) {
    siginfo_t info;
    int signal = ::sigwaitinfo(&signals, &info);
    if (signal < 0) {
      if (errno == EINTR) continue;  // a signal outside the set (SIGSTOP/SIGCONT, a debugger)
      throw_sys("sigwaitinfo");
    }

    if (signal != SIGCHLD) {
      // ESRCH: the command has just ended and waits to be reaped; its SIGCHLD comes next.
      if (::kill(command, signal) < 0 && errno != ESRCH) throw_sys("kill", std::to_string(command));
      continue;
    }

    // One SIGCHLD may stand for many ended children (pending signals do not queue up), so
    // reap until there is no zombie left. Orphans of the command are reaped here too.
    int exit_code = -1;
    int status = 0;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
      if (pid == command) exit_code = ch00::exit_code_from_status(status);
    }
    if (pid < 0 && errno != ECHILD) throw_sys("waitpid", "-1");
    if (exit_code >= 0) return exit_code;
  }
}

}  // namespace dockling::ch02
