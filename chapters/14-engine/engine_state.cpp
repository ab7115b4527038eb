#include "engine_state.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <thread>

#include <nlohmann/json.hpp>

#include "dockling/fs.hpp"

namespace fs = std::filesystem;

namespace dockling::ch14 {

namespace {

fs::path exit_path(const StateRoot& root, const std::string& id) { return root.dir() / "engine" / "exits" / id; }
fs::path runs_path(const StateRoot& root, const std::string& id) { return root.dir() / "engine" / "runs" / id; }
fs::path stopped_path(const StateRoot& root, const std::string& id) { return root.dir() / "engine" / "stopped" / id; }
fs::path monitor_lock_path(const StateRoot& root, const std::string& id) { return root.dir() / "engine" / "monitors" / id; }

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

namespace dockling::ch14 {

void write_run_arguments(const StateRoot& root, const std::string& id, const std::vector<std::string>& args) {
  fs::path path = runs_path(root, id);
  fs::create_directories(path.parent_path());
  write_file_atomically(path, nlohmann::json(args).dump() + "\n");
}

std::vector<std::string> read_run_arguments(const StateRoot& root, const std::string& id) {
  fs::path path = runs_path(root, id);
  if (!path_exists(path.string())) return {};
  try {
    return nlohmann::json::parse(read_file(path.string())).get<std::vector<std::string>>();
  } catch (const std::exception&) {
    return {};  // half written by a crash: the container cannot be started again
  }
}

void mark_stopped_by_user(const StateRoot& root, const std::string& id, bool stopped) noexcept {
  std::error_code ignored;
  fs::path path = stopped_path(root, id);
  if (!stopped) {
    fs::remove(path, ignored);
    return;
  }
  try {
    fs::create_directories(path.parent_path());
    write_file(path.string(), "");
  } catch (const std::exception&) {
    // the state root went away: nothing to restart either
  }
}

bool stopped_by_user(const StateRoot& root, const std::string& id) { return path_exists(stopped_path(root, id).string()); }

UniqueFd hold_monitor_lock(const StateRoot& root, const std::string& id) {
  fs::path path = monitor_lock_path(root, id);
  fs::create_directories(path.parent_path());
  return lock_file(path);
}

bool wait_for_monitor(const StateRoot& root, const std::string& id, std::chrono::milliseconds limit) {
  fs::path path = monitor_lock_path(root, id);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return true;  // no monitor ever held it
  UniqueFd owner(fd);
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (::flock(fd, LOCK_SH | LOCK_NB) != 0) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

void forget_container(const StateRoot& root, const std::string& id) noexcept {
  std::error_code ignored;
  for (const fs::path& path : {exit_path(root, id), runs_path(root, id), stopped_path(root, id), monitor_lock_path(root, id)})
    fs::remove(path, ignored);
}

}  // namespace dockling::ch14
