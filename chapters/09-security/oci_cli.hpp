/// @file oci_cli.hpp
/// @brief `ch09-security oci ...`: runc's command line over a bundle — run, spec, and the
/// lifecycle: create, start, state, kill, delete, list.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "dockling/state.hpp"

namespace dockling::ch09 {

/// The `oci` subcommands, with runc's arguments and output.
class OciCommands {
 public:
  /// Adds `oci` and its subcommands to `app`.
  void add(CLI::App& app);
  /// Runs the chosen `oci` subcommand with state under `root` and returns its exit code;
  /// nullopt when none was chosen.
  std::optional<int> run(const StateRoot& root);

 private:
  int create(const StateRoot& root);
  int start(const StateRoot& root);
  int state(const StateRoot& root);
  int kill(const StateRoot& root);
  int remove(const StateRoot& root);
  int list(const StateRoot& root);
  int exec(const StateRoot& root);

  CLI::App* run_ = nullptr;
  CLI::App* spec_ = nullptr;
  CLI::App* create_ = nullptr;
  CLI::App* start_ = nullptr;
  CLI::App* state_ = nullptr;
  CLI::App* kill_ = nullptr;
  CLI::App* delete_ = nullptr;
  CLI::App* list_ = nullptr;
  CLI::App* exec_ = nullptr;
  std::vector<std::string> args_, env_, additional_gids_;
  std::string cwd_, user_;
  std::string bundle_dir_ = ".";
  std::string id_;
  std::string pid_file_;
  std::string console_socket_;
  std::string process_file_;
  std::string signal_ = "SIGTERM";
  std::string format_ = "table";
  bool force_ = false;
  bool all_ = false;
  bool tty_ = false;
  bool detach_ = false;
  bool quiet_ = false;
};

/// A signal as runc's `kill` takes it: "KILL", "SIGKILL" or "9".
/// @throws Error naming the signal when it is none of those.
int parse_signal(const std::string& name);

}  // namespace dockling::ch09
