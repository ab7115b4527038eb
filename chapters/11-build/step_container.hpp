/// @file step_container.hpp
/// @brief A RUN step's command in a container of chapter 10: this binary's own `run`, started
/// as a child with the image of the stage as it stands, its output read line by line.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "container_store.hpp"
#include "dockling/state.hpp"

namespace dockling::ch11 {

/// What a RUN step runs, and how.
struct StepCommand {
  std::string image_id;              ///< the stage's image (a build cache entry: `run` finds it by id)
  std::vector<std::string> command;  ///< argv, the shell already in front for the shell form
  std::vector<std::string> env;      ///< NAME=VALUE beside the image's Env (the ARGs in scope)
  std::string workdir;               ///< -w, "" for none
  std::string user;                  ///< -u, "" for none
  std::string network = "bridge";    ///< bridge, none or host
};

/// How the step's container ended.
struct StepOutcome {
  int exit_code = 0;                                  ///< the command's, or 125-127 for `run`'s own errors
  std::vector<std::string> output;                    ///< its stdout and stderr, in lines
  std::optional<ch10::ContainerRecord> container;     ///< the container it left (its rw layer is the step's)
};

/// Runs `step` in a container named `name` under `root`, stdin from /dev/null, and waits for
/// it. The container stays for the caller to commit and remove. When a signal interrupts the
/// build meanwhile (build_interrupt.hpp), the container's first process is killed, so that
/// its `run` ends and cleans up its network and cgroup as after any exit.
StepOutcome run_step_container(const StateRoot& root, const std::string& name, const StepCommand& step);

}  // namespace dockling::ch11
