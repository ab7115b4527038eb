// ch06-ipc-namespace: run a command with its own System V IPC objects and POSIX queues.
#include "ipc_step.hpp"
#include "runtime_main.hpp"

int main(int argc, char** argv) {
  return dockling::runtime_main("ch06-ipc-namespace", "Chapter 06: run a command in its own IPC namespace.",
                                argc, argv, dockling::ch06::steps());
}
