#include "swarm_store.hpp"

#include <sqlite3.h>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "image_store.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace dockling::ch15 {

namespace {

/// A prepared statement, finalized when it goes.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql, const fs::path& path) {
    if (sqlite3_prepare_v2(db, sql, -1, &statement_, nullptr) != SQLITE_OK)
      throw Error(fmt::format("{}: {}", path.string(), sqlite3_errmsg(db)));
  }
  ~Statement() { sqlite3_finalize(statement_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  sqlite3_stmt* get() { return statement_; }

 private:
  sqlite3_stmt* statement_ = nullptr;
};

std::string column_text(sqlite3_stmt* statement, int column) {
  const unsigned char* text = sqlite3_column_text(statement, column);
  return text != nullptr ? reinterpret_cast<const char*>(text) : "";
}

}  // namespace

SwarmStore::SwarmStore(const fs::path& path) : path_(path) {
  fs::create_directories(path.parent_path());
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(fmt::format("{}: {}", path.string(), message));
  }
  sqlite3_busy_timeout(db_, 5000);
  // WAL: a commit is one append to the log; synchronous=FULL: it is on disk when apply() returns.
  exec("PRAGMA journal_mode=WAL");
  exec("PRAGMA synchronous=FULL");
  exec("CREATE TABLE IF NOT EXISTS objects (kind TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, "
       "PRIMARY KEY (kind, id))");
  exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  Statement rows(db_, "SELECT kind, id, body FROM objects", path_);
  while (sqlite3_step(rows.get()) == SQLITE_ROW) {
    json object = json::parse(column_text(rows.get(), 2), nullptr, false);
    if (object.is_discarded()) throw Error(fmt::format("{}: a stored {} is not JSON", path_.string(), column_text(rows.get(), 1)));
    objects_[column_text(rows.get(), 0)][column_text(rows.get(), 1)] = std::move(object);
  }
  Statement meta(db_, "SELECT value FROM meta WHERE key = 'index'", path_);
  if (sqlite3_step(meta.get()) == SQLITE_ROW) index_ = std::stoull(column_text(meta.get(), 0));
}

SwarmStore::~SwarmStore() { sqlite3_close(db_); }

void SwarmStore::exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message != nullptr ? message : "?";
    sqlite3_free(message);
    throw Error(fmt::format("{}: {}", path_.string(), text));
  }
}

const std::map<std::string, json>& SwarmStore::all(const std::string& kind) const {
  static const std::map<std::string, json> none;
  auto found = objects_.find(kind);
  return found == objects_.end() ? none : found->second;
}

const json* SwarmStore::find(const std::string& kind, const std::string& id) const {
  auto of_kind = objects_.find(kind);
  if (of_kind == objects_.end()) return nullptr;
  auto found = of_kind->second.find(id);
  return found == of_kind->second.end() ? nullptr : &found->second;
}

void SwarmStore::apply(std::vector<StoreChange> changes) {
  if (changes.empty()) return;
  std::uint64_t index = index_;
  std::string now = ch10::rfc3339_now();
  exec("BEGIN IMMEDIATE");
  try {
    Statement put(db_, "INSERT OR REPLACE INTO objects (kind, id, body) VALUES (?, ?, ?)", path_);
    Statement remove(db_, "DELETE FROM objects WHERE kind = ? AND id = ?", path_);
    for (auto& change : changes) {
      sqlite3_stmt* statement = change.object.is_null() ? remove.get() : put.get();
      if (!change.object.is_null()) {
        change.object["Version"] = {{"Index", ++index}};
        change.object["UpdatedAt"] = now;
        if (!change.object.contains("CreatedAt")) change.object["CreatedAt"] = now;
      }
      std::string body = change.object.is_null() ? "" : change.object.dump();
      sqlite3_reset(statement);
      sqlite3_bind_text(statement, 1, change.kind.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(statement, 2, change.id.c_str(), -1, SQLITE_TRANSIENT);
      if (!change.object.is_null()) sqlite3_bind_text(statement, 3, body.c_str(), -1, SQLITE_TRANSIENT);
      if (sqlite3_step(statement) != SQLITE_DONE) throw Error(fmt::format("{}: {}", path_.string(), sqlite3_errmsg(db_)));
    }
    Statement meta(db_, "INSERT OR REPLACE INTO meta (key, value) VALUES ('index', ?)", path_);
    std::string text = std::to_string(index);
    sqlite3_bind_text(meta.get(), 1, text.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(meta.get()) != SQLITE_DONE) throw Error(fmt::format("{}: {}", path_.string(), sqlite3_errmsg(db_)));
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  index_ = index;
  for (auto& change : changes) {
    if (change.object.is_null())
      objects_[change.kind].erase(change.id);
    else
      objects_[change.kind][change.id] = std::move(change.object);
  }
}

}  // namespace dockling::ch15
