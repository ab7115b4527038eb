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

int run_app(CLI::App& app, int argc, char** argv, const std::function<int()>& dispatch) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints the message and a hint to use --help
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
