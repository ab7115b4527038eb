// ch07-user-namespace: run a command as root inside a user namespace, an unprivileged user outside.
#include "runtime_main.hpp"
#include "user_step.hpp"

int main(int argc, char** argv) {
  return dockling::runtime_main("ch07-user-namespace", "Chapter 07: run a command in its own user namespace.",
                                argc, argv, dockling::ch07::steps());
}
