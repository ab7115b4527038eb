// Chapter 00 exercises, solved.
#include "fork_exec.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "dockling/error.hpp"

namespace dockling::ch00 {

pid_t spawn(const std::vector<std::string>& argv, int exec_error_fd) {
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);

  pid_t pid = check(::fork(), "fork");
  if (pid == 0) {
    ::execvp(args[0], args.data());
    // Only reached when exec failed: tell the parent why, then end without running any of
    // the parent's clean-up code (_exit, not exit).
    int err = errno;
    [[maybe_unused]] ssize_t n = ::write(exec_error_fd, &err, sizeof err);
    ::_exit(127);
  }
  return pid;
}

int wait_for_exit(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw_sys("waitpid", std::to_string(pid));
  }
  return status;
}

int exit_code_from_status(int status) {
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

}  // namespace dockling::ch00
