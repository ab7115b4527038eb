// ch02-pid-namespace: run a command in a chroot, as PID 1 of a new PID namespace.
#include "pid_step.hpp"
#include "runtime_main.hpp"

int main(int argc, char** argv) {
  return dockling::runtime_main("ch02-pid-namespace",
                                "Chapter 02: run a command as PID 1 of a new PID namespace.", argc,
                                argv, dockling::ch02::steps());
}
