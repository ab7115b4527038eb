// ch05-uts-namespace: run a command with its own host name and domain name.
#include "runtime_main.hpp"
#include "uts_step.hpp"

int main(int argc, char** argv) {
  return dockling::runtime_main("ch05-uts-namespace", "Chapter 05: run a command in its own UTS namespace.",
                                argc, argv, dockling::ch05::steps());
}
