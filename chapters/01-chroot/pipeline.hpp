/// @file pipeline.hpp
/// @brief Runs a container: the steps' hooks around clone, exec and wait.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "container.hpp"
#include "dockling/fd.hpp"
#include "dockling/state.hpp"
#include "spec.hpp"
#include "step.hpp"

namespace dockling {

/// The steps of one binary, in Slot order.
using Steps = std::vector<std::unique_ptr<Step>>;

/// Orders `steps` by slot; where two share a slot the later one (a later chapter's) wins.
Steps make_pipeline(Steps steps);

/// The spec `run`'s flags ask for: every step's to_spec (and prepare, with the state root
/// `root`), in slot order, over `spec` (which holds the id, the root and the command), then
/// docker's defaults for what no step set.
void fill_spec(ContainerSpec& spec, const Steps& steps, const StateRoot& root);

/// The FIFO in a container's run directory where a created container waits for `start`.
inline constexpr const char* kExecFifo = "exec.fifo";
/// What the child sends once created: everything but the command is done, it waits.
inline constexpr const char kReady[] = "ready";

/// Clones the container's process with `flags` (every step's clone_flags) and returns its
/// pid; `parent_end` gets our end of the socket to it. The child waits for a "go" byte on
/// that socket, runs in_child of every step (and, right after the root step's, in_root of
/// every step), sets its working directory and looks the command up in the container's PATH,
/// sends kReady, waits for `start` at exec.fifo (in container.run_dir_fd), runs before_exec
/// and execs the command. A failure in the child travels back as "CODE\nMESSAGE".
pid_t start_child(Container& container, const Steps& steps, int flags, UniqueFd& parent_end);

/// The next report of the child on `socket`: {0, kReady} once created; {code, message} when
/// it failed (125 for set-up, 126/127 for the command); nullopt at end of file (its end
/// closes on exec, CLOEXEC: the command runs).
/// @throws SysError when the socket fails.
std::optional<std::pair<int, std::string>> read_child_report(int socket);

/// Finds `command` the way a shell would, in `env`'s PATH (the container's, not the
/// runtime's; docker's default without one), relative to the current root.
/// @returns the path to exec.
/// @throws Error with docker's 127 (not found) or 126 (found, not executable).
std::string resolve_command(const std::string& command, const std::vector<std::string>& env);

/// In the child: asks again for SIGKILL when the runtime dies, which every change of the
/// effective ids clears (chapters 07 and 09 switch user); not for a detached container.
void keep_parent_death_signal(const Container& container);

/// `run`: creates the container `spec` describes under `root`, starts it, waits for it and
/// deletes it (see Lifecycle); returns docker's exit code for the command.
/// @throws Error for a failed start, with its exit code (125 set-up, 126/127 the command).
int run_container(const ContainerSpec& spec, const Steps& steps, const StateRoot& root);

}  // namespace dockling
