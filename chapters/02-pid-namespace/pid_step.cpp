#include "pid_step.hpp"

#include <sched.h>

#include "chroot_step.hpp"
#include "dockling/log.hpp"
#include "init.hpp"

namespace dockling::ch02 {

void PidStep::add_flags(CLI::App& run) {
  run.add_flag("--init", init_,
               "Run an init as PID 1 that forwards signals to the command and reaps zombies");
}

int PidStep::clone_flags(const ContainerSpec&) const { return CLONE_NEWPID; }

void PidStep::before_exec(Container& container) {
  if (!container.spec.process.init) return;
  log::debug("child: --init: fork, the init stays PID 1");
  start_init(container);
}

Steps steps() {
  Steps list = ch01::steps();
  list.push_back(std::make_unique<PidStep>());
  return list;
}

}  // namespace dockling::ch02
