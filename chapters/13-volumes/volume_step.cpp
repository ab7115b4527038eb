#include "volume_step.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "container_store.hpp"
#include "dockling/error.hpp"
#include "dockling/fs.hpp"
#include "dockling/log.hpp"
#include "in_root.hpp"
#include "registry_step.hpp"
#include "vfs_driver.hpp"
#include "volume_store.hpp"

namespace fs = std::filesystem;

namespace dockling::ch13 {

namespace {

/// `--volumes-from CONTAINER[:ro|rw]`: the container and the mode ("" keeps each mount's).
std::pair<std::string, std::string> split_volumes_from(const std::string& text) {
  size_t colon = text.rfind(':');
  if (colon != std::string::npos) {
    std::string mode = text.substr(colon + 1);
    if (mode == "ro" || mode == "rw") return {text.substr(0, colon), mode};
    throw Error(fmt::format("invalid --volumes-from '{}': the mode must be ro or rw, not '{}'", text, mode));
  }
  return {text, ""};
}

/// The requests a kept container's Mounts stand for: the same volumes and host paths at the
/// same places (its tmpfs mounts were its own).
std::vector<VolumeRequest> requests_from(const ch10::ContainerRecord& other, const std::string& text,
                                         const std::string& mode) {
  std::vector<VolumeRequest> requests;
  for (const auto& mount : other.json.value("Mounts", nlohmann::json::array())) {
    std::string type = mount.value("Type", "");
    if (type != "bind" && type != "volume") continue;
    VolumeRequest request;
    request.kind = type == "bind" ? MountKind::bind : MountKind::volume;
    request.source = type == "bind" ? mount.value("Source", "") : mount.value("Name", "");
    request.target = mount.value("Destination", "");
    request.read_only = mode.empty() ? !mount.value("RW", true) : mode == "ro";
    if (type == "bind") request.propagation = mount.value("Propagation", "");
    request.no_copy = true;  // the volume has its files already, or chose to have none
    request.origin = "--volumes-from " + text;
    requests.push_back(std::move(request));
  }
  return requests;
}

/// True when the directory `dir` has no entries.
bool empty_directory(const fs::path& dir) {
  std::error_code error;
  return fs::is_empty(dir, error) && !error;
}

/// The image's files at `target` copied into the volume's empty `data` (docker's copy-up):
/// owners, modes, times, extended attributes, symbolic links and hard links as they are,
/// and the directory's own owner and mode. `root` is the container's root; `target` is
/// resolved inside it, so that a symbolic link of the image cannot point the copy at the host.
void copy_up(const fs::path& root, const std::string& target, const fs::path& data, const fs::path& volume_dir) {
  UniqueFd root_fd(check(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC), "open", root.string()));
  UniqueFd source = ch03::open_in_root_if_exists(root_fd.get(), target);
  if (!source) return;  // nothing there in the image: the volume stays empty
  struct stat st {};
  check(::fstat(source.get(), &st), "fstat", target);
  if (!S_ISDIR(st.st_mode)) return;
  // Two containers starting on one new volume: one copies, the other finds it full.
  UniqueFd lock = lock_file(volume_dir / "copy-up.lock");
  if (!empty_directory(data)) return;
  std::string from = ch03::fd_path(source.get());
  ch10::copy_layers({from}, data);
  check(::lchown(data.c_str(), st.st_uid, st.st_gid), "lchown", data.string());
  check(::chmod(data.c_str(), st.st_mode & 07777), "chmod", data.string());
  log::debug("volume: {} copied into {}", target, data.string());
}

/// docker's inspect Mounts entry of one request.
nlohmann::json mount_json(const VolumeRequest& request, const std::string& source, const std::string& name,
                          const std::string& mode) {
  nlohmann::json entry = {{"Type", request.kind == MountKind::bind    ? "bind"
                                   : request.kind == MountKind::volume ? "volume"
                                                                        : "tmpfs"}};
  if (request.kind == MountKind::volume) entry["Name"] = name;
  entry["Source"] = source;
  entry["Destination"] = request.target;
  if (request.kind == MountKind::volume) entry["Driver"] = "local";
  entry["Mode"] = mode;
  entry["RW"] = !request.read_only;
  entry["Propagation"] = request.kind == MountKind::bind ? (request.propagation.empty() ? "rprivate" : request.propagation)
                                                         : "";
  return entry;
}

/// The -v MODE as docker's inspect shows it: the third part, as given.
std::string mode_of(const VolumeRequest& request) {
  if (request.origin.rfind("-v ", 0) != 0) return "";
  std::string value = request.origin.substr(3);
  size_t first = value.find(':');
  size_t second = first == std::string::npos ? std::string::npos : value.find(':', first + 1);
  return second == std::string::npos ? "" : value.substr(second + 1);
}

}  // namespace

void VolumesStep::add_flags(CLI::App& run) {
  run.add_option("-v,--volume", volume_flags_, "Bind mount a volume: [SOURCE:]TARGET[:MODE], SOURCE a host path or a volume's name")
      ->allow_extra_args(false);
  run.add_option("--mount", mount_flags_, "Attach a filesystem mount: type=bind|volume|tmpfs,source=...,target=...")
      ->allow_extra_args(false);
  run.add_option("--volumes-from", volumes_from_, "Mount volumes from the specified container: CONTAINER[:ro|rw]")
      ->allow_extra_args(false);
}

void VolumesStep::to_spec(ContainerSpec&) {
  requests_.clear();
  for (const auto& value : volume_flags_) requests_.push_back(parse_volume_flag(value));
  for (const auto& value : mount_flags_) requests_.push_back(parse_mount_flag(value));
  std::set<std::string> targets;
  for (const auto& request : requests_) {
    if (!targets.insert(request.target).second) throw Error(fmt::format("Duplicate mount point: {}", request.target));
    for (const auto& warning : request.warnings) log::warning("{}", warning);
  }
}

void VolumesStep::prepare(ContainerSpec& spec, const StateRoot& root) {
  std::vector<VolumeRequest> requests = requests_;
  std::set<std::string> targets;
  for (const auto& request : requests) targets.insert(request.target);
  ch10::ContainerStore containers(root);
  for (const auto& text : volumes_from_) {
    auto [name, mode] = split_volumes_from(text);
    std::optional<ch10::ContainerRecord> other;
    try {
      other = containers.find(name);
    } catch (const Error& e) {
      throw Error(e.what());  // docker's run answers 125 for it, not `inspect`'s 1
    }
    for (auto& request : requests_from(*other, text, mode))
      if (targets.insert(request.target).second) requests.push_back(std::move(request));
  }
  // The image's VOLUMEs: an anonymous volume each, unless a flag mounts something there.
  std::optional<ch10::ContainerRecord> record = containers.load(spec.id);
  if (record) {
    const auto& volumes = record->json["Config"].value("Volumes", nlohmann::json());
    if (volumes.is_object())
      for (const auto& [target, unused] : volumes.items()) {
        VolumeRequest request;
        request.target = target;
        request.origin = "VOLUME " + target + " of the image";
        if (targets.insert(target).second) requests.push_back(std::move(request));
      }
  }
  if (requests.empty()) return;
  // A container started again (chapter 14) keeps the anonymous volumes it had: by target.
  std::map<std::string, std::string> earlier;
  if (record)
    for (const auto& mount : record->json.value("Mounts", nlohmann::json::array()))
      if (mount.value("Type", "") == "volume") earlier[mount.value("Destination", "")] = mount.value("Name", "");

  VolumeStore store(root);
  lock_ = store.lock();  // held until before_clone() has recorded what uses them
  for (const auto& request : requests) {
    MountSpec mount{request.target, "bind", request.source, {}, request.origin};
    std::string access = request.read_only ? "ro" : "rw";
    if (request.kind == MountKind::bind) {
      if (!path_exists(request.source)) {
        if (!request.create_missing_source)
          throw Error(fmt::format("invalid mount config for type \"bind\": bind source path does not exist: {}",
                                  request.source));
        fs::create_directories(request.source);  // docker's -v makes a missing host directory
        log::debug("volume: {}: made the missing host directory {}", request.origin, request.source);
      }
      mount.options = {request.recursive ? "rbind" : "bind", access,
                       request.propagation.empty() ? "rprivate" : request.propagation};
      mounts_.push_back(mount_json(request, request.source, "", mode_of(request)));
    } else if (request.kind == MountKind::volume) {
      std::string name = request.source;
      if (name.empty() && earlier.count(request.target)) name = earlier[request.target];
      Volume volume = store.create(name, request.volume_labels, request.volume_options, request.source.empty());
      VolumeStore::mount_filesystem(volume);
      names_.push_back(volume.name());
      if (request.source.empty()) anonymous_.push_back(volume.name());
      mount.source = volume.data().string();
      mount.options = {"rbind", access, "rprivate"};
      if (!request.no_copy) copy_ups_.push_back({request.target, volume.data(), volume.dir});
      mounts_.push_back(mount_json(request, mount.source, volume.name(), mode_of(request)));
    } else {
      mount = MountSpec{request.target, "tmpfs", "tmpfs", {access}, request.origin};
      if (request.tmpfs_size) mount.options.push_back(fmt::format("size={}", request.tmpfs_size));
      if (request.tmpfs_mode) mount.options.push_back(fmt::format("mode={:o}", request.tmpfs_mode));
      mounts_.push_back(mount_json(request, "", "", ""));
    }
    spec.root.mounts.push_back(std::move(mount));
  }
}

void VolumesStep::before_clone(Container& container) {
  if (!lock_) return;  // no volume, no bind mount
  ch10::ContainerStore containers(container.root);
  bool remove_anonymous = true;  // a directory's run is not kept: nothing would use them again
  if (std::optional<ch10::ContainerRecord> record = containers.load(container.spec.id)) {
    bool auto_remove = record->json["HostConfig"].value("AutoRemove", false);
    remove_anonymous = auto_remove;
    record->json["Mounts"] = mounts_;
    record->json["HostConfig"]["Binds"] = volume_flags_.empty() ? nlohmann::json() : nlohmann::json(volume_flags_);
    ch10::ContainerStore::save(*record, !auto_remove);
  }
  container.record["volumes"] = {{"names", names_}, {"anonymous", anonymous_}, {"remove", remove_anonymous}};
  lock_.reset();
}

void VolumesStep::in_child(Container& container) {
  for (const auto& copy : copy_ups_) {
    try {
      copy_up(container.spec.root.path, copy.target, copy.data, copy.volume_dir);
    } catch (const SysError& e) {
      throw Error(fmt::format("copying the image's {} into its volume: {}", copy.target, e.what()));
    }
  }
}

void VolumesStep::after_exit(Container& container) noexcept {
  auto found = container.record.find("volumes");
  if (found == container.record.end()) return;
  try {
    const nlohmann::json& record = *found;
    VolumeStore store(container.root);
    UniqueFd lock = store.lock();
    std::vector<std::string> anonymous = record.value("anonymous", std::vector<std::string>{});
    for (const auto& name : record.value("names", std::vector<std::string>{})) {
      std::optional<Volume> volume = store.find(name);
      if (!volume) continue;
      std::vector<std::string> users = store.users(name);
      if (std::any_of(users.begin(), users.end(), [&](const std::string& id) { return id != container.spec.id; }))
        continue;  // another container still uses it
      bool doomed = record.value("remove", false) && std::count(anonymous.begin(), anonymous.end(), name) > 0;
      if (doomed) {
        store.remove(*volume, container.spec.id);
      } else {
        VolumeStore::unmount_filesystem(*volume);
      }
    }
  } catch (const std::exception& e) {
    log::warning("removing the container's volumes: {}", e.what());
  }
  container.record.erase("volumes");
}

void VolumeRootStep::before_pivot(Container& container) {
  const auto& mounts = container.spec.root.mounts;
  order_.resize(mounts.size());
  for (size_t i = 0; i < order_.size(); ++i) order_[i] = i;
  // Parents before what is mounted inside them: /data, then /data/logs (docker sorts so too).
  auto depth = [&](size_t i) { return std::count(mounts[i].destination.begin(), mounts[i].destination.end(), '/'); };
  std::stable_sort(order_.begin(), order_.end(), [&](size_t a, size_t b) { return depth(a) < depth(b); });
  // The host's paths are opened now, while the host's tree is in view.
  mounts_.emplace(mounts);
  mounts_->open_sources(container.spec.id);
}

void VolumeRootStep::mount_listed(int root_fd, const Container& container) {
  const auto& mounts = container.spec.root.mounts;
  for (size_t i : order_) {
    if (mounts[i].type == "tmpfs") {
      log::debug("child: tmpfs {}", mounts[i].destination);
      ch03::mount_tmpfs(root_fd, ch03::tmpfs_of(mounts[i]));
    } else {
      mounts_->mount(root_fd, i);
    }
  }
  mounts_.reset();
}

Steps steps() {
  Steps list = ch12::steps();
  list.push_back(std::make_unique<VolumesStep>());
  list.push_back(std::make_unique<VolumeRootStep>());  // replaces chapter 03's (same slot)
  return list;
}

}  // namespace dockling::ch13
