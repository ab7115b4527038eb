/// @file build_step.hpp
/// @brief Chapter 11's step: chapter 10's image step, plus `build`.
#pragma once

#include <string>
#include <vector>

#include "builder.hpp"
#include "images_step.hpp"

namespace dockling::ch11 {

/// Chapter 10's image step with `build` and `builder prune` beside its commands.
class BuildStep : public ch10::ImagesStep {
 public:
  /// Chapter 10's commands, `build` and `builder prune`.
  void add_commands(CLI::App& app) override;
  /// `build` or `builder prune` when chosen, else chapter 10's.
  std::optional<int> run_command(const StateRoot& root) override;

 private:
  int prune(const StateRoot& root);

  CLI::App* build_ = nullptr;
  CLI::App* prune_ = nullptr;
  bool prune_all_ = false, prune_force_ = false;
  BuildOptions options_;
  std::vector<std::string> build_args_;
};

/// Chapter 11's steps: chapter 10's, its image step replaced by BuildStep.
Steps steps();

}  // namespace dockling::ch11
