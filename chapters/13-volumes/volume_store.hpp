/// @file volume_store.hpp
/// @brief Volumes: directories under the state root that outlive the containers using them.
///
///     ROOT/volumes.lock            flock(2)ed while volumes are created, taken or removed
///     ROOT/volumes/NAME/
///       volume.json                the record: docker's `volume inspect` fields, and whether
///                                  the volume is anonymous
///       _data/                     what containers see (a bind mount of it), or, for a volume
///                                  created with --opt type=..., where that filesystem is
///                                  mounted while a container uses it
///
/// A volume is in use while a kept container's record (chapter 10's config.json, its
/// "Mounts") or a running container's clean-up record names it: then `volume rm` and `volume
/// prune` leave it alone.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dockling/fd.hpp"
#include "dockling/state.hpp"

namespace dockling::ch13 {

/// One volume: its directory and record.
struct Volume {
  std::filesystem::path dir;  ///< ROOT/volumes/NAME
  nlohmann::json record;      ///< volume.json

  /// Its name: the one given, or 64 hex digits for an anonymous one.
  std::string name() const { return record.value("Name", ""); }
  /// ROOT/volumes/NAME/_data: what is mounted into containers.
  std::filesystem::path data() const { return dir / "_data"; }
  /// Made for one container (-v /path, an image's VOLUME), with a generated name.
  bool anonymous() const { return record.value("Anonymous", false); }
  /// --opt type=...: a filesystem mounted on _data while a container uses the volume.
  bool has_mount_options() const { return record.value("Options", nlohmann::json::object()).contains("type"); }
  /// The record as `volume inspect` prints it (without our own fields).
  nlohmann::json inspect() const;
};

/// What `volume prune` removed.
struct PruneReport {
  std::vector<std::string> removed;  ///< names, in the order removed
  std::uint64_t bytes = 0;           ///< the space their files took
};

/// The volumes of one state root.
class VolumeStore {
 public:
  /// The volumes of `root` (nothing is created until one is).
  explicit VolumeStore(const StateRoot& root);

  /// Takes ROOT/volumes.lock until the returned fd is closed. Every method below expects
  /// it held (a second lock() in the same process would wait for the first).
  UniqueFd lock() const;

  /// The volume `name`, created if there is none (docker's create is idempotent): an empty
  /// `name` makes an anonymous one with a generated 64-hex name. `options` are the local
  /// driver's (type, device, o), checked here.
  /// @throws Error naming the bad name or option; SysError naming what could not be made.
  Volume create(const std::string& name, const std::map<std::string, std::string>& labels,
                const std::map<std::string, std::string>& options, bool anonymous);
  /// The volume `name`, or nullopt.
  std::optional<Volume> find(const std::string& name) const;
  /// The volume `name`. @throws Error "No such volume: NAME" (exit code 1).
  Volume get(const std::string& name) const;
  /// Every volume, by name.
  std::vector<Volume> list() const;
  /// The ids of the containers that use volume `name`: kept containers whose record lists it
  /// among its Mounts, and running ones whose clean-up record names it.
  std::vector<std::string> users(const std::string& name) const;
  /// Removes the volume (unmounting its filesystem first, if mounted). Refused while a
  /// container other than `ending` (one whose end removes it) uses it: Error `remove NAME:
  /// volume is in use - [ID, ...]` (exit code 1).
  void remove(const Volume& volume, const std::string& ending = "");
  /// Removes every volume no container uses (docker 20.10: named and anonymous).
  PruneReport prune();

  /// For a volume with --opt type=...: its filesystem mounted on _data, unless it is already.
  static void mount_filesystem(const Volume& volume);
  /// Unmounts that filesystem (the caller knows no container uses it any more); never throws.
  static void unmount_filesystem(const Volume& volume) noexcept;
  /// The bytes its files take (regular files' sizes, each inode once).
  static std::uint64_t size(const Volume& volume);

 private:
  const StateRoot& root_;
  std::filesystem::path volumes_;
};

/// The root's volumes directory, ROOT/volumes.
std::filesystem::path volumes_dir(const StateRoot& root);

}  // namespace dockling::ch13
