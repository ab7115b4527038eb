/// @file engine_state.hpp
/// @brief What the daemon and the monitors keep beside chapter 10's container records:
///
///     ROOT/engine.sock              the Engine API (the daemon's default address)
///     ROOT/engine.lock              flock(2)ed by the running daemon; holds its pid
///     ROOT/engine/control/ID        a FIFO: the daemon writes "start" or "remove" to the
///                                   monitor of a created container
///     ROOT/engine/exits/ID          how the container's last run ended (its monitor writes
///                                   it): {"StatusCode": N, "FinishedAt": "..."}; it outlives
///                                   an AutoRemove container, for the client that waits
///     ROOT/engine/runs/ID           the monitor's `run` arguments (a JSON list): what a
///                                   later monitor starts the container again with
///     ROOT/engine/stopped/ID        there while the user has stopped the container (docker
///                                   stop, kill): no restart policy starts it again
///     ROOT/engine/monitors/ID       flock(2)ed by the container's monitor for as long as it
///                                   runs: until it is free, the container is being set up or
///                                   cleaned up
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "dockling/fd.hpp"
#include "dockling/state.hpp"

namespace dockling::ch14 {

/// How a container's run ended.
struct ExitRecord {
  int status_code = 0;      ///< docker's exit code (128+N for signal N)
  std::string finished_at;  ///< RFC 3339, UTC
  std::string error;        ///< why it could not start ("" when it ran)
};

/// ROOT/engine.sock.
std::filesystem::path default_socket(const StateRoot& root);
/// ROOT/engine/control/ID.
std::filesystem::path control_fifo(const StateRoot& root, const std::string& id);
/// Writes ROOT/engine/exits/ID (atomically).
void write_exit(const StateRoot& root, const std::string& id, const ExitRecord& exit);
/// ROOT/engine/exits/ID, or nullopt when the container has not ended since it was started.
std::optional<ExitRecord> read_exit(const StateRoot& root, const std::string& id);
/// Removes ROOT/engine/exits/ID (a new start begins a new run); never throws.
void clear_exit(const StateRoot& root, const std::string& id) noexcept;

/// Writes ROOT/engine/runs/ID.
void write_run_arguments(const StateRoot& root, const std::string& id, const std::vector<std::string>& args);
/// ROOT/engine/runs/ID; empty when there is none (the container was not made by a monitor).
std::vector<std::string> read_run_arguments(const StateRoot& root, const std::string& id);

/// Marks the container stopped by the user (`stopped`) or not; never throws.
void mark_stopped_by_user(const StateRoot& root, const std::string& id, bool stopped) noexcept;
/// True when the user stopped the container since it was last started.
bool stopped_by_user(const StateRoot& root, const std::string& id);

/// Takes ROOT/engine/monitors/ID (waiting while another monitor holds it): the monitor's.
UniqueFd hold_monitor_lock(const StateRoot& root, const std::string& id);
/// Waits up to `limit` for no monitor to hold the container's lock; true when none does.
bool wait_for_monitor(const StateRoot& root, const std::string& id, std::chrono::milliseconds limit);

/// Removes what the engine keeps of a removed container; never throws.
void forget_container(const StateRoot& root, const std::string& id) noexcept;

}  // namespace dockling::ch14
