// ch15-swarm: chapter 14's commands, plus swarm mode: `swarm`, `service` and `node`, served by
// the daemon (`ch15-swarm daemon`) to our commands and to the docker CLI alike.
#include <string_view>

#include "monitor.hpp"
#include "oci_exec.hpp"
#include "swarm_step.hpp"

int main(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == "monitor") return dockling::ch14::monitor_main(argc, argv);
  return dockling::ch09::sealed_runtime_main("ch15-swarm", "Chapter 15: a mini swarm.", argc, argv,
                                             dockling::ch15::steps());
}
