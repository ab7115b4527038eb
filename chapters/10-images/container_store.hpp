/// @file container_store.hpp
/// @brief Containers that outlive their `run`: each one's record and rw layer under
/// ROOT/containers/ID, so that `ps -a`, `rm` and `commit` find it after it stopped.
///
///     ROOT/containers.lock        flock(2)ed while a name is checked and taken
///     ROOT/containers/ID/
///       config.json               the record (docker's inspect shape, in part): Id, Name,
///                                 Created, Path, Args, Image, Config, State, HostConfig
///       upper/ work/              the rw layer: overlay's upperdir and workdir
///       merged/                   the root the container runs in, mounted while it runs
///
/// Chapter 04 keeps its hosts, resolv.conf and hostname in the same directory while the
/// container runs, as docker does.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dockling/fd.hpp"
#include "dockling/state.hpp"

namespace dockling::ch10 {

/// One kept container: its record as config.json holds it.
struct ContainerRecord {
  std::filesystem::path dir;  ///< ROOT/containers/ID
  nlohmann::json json;        ///< config.json

  /// The 64-hex id.
  std::string id() const { return json.value("Id", ""); }
  /// Its name without docker's leading '/'.
  std::string name() const;
  /// "created", "running", "restarting" (chapter 14) or "exited", as the record says; a
  /// "running" one whose process is gone (its runtime was killed), or a "restarting" one whose
  /// monitor is gone, reads as "exited".
  std::string status() const;
  /// NetworkSettings.Ports while it runs (what it publishes, exposed-only ports as null);
  /// {} once it stopped, as docker shows it.
  nlohmann::json network_ports() const;
  /// ROOT/containers/ID/merged.
  std::filesystem::path merged() const { return dir / "merged"; }
};

/// The kept containers of one state root.
class ContainerStore {
 public:
  /// The containers of `root` (nothing is created until one is).
  explicit ContainerStore(const StateRoot& root);

  /// ROOT/containers/ID.
  std::filesystem::path dir(const std::string& id) const;
  /// Creates ROOT/containers/ID (mode 0711: a child in a user namespace passes through).
  /// @throws SysError naming it, also when it exists.
  std::filesystem::path make_dir(const std::string& id) const;
  /// Takes ROOT/containers.lock until the returned fd is closed.
  UniqueFd lock() const;

  /// Every container with a record, newest first. A directory whose config.json is not a
  /// record is skipped with a warning that names it.
  std::vector<ContainerRecord> list() const;
  /// The container `text` names: a full id, a name (with or without '/'), or an
  /// unambiguous id prefix, as docker looks one up.
  /// @throws Error "No such container: TEXT" (exit code 1).
  ContainerRecord find(const std::string& text) const;
  /// Throws docker's conflict error (exit code 125) when a container is named `name`.
  /// Call under lock().
  void check_name_free(const std::string& name) const;
  /// A name nobody uses yet, docker-style: "adjective_scientist". Call under lock().
  std::string unused_name() const;

  /// Writes `record`'s config.json: durably (fsync) when `durable`, else only atomically.
  static void save(const ContainerRecord& record, bool durable);
  /// Reads ROOT/containers/ID/config.json; nullopt when there is none.
  std::optional<ContainerRecord> load(const std::string& id) const;
  /// Unmounts its root if still mounted and removes its directory.
  /// @throws Error naming what could not be removed.
  static void remove(const ContainerRecord& record);

 private:
  std::filesystem::path root_;
  std::filesystem::path containers_;
};

/// Docker's name check: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`, a leading '/' allowed.
/// @throws Error "Invalid container name (NAME), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed".
void check_container_name(const std::string& name);

}  // namespace dockling::ch10
