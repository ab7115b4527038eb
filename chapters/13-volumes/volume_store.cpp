#include "volume_store.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "container_store.hpp"
#include "dockling/error.hpp"
#include "dockling/fs.hpp"
#include "dockling/log.hpp"
#include "image_store.hpp"
#include "volume_request.hpp"

namespace fs = std::filesystem;

namespace dockling::ch13 {

namespace {

/// docker's CreatedAt: seconds, in UTC ("2026-12-01T01:16:09Z").
std::string created_at() {
  std::string now = ch10::rfc3339_now();  // "...:09.373804082Z"
  return now.substr(0, now.find('.')) + "Z";
}

/// True when `path` is the root of a mount (something is mounted on it).
bool is_mount_point(const fs::path& path) {
  struct statx st {};
  if (::statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW, 0, &st) != 0) return false;
  return (st.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (st.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

/// The local driver's options: type, device and o, as `docker volume create --opt` takes
/// them. A type needs a device (docker's "missing required option").
void check_options(const std::map<std::string, std::string>& options) {
  for (const auto& [key, value] : options)
    if (key != "type" && key != "device" && key != "o")
      throw Error(fmt::format("invalid option key: \"{}\" (the local driver takes type, device and o)", key));
  bool has_type = options.count("type") > 0, has_device = options.count("device") > 0;
  if (has_type != has_device)
    throw Error(fmt::format("missing required option: \"{}\"", has_type ? "device" : "type"));
}

/// mount(2)'s flags and data from the o= option: bind, rbind and ro are flags, the rest data.
std::pair<unsigned long, std::string> mount_flags(const std::string& o) {
  unsigned long flags = 0;
  std::string data;
  size_t start = 0;
  while (start <= o.size()) {
    size_t end = std::min(o.find(',', start), o.size());
    std::string word = o.substr(start, end - start);
    start = end + 1;
    if (word == "bind") flags |= MS_BIND;
    else if (word == "rbind") flags |= MS_BIND | MS_REC;
    else if (word == "ro") flags |= MS_RDONLY;
    else if (!word.empty()) data += (data.empty() ? "" : ",") + word;
  }
  return {flags, data};
}

/// Names of the volumes a clean-up record (a running container's state.json) uses.
std::vector<std::string> names_in_run_record(const fs::path& state_file) {
  std::vector<std::string> names;
  try {
    nlohmann::json state = nlohmann::json::parse(read_file(state_file.string()));
    const auto& record = state.value("record", nlohmann::json::object());
    if (!record.contains("volumes")) return names;
    // A record whose runtime died with its container is stale: the next run removes it.
    ProcessIdentity creator{state["creator"].value("pid", 0), state["creator"].value("start_time", std::uint64_t{0})};
    ProcessIdentity process{state["process"].value("pid", 0), state["process"].value("start_time", std::uint64_t{0})};
    if (!creator.alive() && !process.alive() && !state.value("detached", false)) return names;
    for (const auto& name : record["volumes"].value("names", std::vector<std::string>{})) names.push_back(name);
  } catch (const std::exception&) {
    // being written or removed right now: not a user we can name
  }
  return names;
}

}  // namespace

fs::path volumes_dir(const StateRoot& root) { return root.dir() / "volumes"; }

nlohmann::json Volume::inspect() const {
  nlohmann::json shown = record;
  shown.erase("Anonymous");
  shown["Mountpoint"] = data().string();
  return shown;
}

VolumeStore::VolumeStore(const StateRoot& root) : root_(root), volumes_(volumes_dir(root)) {}

UniqueFd VolumeStore::lock() const {
  fs::create_directories(root_.dir());
  return lock_file(root_.dir() / "volumes.lock");
}

Volume VolumeStore::create(const std::string& name, const std::map<std::string, std::string>& labels,
                           const std::map<std::string, std::string>& options, bool anonymous) {
  if (!name.empty()) {
    check_volume_name(name);
    if (auto existing = find(name)) return *existing;
  }
  check_options(options);
  std::string chosen = name.empty() ? random_hex(32) : name;
  Volume volume{volumes_ / chosen,
                {{"CreatedAt", created_at()},
                 {"Driver", "local"},
                 {"Labels", labels},
                 {"Name", chosen},
                 {"Options", options},
                 {"Scope", "local"},
                 {"Anonymous", anonymous}}};
  fs::create_directories(volumes_);
  // Made under a temporary name and renamed: a volume exists with its record, or not at all.
  fs::path partial = volumes_ / (".new-" + chosen);
  fs::remove_all(partial);
  check(::mkdir(partial.c_str(), 0701), "mkdir", partial.string());
  check(::mkdir((partial / "_data").c_str(), 0755), "mkdir", (partial / "_data").string());
  write_file_durably(partial / "volume.json", volume.record.dump(2) + "\n");
  if (::rename(partial.c_str(), volume.dir.c_str()) != 0) throw SysError("rename", volume.dir.string(), errno);
  log::debug("volume: created {}{}", chosen, anonymous ? " (anonymous)" : "");
  return volume;
}

std::optional<Volume> VolumeStore::find(const std::string& name) const {
  if (name.empty() || name.find('/') != std::string::npos || name[0] == '.') return std::nullopt;
  fs::path dir = volumes_ / name;
  if (!path_exists((dir / "volume.json").string())) return std::nullopt;
  return Volume{dir, nlohmann::json::parse(read_file((dir / "volume.json").string()))};
}

Volume VolumeStore::get(const std::string& name) const {
  if (auto volume = find(name)) return *volume;
  throw Error(fmt::format("No such volume: {}", name), 1);
}

std::vector<Volume> VolumeStore::list() const {
  std::vector<Volume> volumes;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(volumes_, error)) {
    std::string name = entry.path().filename().string();
    if (auto volume = find(name)) volumes.push_back(std::move(*volume));
  }
  std::sort(volumes.begin(), volumes.end(), [](const Volume& a, const Volume& b) { return a.name() < b.name(); });
  return volumes;
}

std::vector<std::string> VolumeStore::users(const std::string& name) const {
  std::set<std::string> ids;
  for (const auto& container : ch10::ContainerStore(root_).list())
    for (const auto& mount : container.json.value("Mounts", nlohmann::json::array()))
      if (mount.value("Type", "") == "volume" && mount.value("Name", "") == name) ids.insert(container.id());
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(root_.containers_run_dir(), error))
    for (const auto& used : names_in_run_record(entry.path() / "state.json"))
      if (used == name) ids.insert(entry.path().filename().string());
  return {ids.begin(), ids.end()};
}

void VolumeStore::remove(const Volume& volume, const std::string& ending) {
  std::vector<std::string> ids = users(volume.name());
  ids.erase(std::remove(ids.begin(), ids.end(), ending), ids.end());
  if (!ids.empty())
    throw Error(fmt::format("remove {}: volume is in use - [{}]", volume.name(), fmt::join(ids, ", ")), 1);
  unmount_filesystem(volume);
  // Renamed away first: a half-removed volume is never found under its name.
  fs::path doomed = volumes_ / (".removing-" + volume.name());
  fs::remove_all(doomed);
  if (::rename(volume.dir.c_str(), doomed.c_str()) != 0) throw SysError("rename", volume.dir.string(), errno);
  std::error_code error;
  fs::remove_all(doomed, error);
  if (error) throw SysError("remove", doomed.string(), error.value());
  log::debug("volume: removed {}", volume.name());
}

PruneReport VolumeStore::prune() {
  PruneReport report;
  for (const auto& volume : list()) {
    if (!users(volume.name()).empty()) continue;
    std::uint64_t bytes = size(volume);
    remove(volume);
    report.removed.push_back(volume.name());
    report.bytes += bytes;
  }
  return report;
}

void VolumeStore::mount_filesystem(const Volume& volume) {
  if (!volume.has_mount_options() || is_mount_point(volume.data())) return;
  const auto& options = volume.record["Options"];
  auto [flags, data] = mount_flags(options.value("o", ""));
  std::string type = options.value("type", ""), device = options.value("device", "");
  if (::mount(device.c_str(), volume.data().c_str(), type == "none" ? nullptr : type.c_str(), flags,
              data.empty() ? nullptr : data.c_str()) != 0)
    throw Error(fmt::format("volume {}: mounting {} (type {}, o={}) on {}: {}", volume.name(), device, type,
                            options.value("o", ""), volume.data().string(), std::strerror(errno)));
  log::debug("volume: {} mounted ({} {})", volume.name(), type, device);
}

void VolumeStore::unmount_filesystem(const Volume& volume) noexcept {
  if (!volume.has_mount_options() || !is_mount_point(volume.data())) return;
  if (::umount2(volume.data().c_str(), MNT_DETACH) != 0)
    log::warning("volume {}: umount {}: {}", volume.name(), volume.data().string(), std::strerror(errno));
}

std::uint64_t VolumeStore::size(const Volume& volume) {
  std::uint64_t bytes = 0;
  std::set<std::pair<dev_t, ino_t>> seen;
  std::error_code error;
  for (auto it = fs::recursive_directory_iterator(volume.data(), error); !error && it != fs::end(it);
       it.increment(error)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (seen.insert({st.st_dev, st.st_ino}).second) bytes += static_cast<std::uint64_t>(st.st_size);
  }
  return bytes;
}

}  // namespace dockling::ch13
