#include "container_store.hpp"
#include "rootless_store.hpp"

#include <sys/mount.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <random>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "dockling/fs.hpp"
#include "dockling/log.hpp"
#include "dockling/tempdir.hpp"

namespace fs = std::filesystem;

namespace dockling::ch10 {

namespace {

// Words for generated names, ours (docker has its own, longer lists).
constexpr const char* kAdjectives[] = {
    "brave",  "calm",    "clever", "eager",   "fervent", "gentle", "happy",   "jolly",  "keen",   "lucid",
    "merry",  "nimble",  "noble",  "patient", "quiet",   "quirky", "serene",  "sharp",  "steady", "sunny",
    "tender", "upbeat",  "vivid",  "wise",    "witty",   "zealous", "bold",   "cheery", "daring", "frosty"};
constexpr const char* kScientists[] = {
    "curie",   "darwin",  "euler",   "faraday", "franklin", "gauss",    "hopper",  "hypatia", "kepler", "lamarr",
    "lovelace", "maxwell", "meitner", "newton", "noether",  "pascal",   "ramanujan", "ritchie", "shannon", "thompson",
    "turing",  "volta",   "wozniak", "yonath",  "zuse",     "babbage",  "bohr",    "dijkstra", "galois", "kovalevskaya"};

bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

}  // namespace

std::string ContainerRecord::name() const {
  std::string text = json.value("Name", "");
  return starts_with(text, "/") ? text.substr(1) : text;
}

std::string ContainerRecord::status() const {
  const auto& state = json.value("State", nlohmann::json::object());
  std::string status = state.value("Status", "created");
  if (status == "restarting") {
    // Chapter 14: its monitor waits out the restart policy's backoff; gone, nobody restarts it.
    const auto& monitor = state.value("Monitor", nlohmann::json::object());
    ProcessIdentity waiting{monitor.value("Pid", 0), monitor.value("StartTime", std::uint64_t{0})};
    return waiting.alive() ? "restarting" : "exited";
  }
  if (status != "running") return status;
  ProcessIdentity process{state.value("Pid", 0), state.value("PidStartTime", std::uint64_t{0})};
  return process.alive() ? "running" : "exited";
}

nlohmann::json ContainerRecord::network_ports() const {
  if (status() != "running") return nlohmann::json::object();
  return json.value("NetworkSettings", nlohmann::json::object()).value("Ports", nlohmann::json::object());
}

void check_container_name(const std::string& name) {
  std::string bare = starts_with(name, "/") ? name.substr(1) : name;
  auto allowed = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'; };
  bool valid = bare.size() >= 2 && std::isalnum(static_cast<unsigned char>(bare[0])) &&
               std::all_of(bare.begin(), bare.end(), allowed);
  if (!valid) throw Error(fmt::format("Invalid container name ({}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name));
}

ContainerStore::ContainerStore(const StateRoot& root) : root_(root.dir()), containers_(root.dir() / "containers") {}

fs::path ContainerStore::dir(const std::string& id) const { return containers_ / id; }

fs::path ContainerStore::make_dir(const std::string& id) const {
  std::error_code error;
  fs::create_directories(containers_, error);
  if (error) throw Error(fmt::format("mkdir(\"{}\"): {}", containers_.string(), error.message()));
  fs::path path = dir(id);
  if (::mkdir(path.c_str(), 0711) != 0) throw SysError("mkdir", path.string(), errno);
  return path;
}

UniqueFd ContainerStore::lock() const {
  std::error_code error;
  fs::create_directories(root_, error);
  if (error) throw Error(fmt::format("mkdir(\"{}\"): {}", root_.string(), error.message()));
  return lock_file(root_ / "containers.lock");
}

std::optional<ContainerRecord> ContainerStore::load(const std::string& id) const {
  fs::path file = dir(id) / "config.json";
  if (!path_exists(file.string())) return std::nullopt;
  try {
    return ContainerRecord{dir(id), nlohmann::json::parse(read_file(file.string()))};
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: not a container record: {}", file.string(), e.what()), 1);
  }
}

std::vector<ContainerRecord> ContainerStore::list() const {
  std::vector<ContainerRecord> records;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(containers_, error)) {
    try {
      if (auto record = load(entry.path().filename())) records.push_back(std::move(*record));
    } catch (const SysError&) {
      // removed while we listed it: gone is gone
    } catch (const Error& e) {
      // Not a record (written by hand, or a disk that lost it): the others are still listed.
      log::warning("{} (skipped: remove its directory to forget it)", e.what());
    }
  }
  std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) {
    return a.json.value("Created", "") > b.json.value("Created", "");
  });
  return records;
}

ContainerRecord ContainerStore::find(const std::string& text) const {
  std::vector<ContainerRecord> records = list();
  std::string bare = starts_with(text, "/") ? text.substr(1) : text;
  // Docker's order: a full id, then a name, then an id prefix.
  for (auto& record : records)
    if (record.id() == text) return record;
  for (auto& record : records)
    if (!bare.empty() && record.name() == bare) return record;
  std::vector<ContainerRecord*> matches;
  for (auto& record : records)
    if (!text.empty() && starts_with(record.id(), text)) matches.push_back(&record);
  if (matches.size() == 1) return *matches.front();
  if (matches.size() > 1)
    throw Error(fmt::format("Error response from daemon: multiple IDs found with provided prefix: {}", text), 1);
  throw Error(fmt::format("No such container: {}", text), 1);
}

void ContainerStore::check_name_free(const std::string& name) const {
  for (const auto& record : list())
    if (record.name() == name)
      throw Error(fmt::format("Conflict. The container name \"/{}\" is already in use by container \"{}\". You have "
                              "to remove (or rename) that container to be able to reuse that name.",
                              name, record.id()));
}

std::string ContainerStore::unused_name() const {
  std::vector<ContainerRecord> records = list();
  std::random_device random;
  for (int attempt = 0;; ++attempt) {
    std::string name = fmt::format("{}_{}", kAdjectives[random() % std::size(kAdjectives)],
                                   kScientists[random() % std::size(kScientists)]);
    if (attempt > 10) name += std::to_string(random() % 100);  // as docker does once names run short
    if (std::none_of(records.begin(), records.end(), [&](const auto& r) { return r.name() == name; })) return name;
  }
}

void ContainerStore::save(const ContainerRecord& record, bool durable) {
  fs::path file = record.dir / "config.json";
  std::string text = record.json.dump(2) + "\n";
  if (durable)
    write_file_durably(file, text);
  else
    write_file_atomically(file, text);
}

void ContainerStore::remove(const ContainerRecord& record) {
  // A runtime killed while its container ran left the root mounted. (Not rootless: in a user
  // namespace a container's overlay lived in its own mount namespace, gone with it.)
  if (!in_user_namespace() && ::umount2(record.merged().c_str(), MNT_DETACH) != 0 && errno != EINVAL &&
      errno != ENOENT)
    throw SysError("umount2", record.merged().string(), errno);
  if (!remove_tree(record.dir)) throw Error(fmt::format("could not remove {}", record.dir.string()), 1);
}

}  // namespace dockling::ch10
