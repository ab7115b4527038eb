/// @file swarm_store.hpp
/// @brief The manager's state (nodes, services, tasks, the swarm itself) in an embedded store:
/// one SQLite file, ROOT/swarm/state.db. Every change is one transaction, so a manager killed
/// at any moment restarts with all that it had acknowledged.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

struct sqlite3;

namespace dockling::ch15 {

/// One change of a transaction: an object written (json set) or removed (json null).
struct StoreChange {
  std::string kind;  ///< "node", "service", "task", "cluster"
  std::string id;    ///< the object's id within its kind ("cluster" for the one cluster object)
  nlohmann::json object;  ///< null: remove
};

/// The objects of a swarm by kind and id, as JSON (docker's API shapes), read from memory and
/// written through to SQLite. Not thread-safe: the manager holds its lock around it.
class SwarmStore {
 public:
  /// Opens (or creates) the store file `path`, reading every object into memory.
  /// @throws Error naming the file when SQLite refuses it.
  explicit SwarmStore(const std::filesystem::path& path);
  ~SwarmStore();
  SwarmStore(const SwarmStore&) = delete;
  SwarmStore& operator=(const SwarmStore&) = delete;

  /// Every object of `kind`, by id.
  const std::map<std::string, nlohmann::json>& all(const std::string& kind) const;
  /// The object `kind`/`id`, or nullptr.
  const nlohmann::json* find(const std::string& kind, const std::string& id) const;

  /// Writes `changes` in one transaction. Each object written gets Version.Index, the store's
  /// next index, and UpdatedAt. Nothing changes in memory if the write fails.
  void apply(std::vector<StoreChange> changes);
  /// The last index handed out.
  std::uint64_t index() const { return index_; }

 private:
  void exec(const char* sql);
  sqlite3* db_ = nullptr;
  std::filesystem::path path_;
  std::uint64_t index_ = 0;
  std::map<std::string, std::map<std::string, nlohmann::json>> objects_;
};

}  // namespace dockling::ch15
