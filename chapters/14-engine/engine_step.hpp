/// @file engine_step.hpp
/// @brief Chapter 14's step: chapter 12's image step (with 10's and 11's commands), plus
/// `daemon`.
#pragma once

#include "engine_daemon.hpp"
#include "registry_step.hpp"

namespace dockling::ch14 {

/// Chapter 12's step with `daemon` beside its commands.
class EngineStep : public ch12::RegistryStep {
 public:
  /// The earlier chapters' commands, and `daemon`.
  void add_commands(CLI::App& app) override;
  /// `daemon` when chosen, else the earlier chapters' command.
  std::optional<int> run_command(const StateRoot& root) override;

 protected:
  CLI::App* daemon_ = nullptr;  ///< the `daemon` subcommand, once add_commands() made it
  DaemonOptions options_;       ///< `daemon`'s flags (-H, --log-file, registries) as parsed
};

/// Chapter 14's steps: chapter 13's, the image step replaced by EngineStep.
Steps steps();

}  // namespace dockling::ch14
