/// @file inspect_commands.hpp
/// @brief `inspect` and `history`: docker's views of a container or an image on the command
/// line (the objects come from container_inspect.hpp and image_inspect.hpp, `--format` from
/// go_template.hpp).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "dockling/state.hpp"

namespace dockling::ch10 {

/// The two read-only image commands; the image step adds them beside its own.
class InspectCommands {
 public:
  /// Adds `inspect [-f FORMAT] [--type container|image] NAME...` and
  /// `history [--no-trunc] [-q] [--format FORMAT] IMAGE`.
  void add_commands(CLI::App& app);
  /// Runs the one that was chosen; nullopt when neither was.
  std::optional<int> run_command(const StateRoot& root);

 private:
  int inspect(const StateRoot& root);
  int history(const StateRoot& root);

  CLI::App* inspect_ = nullptr;
  CLI::App* history_ = nullptr;
  std::vector<std::string> inspect_names_;
  std::string inspect_format_, inspect_type_;
  std::string history_image_, history_format_;
  bool history_no_trunc_ = false, history_quiet_ = false;
};

}  // namespace dockling::ch10
