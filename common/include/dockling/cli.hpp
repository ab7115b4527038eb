/// @file cli.hpp
/// @brief What every chapter binary's command line shares: the program name, --help,
/// -v/--verbose, docker's exit code 125 for bad flags, and the one place errors are caught.
#pragma once

#include <functional>
#include <string_view>

#include <CLI/CLI.hpp>

namespace dockling {

/// Prepares `app` for a chapter binary named `program`: sets the name used in messages,
/// makes `--help` the help flag (docker keeps `-h` for --hostname) and adds -v/--verbose,
/// which prints each step. Subcommands should be made with add_command().
void setup_app(CLI::App& app, std::string_view program);

/// Adds a subcommand with docker's help flag (`--help` only).
CLI::App* add_command(CLI::App& app, std::string_view name, std::string_view description);

/// The subcommand `name` of `app` that an earlier step added, or a new one (add_command): a
/// command that several chapters fill (chapter 04's `network prune`, chapter 15's `network
/// create`). The first one to add it gives its description.
CLI::App* shared_command(CLI::App& app, std::string_view name, std::string_view description);

/// Parses the command line, then calls `dispatch`, which runs the chosen subcommand and
/// returns its exit code. Catches everything once: --help returns 0; a bad flag prints
/// CLI11's message as one line, `program: message (see 'program run --help')`, and returns
/// 125; a dockling::Error prints `program: message` and returns its exit code; any other
/// exception prints `program: ` and its text and returns 125.
int run_app(CLI::App& app, int argc, char** argv, const std::function<int()>& dispatch);

}  // namespace dockling
