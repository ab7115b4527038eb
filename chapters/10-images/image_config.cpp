#include "image_config.hpp"

#include <algorithm>

#include "address.hpp"
#include "dockling/error.hpp"

namespace dockling::ch10 {

namespace {

std::vector<std::string> strings(const nlohmann::json& config, const char* key) {
  auto it = config.find(key);
  if (it == config.end() || !it->is_array()) return {};
  return it->get<std::vector<std::string>>();
}

}  // namespace

std::vector<std::string> image_command(const nlohmann::json& config, const RunOverrides& overrides) {
  std::vector<std::string> args;
  if (overrides.entrypoint) {
    if (!overrides.entrypoint->empty()) args.push_back(*overrides.entrypoint);
  } else {
    args = strings(config, "Entrypoint");
  }
  if (!overrides.command.empty())
    args.insert(args.end(), overrides.command.begin(), overrides.command.end());
  else if (!overrides.entrypoint)
    for (auto& arg : strings(config, "Cmd")) args.push_back(arg);
  if (args.empty()) throw Error("No command specified");
  return args;
}

void apply_image_config(const nlohmann::json& config, const RunOverrides& overrides, ContainerSpec& spec) {
  auto& process = spec.process;
  process.args = image_command(config, overrides);
  process.env = strings(config, "Env");
  bool has_path = std::any_of(process.env.begin(), process.env.end(),
                              [](const std::string& entry) { return entry.rfind("PATH=", 0) == 0; });
  if (!has_path) process.env.insert(process.env.begin(), std::string("PATH=") + kDefaultPath);
  std::string workdir = config.value("WorkingDir", "");
  if (!workdir.empty()) process.cwd = workdir.front() == '/' ? workdir : "/" + workdir;
  process.default_user = config.value("User", "");
  // EXPOSE: the ports -P publishes (chapter 04's network step adds --expose and -p to them).
  auto exposed = config.find("ExposedPorts");
  if (exposed != config.end() && exposed->is_object())
    for (const auto& [key, value] : exposed->items())
      for (const auto& port : ch04::parse_exposed_ports(key)) spec.network.exposed.push_back(port);
}

}  // namespace dockling::ch10
