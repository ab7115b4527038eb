#include "dockling/cli.hpp"

#include <exception>
#include <iostream>
#include <string>

#include "dockling/error.hpp"
#include "dockling/log.hpp"

namespace dockling {

void setup_app(CLI::App& app, std::string_view program) {
  log::set_program(program);
  app.name(std::string(program));
  app.set_help_flag("--help", "Print usage and exit");
  app.add_flag_callback("-v,--verbose", [] { log::set_level(log::Level::debug); },
                        "Print each step as it happens");
  app.require_subcommand(1);
}

CLI::App* add_command(CLI::App& app, std::string_view name, std::string_view description) {
  CLI::App* command = app.add_subcommand(std::string(name), std::string(description));
  command->set_help_flag("--help", "Print usage and exit");
  return command;
}

CLI::App* shared_command(CLI::App& app, std::string_view name, std::string_view description) {
  for (CLI::App* command : app.get_subcommands([](const CLI::App*) { return true; }))
    if (command->get_name() == name) return command;
  return add_command(app, name, description);
}

namespace {

/// "ch09-security oci run": the program and the subcommands the command line chose.
std::string command_path(const CLI::App& app) {
  std::string path = app.get_name();
  for (const CLI::App* command = &app;;) {
    auto chosen = command->get_subcommands();
    if (chosen.empty()) return path;
    command = chosen.front();
    path += " " + command->get_name();
  }
}

}  // namespace

int run_app(CLI::App& app, int argc, char** argv, const std::function<int()>& dispatch) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // CLI11's own printer (app.exit) writes "MESSAGE\nRun with --help ...": one line with the
    // program's prefix instead, as every other error, naming the --help to read.
    log::error("{} (see '{} --help')", e.what(), command_path(app));
    return kExitRuntimeFailure;
  }
  try {
    return dispatch();
  } catch (const Error& e) {
    log::error("{}", e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    log::error("{}", e.what());
    return kExitRuntimeFailure;
  }
}

}  // namespace dockling
