#include "engine_step.hpp"

#include "dockling/cli.hpp"
#include "volume_step.hpp"

namespace dockling::ch14 {

void EngineStep::add_commands(CLI::App& app) {
  ch12::RegistryStep::add_commands(app);
  daemon_ = add_command(app, "daemon", "Serve the Docker Engine API (1.41): the docker CLI and curl drive it");
  daemon_->add_option("-H,--host", options_.host, "Where to listen: unix:///PATH (default: ROOT/engine.sock)")
      ->envname("DOCKLING_HOST");
  daemon_->add_option("--log-file", options_.log_file, "Write the daemon's log there instead of stderr");
  daemon_->add_option("--registry-mirror", options_.registry_mirrors,
                      "A registry to ask first for Docker Hub's images (http://HOST:PORT; repeatable)");
  daemon_->add_option("--insecure-registry", options_.insecure_registries,
                      "A registry (HOST[:PORT]) to speak plain http to (repeatable)");
}

std::optional<int> EngineStep::run_command(const StateRoot& root) {
  if (daemon_->parsed()) return run_daemon(root, options_);
  return ch12::RegistryStep::run_command(root);
}

Steps steps() {
  Steps list = ch13::steps();
  for (auto& step : list)
    if (step->slot() == Slot::image) step = std::make_unique<EngineStep>();
  return list;
}

}  // namespace dockling::ch14
