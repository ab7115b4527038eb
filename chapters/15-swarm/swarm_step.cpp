#include "swarm_step.hpp"

#include "swarm_mode.hpp"

namespace dockling::ch15 {

void SwarmStep::add_commands(CLI::App& app) {
  ch14::EngineStep::add_commands(app);
  add_swarm_commands(app, commands_);
}

std::optional<int> SwarmStep::run_command(const StateRoot& root) {
  if (daemon_->parsed()) {
    SwarmMode swarm(root, options_);
    return ch14::run_daemon(root, options_, &swarm);
  }
  if (auto code = run_swarm_commands(root, commands_)) return code;
  return ch14::EngineStep::run_command(root);
}

Steps steps() {
  Steps list = ch14::steps();
  for (auto& step : list)
    if (step->slot() == Slot::image) step = std::make_unique<SwarmStep>();
  return list;
}

}  // namespace dockling::ch15
