/// @file init.hpp
/// @brief --init: the process that stays PID 1 while the command runs as its child.
#pragma once

#include <csignal>

#include "container.hpp"

namespace dockling::ch02 {

/// The signals an init waits for: the six it forwards to the command (the runtime's own,
/// ch00::SignalForwarder::signals()) and SIGCHLD, which says a child ended.
sigset_t init_signals();

/// In the command (PID 2) when the container has a terminal (chapter 03's -t), as tini does:
/// a process group of its own, made the terminal's foreground group, so that ^C and ^Z from
/// the terminal reach the command alone, not the init too.
/// @throws SysError when setpgid or tcsetpgrp fails.
void take_terminal();

/// Called in the container's process right before execve(2). Forks: the child returns (and
/// execs the command, as PID 2); the parent stays PID 1, named "init", closes
/// container.sync_fd (the runtime's "the command started" is end-of-file on it), runs
/// run_init() and ends with the command's exit code. Returns only in the child.
/// @throws SysError when sigprocmask or fork fails.
void start_init(Container& container);

}  // namespace dockling::ch02
