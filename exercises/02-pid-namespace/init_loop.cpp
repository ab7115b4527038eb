// Chapter 02 exercise: fill in run_init, then grade it with
//   sudo scripts/grade 2
// Its contract is in chapters/02-pid-namespace/init_loop.hpp; chapters/02-pid-namespace/init.cpp
// shows how the init starts (it blocks the signals, forks the command, then calls you).
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
  // TODO: loop until the command has been reaped.
  // 1. sigset_t signals = init_signals(); they are blocked, so they wait, pending, until you
  //    take one: int signal = ::sigwaitinfo(&signals, &info);  (-1 with errno EINTR: again.)
  //    Why not a signal handler? PID 1 gets no signal it has not asked for: the kernel drops
  //    a signal for PID 1 whose disposition is the default. A blocked signal is always queued.
  // 2. Not SIGCHLD: forward it with ::kill(command, signal). ESRCH only means the command has
  //    just ended (its SIGCHLD is on its way): not an error.
  // 3. SIGCHLD: call ::waitpid(-1, &status, WNOHANG) until it returns 0 (children left, none
  //    ended) or -1 with ECHILD (no children). Why a loop? Two children that end together
  //    raise ONE pending SIGCHLD. Why -1 and not `command`? The orphans the command leaves
  //    behind are now your children: an init that does not reap them fills the process
  //    table with zombies.
  // 4. When one of the reaped pids is `command`, return
  //    ch00::exit_code_from_status(status): 128+N when signal N killed it.
  // Failing calls: throw_sys("sigwaitinfo"), throw_sys("waitpid", "-1"), ...
  (void)command;
  throw NotImplemented("ch02::run_init", "exercises/02-pid-namespace/init_loop.cpp");
}

}  // namespace dockling::ch02
