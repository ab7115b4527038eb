/// @file env_step.hpp
/// @brief The process step: the command's environment (-e, --env-file) and working
/// directory (-w), as `docker run` sets them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pipeline.hpp"
#include "step.hpp"

namespace dockling::ch03 {

/// Sets `entry` ("KEY=VALUE") in `env`, replacing an earlier value of KEY.
void set_env(std::vector<std::string>& env, const std::string& entry);

/// One `-e` value: "KEY=VALUE" as it is, or "KEY" alone with the value taken from the
/// runtime's own environment; nullopt when KEY is not set there (docker skips it).
/// @throws Error (exit 125) for an empty name ("=x").
std::optional<std::string> env_from_flag(const std::string& flag);

/// Reads an env file in docker's format: one KEY=VALUE a line, taken literally (no quotes,
/// no expansion); lines empty or starting with # are skipped, leading whitespace is ignored;
/// a KEY alone takes its value from the runtime's environment (skipped when unset).
/// @throws Error (exit 125) naming the file and the line for a bad line, SysError if unreadable.
std::vector<std::string> read_env_file(const std::string& path);

/// Adds -e/--env, --env-file and -w/--workdir: the spec's environment and working directory.
class EnvStep : public Step {
 public:
  std::string_view name() const override { return "env"; }
  Slot slot() const override { return Slot::process; }
  void add_flags(CLI::App& run) override;
  void to_spec(ContainerSpec& spec) override;

 private:
  std::vector<std::string> env_;
  std::vector<std::string> env_files_;
  std::string workdir_;
};

}  // namespace dockling::ch03
