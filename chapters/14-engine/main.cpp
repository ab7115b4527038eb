// ch14-engine: chapter 13's commands, plus `daemon`: the Docker Engine API on a unix socket,
// each container held by a monitor process (`ch14-engine monitor`, started by the daemon).
#include <string_view>

#include "engine_step.hpp"
#include "monitor.hpp"
#include "oci_exec.hpp"

int main(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == "monitor") return dockling::ch14::monitor_main(argc, argv);
  return dockling::ch09::sealed_runtime_main("ch14-engine", "Chapter 14: the engine.", argc, argv,
                                             dockling::ch14::steps());
}
