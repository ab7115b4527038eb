/// @file swarm_step.hpp
/// @brief Chapter 15's step: chapter 14's engine step, its daemon in swarm mode, and the
/// `swarm`, `service` and `node` commands (clients of the daemon's API: swarm_commands.hpp).
#pragma once

#include "engine_step.hpp"
#include "swarm_commands.hpp"

namespace dockling::ch15 {

/// Chapter 14's step; its daemon serves swarm mode, and the swarm commands sit beside its own.
class SwarmStep : public ch14::EngineStep {
 public:
  /// The earlier chapters' commands, and `swarm`, `service`, `node`.
  void add_commands(CLI::App& app) override;
  /// The chosen one: the daemon (with swarm mode), a swarm command, or an earlier chapter's.
  std::optional<int> run_command(const StateRoot& root) override;

 private:
  SwarmCommands commands_;
};

/// Chapter 15's steps: chapter 14's, the image step replaced by SwarmStep.
Steps steps();

}  // namespace dockling::ch15
