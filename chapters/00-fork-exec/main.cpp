// ch00-fork-exec: run a command as a child process and report its end as docker does.
#include <string>
#include <vector>

#include "dockling/cli.hpp"
#include "run_command.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Chapter 00: run a command in a child process, with docker's exit codes."};
  dockling::setup_app(app, "ch00-fork-exec");
  std::vector<std::string> command;
  CLI::App* run = dockling::add_command(app, "run", "Run COMMAND and exit with its exit code");
  run->add_option("COMMAND", command, "The command and its arguments")->required();
  run->positionals_at_end();
  run->prefix_command();
  return dockling::run_app(app, argc, argv, [&] { return dockling::ch00::run_command(command); });
}
