// ch08-cgroups: run a command with docker's resource limits (-m, --cpus, --pids-limit, ...).
#include "cgroup_step.hpp"
#include "runtime_main.hpp"

int main(int argc, char** argv) {
  return dockling::runtime_main("ch08-cgroups", "Chapter 08: run a command with resource limits (cgroups).", argc, argv,
                                dockling::ch08::steps());
}
