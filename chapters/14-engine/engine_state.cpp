#include "engine_state.hpp"

#include <nlohmann/json.hpp>

#include "dockling/fs.hpp"

namespace fs = std::filesystem;

namespace dockling::ch14 {

namespace {

fs::path exit_path(const StateRoot& root, const std::string& id) { return root.dir() / "engine" / "exits" / id; }

}  // namespace

fs::path default_socket(const StateRoot& root) { return root.dir() / "engine.sock"; }

fs::path control_fifo(const StateRoot& root, const std::string& id) { return root.dir() / "engine" / "control" / id; }

void write_exit(const StateRoot& root, const std::string& id, const ExitRecord& exit) {
  fs::path path = exit_path(root, id);
  fs::create_directories(path.parent_path());
  nlohmann::json json = {{"StatusCode", exit.status_code}, {"FinishedAt", exit.finished_at}, {"Error", exit.error}};
  write_file_atomically(path, json.dump() + "\n");
}

std::optional<ExitRecord> read_exit(const StateRoot& root, const std::string& id) {
  fs::path path = exit_path(root, id);
  if (!path_exists(path.string())) return std::nullopt;
  try {
    nlohmann::json json = nlohmann::json::parse(read_file(path.string()));
    return ExitRecord{json.value("StatusCode", 0), json.value("FinishedAt", ""), json.value("Error", "")};
  } catch (const std::exception&) {
    return std::nullopt;  // removed between the check and the read
  }
}

void clear_exit(const StateRoot& root, const std::string& id) noexcept {
  std::error_code ignored;
  fs::remove(exit_path(root, id), ignored);
}

}  // namespace dockling::ch14
