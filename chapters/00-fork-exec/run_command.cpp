#include "run_command.hpp"

#include <cerrno>

#include "dockling/fd.hpp"
#include "dockling/log.hpp"
#include "dockling/process.hpp"
#include "exec_error.hpp"
#include "fork_exec.hpp"
#include "signal_forwarder.hpp"

namespace dockling::ch00 {

int run_command(const std::vector<std::string>& argv) {
  Pipe exec_errors = make_pipe();
  SignalForwarder forwarder;
  log::debug("fork + exec {}", argv.front());
  Child child(spawn(argv, exec_errors.write.get()));
  exec_errors.write.reset();  // keep only the child's copy, so exec closes the last one
  forwarder.forward_to(child.pid());

  // End-of-file means exec succeeded; an int means it failed with that errno.
  std::string report = read_all(exec_errors.read.get());
  int status = wait_for_exit(child.pid());
  child.mark_reaped();
  if (report.size() >= sizeof(int)) {
    int err = 0;
    report.copy(reinterpret_cast<char*>(&err), sizeof err);
    throw exec_failure(argv.front(), err);
  }
  int code = exit_code_from_status(status);
  log::debug("{} ended, exit code {}", argv.front(), code);
  return code;
}

}  // namespace dockling::ch00
