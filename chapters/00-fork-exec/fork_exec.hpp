/// @file fork_exec.hpp
/// @brief Chapter 00's exercise functions: start a process, wait for it, decode its end.
///
/// Defined in exercises/00-fork-exec/fork_exec.cpp (the stubs you fill in) or in
/// solutions/00-fork-exec/fork_exec.cpp; the build picks one (see the chapter README).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace dockling::ch00 {

/// Exercise 1: starts `argv` in a new child process and returns the child's pid.
///
/// fork(2); in the child, execvp(3) argv[0] with argv. If exec fails, the child writes
/// its errno (one `int`) to `exec_error_fd` and ends with _exit(127). The descriptor is
/// close-on-exec, so a successful exec closes it and the parent reads end-of-file.
/// @throws SysError when fork fails.
pid_t spawn(const std::vector<std::string>& argv, int exec_error_fd);

/// Exercise 2: waits until process `pid` ends and returns its raw wait status.
///
/// waitpid(2) returns -1 with errno EINTR when a signal handler ran meanwhile (we forward
/// signals with one): wait again then.
/// @throws SysError for any other failure.
int wait_for_exit(pid_t pid);

/// Exercise 3: turns a wait status into docker's exit code: the code the process gave to
/// exit(), or 128 + N when signal N killed it.
int exit_code_from_status(int status);

}  // namespace dockling::ch00
