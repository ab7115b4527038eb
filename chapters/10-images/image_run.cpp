#include "image_run.hpp"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "dockling/fs.hpp"
#include "dockling/log.hpp"
#include "dockling/tempdir.hpp"
#include "address.hpp"
#include "container_ports.hpp"
#include "image_store.hpp"
#include "images.hpp"
#include "overlay_mount.hpp"
#include "reference.hpp"
#include "rootless_store.hpp"
#include "vfs_driver.hpp"

namespace fs = std::filesystem;

namespace dockling::ch10 {

namespace {

/// A name for an existing directory rather than an image: a path that shows it is one.
bool looks_like_path(const std::string& text) {
  return text.find('/') != std::string::npos || text == "." || text == ".." || text.rfind("./", 0) == 0;
}

void make_directory(const fs::path& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0) throw SysError("mkdir", path.string(), errno);
}

std::string now_text() { return rfc3339_now(); }

/// Lazily unmounts the container's root on the host, if it is still mounted there.
void detach_mount(const fs::path& merged) {
  if (::umount2(merged.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
    log::warning("umount2(\"{}\"): {}", merged.string(), std::strerror(errno));
}

/// Runs `body` as the owner of the store's files: rootless, inside the user's namespace (the
/// layers and rw layers belong to the user's subordinate ids); root, here.
void as_store_owner(bool rootless, const std::function<void()>& body) {
  if (rootless)
    in_rootless_namespace(body);
  else
    body();
}

}  // namespace

ImageRun::Prepared::~Prepared() {
  root.reset();  // unmounted first: remove_tree never crosses a mount point
  if (record.dir.empty() || reused) return;  // a container started again keeps its files
  try {
    remove_container_dir(record.dir, rootless);
  } catch (const std::exception& e) {
    log::warning("removing {}: {}", record.dir.string(), e.what());
  }
}

void ImageRun::remove_container_dir(const fs::path& dir, bool rootless) {
  as_store_owner(rootless, [&] { remove_tree(dir); });
}

std::string ImageRun::rootless_driver(const std::string& text, const StateRoot& root, bool by_default) {
  fs::create_directories(root.dir());
  std::string problem = rootless_overlay_problem(root.dir() / (".overlay-probe-" + random_hex(4)));
  if (problem.empty()) return "overlay";
  if (!by_default) throw Error(fmt::format("{}: {}: overlay cannot be mounted rootless here: use --storage-driver vfs", text, problem));
  log::warning("overlay cannot be mounted in a user namespace here ({}; Linux 5.11+ allows it): each container gets a "
               "copy of its image instead (the vfs driver: slower)",
               problem);
  return "vfs";
}

void ImageRun::in_child(Container& container) {
  (void)container;
  if (!child_mount_) return;
  const ChildMount& m = *child_mount_;
  OverlayMethod method = OverlayMethod::options;
  mount_overlay(m.lowers, m.upper, m.work, m.merged, m.layers_dir, method, true).release();
}

std::optional<Image> ImageRun::image_named(const std::string& text, const StateRoot& root) const {
  if (looks_like_path(text) && is_directory(text)) return std::nullopt;
  std::optional<Reference> reference;
  try {
    reference = parse_reference(text);
  } catch (const Error&) {
    return std::nullopt;  // not a reference: a directory, or chapter 01's "rootfs: No such file"
  }
  // The fetcher gets the tag docker adds: its lines are those of `pull NAME:latest`.
  std::string tagged = reference->with_default_tag().full();
  std::string familiar = reference->with_default_tag().familiar();
  if (fetcher_ && pull_ == "always" && !is_directory(text)) {
    fetcher_(tagged, root);
    return ImageStore(root).find(text);
  }
  try {
    return ImageStore(root).find(text);
  } catch (const Error&) {
    if (is_directory(text)) return std::nullopt;
    if (!fetcher_)  // Docker's words, then what it would do next: pull (chapter 12).
      throw Error(fmt::format("Unable to find image '{}' locally (pulling comes in chapter 12: import or load it)",
                              familiar));
    if (pull_ == "never") throw Error(fmt::format("No such image: {}", familiar));
  }
  // docker's line on stderr (stdout is for what `run` itself prints), then its pull.
  std::cerr << fmt::format("Unable to find image '{}' locally", familiar) << std::endl;
  fetcher_(tagged, root);
  return ImageStore(root).find(text);
}

void ImageRun::add_flags(CLI::App& run) {
  run_ = &run;
  if (CLI::Option* rootfs = run.get_option_no_throw("ROOTFS"))
    rootfs->description("An image (name[:tag], name@digest, an id), or a root filesystem directory");
  run.add_option("--name", name_, "Assign a name to the container")->allow_extra_args(false);
  run.add_flag("--rm", remove_, "Automatically remove the container when it exits");
  run.add_option("--entrypoint", entrypoint_, "Overwrite the default ENTRYPOINT of the image")
      ->allow_extra_args(false);
  // Chapter 14's monitor starts a kept container again (docker start, restart policies) with
  // the flags it was created with: its record, rw layer and name are reused. Not for users.
  run.add_option("--existing-container", existing_, "Start this kept container again")->group("");
  if (fetcher_)
    run.add_option("--pull", pull_, "Pull image before running (\"always\", \"missing\", \"never\")")
        ->allow_extra_args(false)
        ->check([](const std::string& value) -> std::string {
          if (value == "always" || value == "missing" || value == "never") return "";
          return fmt::format("invalid pull option: '{}': must be one of \"always\", \"missing\" or \"never\"", value);
        })
        ->capture_default_str();
}

void ImageRun::to_spec(ContainerSpec& spec, const StateRoot& root, const std::string& storage_driver) {
  std::string text = run_->get_option("ROOTFS")->as<std::string>();
  std::optional<ContainerRecord> existing;
  if (!existing_.empty()) existing = ContainerStore(root).find(existing_);
  // Started again, a container runs the image it was created from, even if its tag moved.
  std::optional<Image> image = existing ? ImageStore(root).find(existing->json.value("Image", "")) : image_named(text, root);
  if (!image) {
    log::debug("image: {} is a directory: the container is not kept", text);
    return;
  }
  rootless_ = ::geteuid() != 0;
  if (!name_.empty() && !existing) check_container_name(name_);
  std::string driver = storage_driver;
  if (existing) {
    driver = existing->json["GraphDriver"].value("Name", "overlay");
  } else if (driver.empty()) {
    driver = "overlay";
    if (on_overlayfs(root.dir())) {
      log::warning("the state root {} is on overlayfs (are you in a container?): overlay cannot put a container's rw "
                   "layer there, so each container gets a copy of its image instead (the vfs driver: slower; "
                   "--storage-driver chooses)",
                   root.dir().string());
      driver = "vfs";
    }
  }
  if (rootless_ && driver == "overlay" && !existing) driver = rootless_driver(text, root, storage_driver.empty());
  const nlohmann::json& config = image->config.value("config", nlohmann::json::object());
  RunOverrides overrides{run_->get_option("COMMAND")->count() > 0 ? spec.process.args : std::vector<std::string>{},
                         entrypoint_};
  apply_image_config(config, overrides, spec);

  ContainerStore containers(root);
  ImageStore images(root);
  Prepared& prepared = prepared_.emplace();
  prepared.rootless = rootless_;
  ContainerRecord& record = prepared.record;
  if (existing) {
    record = *existing;
    prepared.reused = true;
    spec.id = record.id();
  } else {
    UniqueFd lock = containers.lock();
    std::string name = name_.empty() ? containers.unused_name() : (name_[0] == '/' ? name_.substr(1) : name_);
    containers.check_name_free(name);
    fs::path dir = containers.make_dir(spec.id);
    record.dir = dir;
    std::vector<std::string> args(spec.process.args.begin() + 1, spec.process.args.end());
    std::vector<std::string> lowers;
    for (const auto& diff_id : image->diff_ids) lowers.push_back(images.layer_path(diff_id).string());
    record.json = {
        {"Id", spec.id},
        {"Created", now_text()},
        {"Path", spec.process.args.front()},
        {"Args", args},
        {"State", {{"Status", "created"}, {"Running", false}, {"Pid", 0}, {"ExitCode", 0}}},
        {"Image", image->id},
        {"Name", "/" + name},
        {"Driver", driver},
        {"Config",
         {{"Image", text},
          {"Cmd", overrides.command.empty() ? config.value("Cmd", nlohmann::json()) : nlohmann::json(overrides.command)},
          {"Entrypoint", entrypoint_ ? nlohmann::json(entrypoint_->empty() ? std::vector<std::string>{}
                                                                            : std::vector<std::string>{*entrypoint_})
                                     : config.value("Entrypoint", nlohmann::json())},
          {"Env", spec.process.env},
          {"WorkingDir", config.value("WorkingDir", "")},
          {"User", config.value("User", "")},
          {"Labels", config.value("Labels", nlohmann::json::object())},
          {"ExposedPorts", config.value("ExposedPorts", nlohmann::json::object())},
          {"Volumes", config.value("Volumes", nlohmann::json())},
          {"StopSignal", config.value("StopSignal", "")}}},
        {"HostConfig", {{"AutoRemove", remove_}}}};
    if (driver == "vfs")
      record.json["GraphDriver"] = {{"Name", "vfs"}, {"Data", {{"Dir", (dir / "rootfs").string()}, {"LowerDir", lowers}}}};
    else
      record.json["GraphDriver"] = {{"Name", "overlay"},
                                    {"Data",
                                     {{"LowerDir", lowers},
                                      {"UpperDir", (dir / "upper").string()},
                                      {"WorkDir", (dir / "work").string()},
                                      {"MergedDir", (dir / "merged").string()}}}};
    // Not durable yet: before_clone writes it again, with what the later steps decided.
    ContainerStore::save(record, false);
  }
  fs::path dir = record.dir;
  if (record.json["GraphDriver"]["Name"] == "vfs") {
    if (!existing)
      as_store_owner(rootless_, [&] {
        make_directory(dir / "rootfs", 0755);
        copy_layers(record.json["GraphDriver"]["Data"]["LowerDir"], dir / "rootfs");
      });
    spec.root.path = dir / "rootfs";
    log::debug("image: {} ({} layers) copied to {} (vfs)", text, image->diff_ids.size(), spec.root.path.string());
    return;
  }
  if (!existing) {
    make_directory(dir / "upper", 0755);
    make_directory(dir / "work", 0700);
    make_directory(dir / "merged", 0755);
  }
  std::vector<std::string> lowers = record.json["GraphDriver"]["Data"]["LowerDir"];
  if (lowers.empty()) {  // an image without layers: overlay still wants one lower directory
    if (!existing) make_directory(dir / "empty", 0755);
    lowers.push_back((dir / "empty").string());
  }
  spec.root.path = dir / "merged";
  if (rootless_) {
    // Mounted by the child, in the mount namespace its user namespace owns (in_child).
    child_mount_ = ChildMount{lowers, dir / "upper", dir / "work", dir / "merged", images.layers_dir()};
    log::debug("image: {} ({} layers): the container mounts its overlay itself (userxattr)", text,
               image->diff_ids.size());
    return;
  }
  OverlayMethod method = OverlayMethod::options;
  try {
    prepared.root.emplace(mount_overlay(lowers, dir / "upper", dir / "work", dir / "merged", images.layers_dir(), method));
  } catch (const SysError& e) {
    if (e.error_number() == EINVAL && on_overlayfs(root.dir()))
      throw Error(fmt::format("{}: {}: the state root {} is on overlayfs, where overlay cannot put a rw layer: use "
                              "--storage-driver vfs",
                              text, e.what(), root.dir().string()));
    throw;
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", text, e.what()));
  }
  static const char* const methods[] = {"one mount(2)", "lowerdir+", "short links"};
  log::debug("image: {} ({} layers) mounted on {} ({})", text, image->diff_ids.size(), spec.root.path.string(),
             methods[static_cast<int>(method)]);
}

void ImageRun::before_clone(Container& container) {
  if (!prepared_) return;
  // The container's config as docker keeps it: the image's, with the flags (-e, -w) over it;
  // not what the runtime adds itself (HOSTNAME, root's HOME), unless the image has them.
  ContainerRecord& record = prepared_->record;
  auto& config = record.json["Config"];
  auto image_env = config.value("Env", std::vector<std::string>{});
  auto has_key = [](const std::vector<std::string>& env, const std::string& key) {
    return std::any_of(env.begin(), env.end(), [&](const std::string& entry) { return entry.rfind(key, 0) == 0; });
  };
  std::vector<std::string> env;
  for (const auto& entry : container.spec.process.env)
    if ((entry.rfind("HOSTNAME=", 0) != 0 && entry.rfind("HOME=", 0) != 0) ||
        has_key(image_env, entry.substr(0, entry.find('=') + 1)))
      env.push_back(entry);
  config["Env"] = env;
  if (container.spec.process.cwd != "/") config["WorkingDir"] = container.spec.process.cwd;
  // Its host name: -h, or the short id; the host's own with --network host.
  std::string hostname = container.spec.hostname.empty() ? container.spec.short_id() : container.spec.hostname;
  if (container.spec.network.mode == "host") {
    char name[256] = {};
    ::gethostname(name, sizeof name - 1);
    hostname = name;
  }
  config["Hostname"] = hostname;
  // Ports: the image's EXPOSE with --expose and -p's, and what -p asked for.
  const NetworkSpec& network = container.spec.network;
  config["ExposedPorts"] = exposed_ports_json(network.exposed);
  record.json["HostConfig"]["NetworkMode"] = network.mode;
  record.json["HostConfig"]["PortBindings"] = port_bindings_json(network.ports);
  record.json["HostConfig"]["PublishAllPorts"] = network.publish_all;
  record.json["HostConfig"]["Memory"] = container.spec.resources.memory.value_or(0);  // -m, 0: none (docker's form)
  // A --rm container is gone after a reboot anyway: its record need not be durable.
  ContainerStore::save(record, !remove_);
  container.record["image"] = {
      {"dir", prepared_->record.dir.string()}, {"remove", remove_}, {"rootless", prepared_->rootless}};
  if (prepared_->root) prepared_->root->release();
  prepared_->record.dir.clear();  // after_exit's now
  prepared_.reset();
}

void ImageRun::after_start(Container& container, pid_t child) noexcept {
  if (!container.record.contains("image")) return;
  try {
    fs::path dir = container.record["image"]["dir"].get<std::string>();
    ContainerRecord record{dir, nlohmann::json::parse(read_file((dir / "config.json").string()))};
    ProcessIdentity process = ProcessIdentity::of(child), monitor = ProcessIdentity::self();
    // What the network step published (-P's chosen ports too), as docker shows it while it runs.
    std::vector<PortMapping> published;
    if (auto network = container.record.find("network"); network != container.record.end())
      for (const auto& text : network->value("published", std::vector<std::string>{}))
        published.push_back(ch04::parse_port_mapping(text));
    bool bridge = container.spec.network.mode == "bridge";  // none, host: docker shows no ports
    record.json["NetworkSettings"]["Ports"] =
        bridge ? network_ports_json(container.spec.network.exposed, published) : nlohmann::json::object();
    // Its address on the bridge (the network step's lease): what `inspect --format
    // '{{.NetworkSettings.IPAddress}}'` prints, "" without a bridge, as docker's.
    std::string address;
    if (auto network = container.record.find("network"); bridge && network != container.record.end())
      address = network->value("lease", "");
    record.json["NetworkSettings"]["IPAddress"] = address;
    record.json["State"] = {{"Status", "running"},   {"Running", true},           {"Pid", process.pid},
                            {"PidStartTime", process.start_time}, {"ExitCode", 0},  {"StartedAt", now_text()},
                            {"Monitor", {{"Pid", monitor.pid}, {"StartTime", monitor.start_time}}}};
    ContainerStore::save(record, false);  // running is gone after a reboot anyway
    // The container's mount namespace holds its own copy of the root's mount (copied at
    // clone(2), made private, pivoted into); the host's copy was only needed to set it up.
    // Unmounting it now costs the same RCU grace period (~8 ms) as after the exit, but while
    // the command runs instead of after it. The root goes when the container's namespace does.
    // (A rootless container's root was mounted in its own namespace only.)
    if (!container.record["image"].value("rootless", false)) detach_mount(record.merged());
  } catch (const std::exception& e) {
    log::warning("recording that the container runs: {}", e.what());
  }
}

void ImageRun::after_exit(Container& container) noexcept {
  if (!container.record.contains("image")) return;
  try {
    const auto& image = container.record["image"];
    fs::path dir = image.at("dir").get<std::string>();
    ContainerRecord record{dir, nlohmann::json::object()};
    bool rootless = image.value("rootless", false);  // its overlay went with its mount namespace
    if (!rootless) detach_mount(record.merged());      // still mounted when the command never started
    if (image.value("remove", false)) {
      remove_container_dir(dir, rootless);
      return;
    }
    record.json = nlohmann::json::parse(read_file((dir / "config.json").string()));
    auto& state = record.json["State"];
    if (state.value("Status", "") == "created") return;  // it never ran: docker's "Created"
    // Unknown when another process cleans up after a killed runtime: its container was
    // killed with it (PR_SET_PDEATHSIG), as with docker's 137.
    state["ExitCode"] = container.exit_code.value_or(137);
    state["Status"] = "exited";
    state["Running"] = false;
    state["Pid"] = 0;
    state["FinishedAt"] = now_text();
    state.erase("Monitor");
    record.json["NetworkSettings"]["Ports"] = nlohmann::json::object();  // nothing is published any more
    record.json["NetworkSettings"]["IPAddress"] = "";                     // nor leased
    ContainerStore::save(record, true);
  } catch (const std::exception& e) {
    log::warning("recording that the container exited: {}", e.what());
  }
}

}  // namespace dockling::ch10
