/// @file volume_commands.hpp
/// @brief `volume create|ls|inspect|rm|prune`: thin commands over VolumeStore, printing what
/// docker prints.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "dockling/state.hpp"

namespace dockling::ch13 {

/// The `volume` command and its subcommands.
class VolumeCommands {
 public:
  /// Adds `volume` with create, ls, inspect, rm and prune.
  void add(CLI::App& app);
  /// Runs the chosen one; nullopt when `volume` was not chosen.
  std::optional<int> run(const StateRoot& root);

 private:
  int create(const StateRoot& root);
  int list(const StateRoot& root);
  int inspect(const StateRoot& root);
  int remove(const StateRoot& root);
  int prune(const StateRoot& root);

  CLI::App* volume_ = nullptr;
  CLI::App* create_ = nullptr;
  CLI::App* ls_ = nullptr;
  CLI::App* inspect_ = nullptr;
  CLI::App* rm_ = nullptr;
  CLI::App* prune_ = nullptr;
  std::string name_, driver_ = "local", format_;
  std::vector<std::string> labels_, options_, filters_, names_;
  bool quiet_ = false, force_ = false;
};

}  // namespace dockling::ch13
