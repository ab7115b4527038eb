// Chapter 00 exercises: fill in the three functions below, then grade them with
//   sudo scripts/grade 0
// Their contracts are in chapters/00-fork-exec/fork_exec.hpp.
#include "fork_exec.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "dockling/error.hpp"

namespace dockling::ch00 {

pid_t spawn(const std::vector<std::string>& argv, int exec_error_fd) {
  // TODO:
  // 1. exec wants a NULL-terminated char* array: build one from argv (arg.c_str()).
  // 2. pid_t pid = check(::fork(), "fork");
  // 3. In the child (pid == 0): ::execvp(args[0], args.data()). If it returns, exec failed:
  //    write errno (an int) to exec_error_fd, then ::_exit(127). Why _exit and not exit?
  // 4. In the parent: return pid.
  (void)argv;
  (void)exec_error_fd;
  throw NotImplemented("ch00::spawn", "exercises/00-fork-exec/fork_exec.cpp");
}

int wait_for_exit(pid_t pid) {
  // TODO: call ::waitpid(pid, &status, 0). When it returns -1 with errno == EINTR, a signal
  // arrived (we forward it to the child): call it again. Other errors: throw_sys("waitpid").
  (void)pid;
  throw NotImplemented("ch00::wait_for_exit", "exercises/00-fork-exec/fork_exec.cpp");
}

int exit_code_from_status(int status) {
  // TODO: WIFEXITED(status) → WEXITSTATUS(status); WIFSIGNALED(status) → 128 + WTERMSIG(status).
  (void)status;
  throw NotImplemented("ch00::exit_code_from_status", "exercises/00-fork-exec/fork_exec.cpp");
}

}  // namespace dockling::ch00
