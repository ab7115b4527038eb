/// @file init_loop.hpp
/// @brief Chapter 02's exercise function: the loop of a container's init (PID 1).
///
/// Defined in exercises/02-pid-namespace/init_loop.cpp (the stub you fill in) or
/// solutions/02-pid-namespace/init_loop.cpp.
#pragma once

#include <sys/types.h>

namespace dockling::ch02 {

/// Exercise: the work of an init such as docker's --init (tini). Waits for the signals of
/// init_signals() until the process `command` (a child of the caller) has ended:
///
/// - a forwarded signal (SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2) is sent on to
///   `command`;
/// - SIGCHLD means one or more children ended: reap every zombie child there is (the command's
///   orphans become our children when we are PID 1 or a child subreaper), not just one.
///
/// Returns docker's exit code for `command` (ch00::exit_code_from_status) once it has been
/// reaped, after reaping whatever other zombies are left at that moment.
///
/// Precondition: the caller blocked the signals of init_signals() (sigprocmask) before it
/// forked `command`, so that none is lost or acted on before the loop waits for it.
/// @throws SysError naming the call that failed (sigwaitinfo, waitpid, kill).
int run_init(pid_t command);

}  // namespace dockling::ch02
