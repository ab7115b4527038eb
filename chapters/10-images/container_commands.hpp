/// @file container_commands.hpp
/// @brief `ps`, `rm`, `diff`, `commit`, `export` and `port`: the kept containers of `run IMAGE`, listed and removed as docker does.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "container_store.hpp"
#include "dockling/state.hpp"
#include "image_store.hpp"

namespace dockling::ch10 {

/// The container commands beside `run`, daemonless: they read and change the records under
/// ROOT/containers (container_store.hpp).
class ContainerCommands {
 public:
  /// Adds `ps`, `rm`, `diff`, `commit`, `export` and `port` to `app`.
  void add_commands(CLI::App& app);
  /// Runs the one that was chosen; nullopt when neither was.
  std::optional<int> run_command(const StateRoot& root);

 private:
  int ps(const StateRoot& root);
  int rm(const StateRoot& root);
  int diff(const StateRoot& root);
  int commit(const StateRoot& root);
  int export_(const StateRoot& root);
  int port(const StateRoot& root);

  CLI::App* ps_ = nullptr;
  CLI::App* rm_ = nullptr;
  CLI::App* diff_ = nullptr;
  CLI::App* commit_ = nullptr;
  CLI::App* export_command_ = nullptr;
  CLI::App* port_ = nullptr;
  std::string private_port_;
  std::string container_, reference_, message_, author_, output_;
  std::vector<std::string> changes_;
  bool pause_ = true;
  bool all_ = false, quiet_ = false, no_trunc_ = false, latest_ = false;
  int last_ = -1;
  std::string format_;
  std::vector<std::string> rm_containers_;
  bool force_ = false;
};

/// The command line as docker's list shows it: the record's Path, then its Args, joined by
/// spaces, an argument that holds a space in single quotes (`sh -c 'echo hi'`).
std::string command_line(const nlohmann::json& json);

/// The STATUS column: "Up 5 seconds", "Exited (0) 5 seconds ago", "Created"; `now` in seconds
/// since the epoch.
std::string status_text(const ContainerRecord& record, double now);

/// The IMAGE column: the name it was run by while that name still means its image (docker's
/// rule), its short id otherwise (run by its id, untagged, or the name moved to another image).
std::string image_column(const ContainerRecord& record, const ImageStore& images);

/// The COMMAND column of `ps`: the command line, cut to 20 characters with "…" unless
/// `full`, in Go's double quotes (strconv.Quote), as docker prints it.
std::string ps_command(const std::string& command, bool full);

}  // namespace dockling::ch10
