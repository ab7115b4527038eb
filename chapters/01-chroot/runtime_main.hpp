/// @file runtime_main.hpp
/// @brief The `main` of every runtime chapter binary (01-09): `chNN-topic run ...`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pipeline.hpp"

namespace dockling {

/// `run [OPTIONS] ROOTFS [COMMAND] [ARG...]`: the subcommand, with every step's flags, and the
/// spec it asks for.
class RunCommand {
 public:
  /// Adds `run` to `app`, with the flags of every step of `pipeline` (which must outlive it).
  RunCommand(CLI::App& app, const Steps& pipeline);
  /// True when `run` was the subcommand given.
  bool parsed() const { return command_->parsed(); }
  /// After parsing: the spec (a new id, the root, the command, PATH, then every step's part);
  /// `root` is the state root, for steps that prepare files there (Step::prepare).
  /// @throws Error for flags a step refuses.
  ContainerSpec spec(const StateRoot& root) const;

 private:
  const Steps& pipeline_;
  CLI::App* command_ = nullptr;
  std::string rootfs_;
  std::vector<std::string> args_;
};

/// Parses `chNN-topic run [OPTIONS] ROOTFS [COMMAND] [ARG...]`, with every step's flags,
/// runs the container through `steps` and returns the exit code for `main` to return.
/// Steps may add other subcommands (Step::add_commands); those run instead of `run`.
int runtime_main(std::string_view program, std::string_view description, int argc, char** argv,
                 Steps steps);

}  // namespace dockling
