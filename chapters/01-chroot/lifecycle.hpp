/// @file lifecycle.hpp
/// @brief A container's life as OCI describes it — create, start, wait, kill, delete, state —
/// with its state on disk, so that each operation may come from another process.
///
/// `create` does everything up to the command: the process exists, in its namespaces and
/// cgroups, and waits at the sync point (OCI's "created"). `start` lets it exec the command.
/// `delete` undoes what every step set up, from the record in state.json, in whichever
/// process calls it: the one that created the container, or another one after a crash.
/// `run` is create + start + wait + delete.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "container.hpp"
#include "dockling/state.hpp"
#include "pipeline.hpp"
#include "spec.hpp"

namespace dockling {

/// OCI's states of a container.
enum class Status {
  creating,  ///< create is under way
  created,   ///< its process waits for start
  running,   ///< the command runs
  stopped,   ///< its process is gone; delete cleans up
};

/// "creating", "created", "running", "stopped".
std::string_view status_name(Status status);

/// What RUN/containers/ID/state.json holds.
struct ContainerState {
  std::string id;                   ///< the container's id
  Status status = Status::creating; ///< the status on file, corrected by live() when read back
  ProcessIdentity process;          ///< its first process (pid as the host sees it)
  ProcessIdentity creator;          ///< the runtime process that created it
  std::string created;              ///< when, RFC 3339 in UTC with nanoseconds (runc's format)
  bool detached = false;            ///< outlives its creator (`oci create`); else `run`'s
  ContainerSpec spec;               ///< what it is (an OCI bundle's directory and annotations too)
  nlohmann::json record = nlohmann::json::object();  ///< the steps' clean-up record
};

/// What create may be told beyond the spec.
struct CreateOptions {
  /// Outlives this process (`oci create`); otherwise it dies with it (PR_SET_PDEATHSIG).
  bool detached = false;
};

/// The lifecycle operations over one state root, with one binary's steps.
class Lifecycle {
 public:
  /// @param steps the pipeline (they must outlive this object)
  /// @param root where state lives
  Lifecycle(const Steps& steps, const StateRoot& root);
  /// A container this object created and did not delete is killed and cleaned up, unless it
  /// was created detached.
  ~Lifecycle();
  Lifecycle(const Lifecycle&) = delete;
  Lifecycle& operator=(const Lifecycle&) = delete;

  /// Creates the container `spec` describes: every step up to the command, state "created".
  /// @throws Error with exit code 125 when a step fails (everything made is undone), or when
  /// a container of that id exists already.
  void create(const ContainerSpec& spec, const CreateOptions& options = {});
  /// Lets a created container exec its command; state "running". For one this object
  /// created (attached), also waits for the exec and runs the steps' after_start.
  /// @throws Error when it is not "created", or (attached) 126/127 when the command cannot run.
  void start(const std::string& id);
  /// Waits for the container this object created and started; docker's exit code.
  int wait();
  /// Sends `signal` to the container's first process.
  /// @throws Error when it does not exist or is not running or created.
  void kill(const std::string& id, int signal);
  /// Undoes every step's set-up and removes the state. A container that is not stopped is
  /// refused, unless `force`: then it is killed (SIGKILL) first.
  /// @throws Error when it does not exist, or is still running and `force` is false.
  void remove(const std::string& id, bool force);
  /// The state of container `id`, its status as it is now.
  /// @throws Error "container ID does not exist".
  ContainerState state(const std::string& id) const;
  /// Every container of the root, in the order they were created.
  std::vector<ContainerState> list() const;
  /// Deletes the containers of `run`s that died before deleting them (a crash, SIGKILL):
  /// stopped, not detached, their creator gone. create() calls it. Never throws.
  void remove_crashed() noexcept;

 private:
  struct Attached;
  void save(const ContainerState& state) const;
  std::optional<ContainerState> load(const std::string& id) const;
  void undo(Container& container) noexcept;

  const Steps& steps_;
  const StateRoot& root_;
  std::unique_ptr<Attached> attached_;  ///< the container this process created and holds
};

}  // namespace dockling
