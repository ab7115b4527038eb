#include "image_commit.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <functional>

#include <fmt/format.h>

#include "archive_io.hpp"
#include "config_changes.hpp"
#include "dockling/error.hpp"
#include "dockling/fd.hpp"
#include "dockling/mount.hpp"
#include "dockling/tempdir.hpp"
#include "image_store.hpp"
#include "images.hpp"
#include "rw_layer.hpp"
#include "vfs_driver.hpp"

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

namespace dockling::ch10 {

namespace {

/// The container's command line, as docker's history shows what made a layer.
std::string command_line(const nlohmann::json& record) {
  std::string text = record.value("Path", "");
  for (const auto& arg : record.value("Args", std::vector<std::string>{})) text += " " + arg;
  return text;
}

/// The new image's container config: docker's shape, filled from the container's, with
/// `--change` applied.
ojson committed_config(const nlohmann::json& config, const std::string& image_id,
                       const std::vector<std::string>& changes) {
  nlohmann::json kept = config;
  for (const char* key : {"Volumes", "Labels", "ExposedPorts", "Entrypoint", "Cmd"})  // {} and [] are "none"
    if (kept.contains(key) && kept[key].is_structured() && kept[key].empty()) kept[key] = nullptr;
  if (kept.value("StopSignal", "").empty()) kept.erase("StopSignal");
  ojson result = docker_container_config(kept);
  result["Image"] = image_id;
  apply_changes(result, changes);
  return result;
}

bool copied(const nlohmann::json& container) {
  return container.at("GraphDriver").value("Name", "") == "vfs";
}

}  // namespace

std::vector<Change> container_changes(const ContainerRecord& container) {
  const auto& data = container.json.at("GraphDriver").at("Data");
  auto lowers = data.at("LowerDir").get<std::vector<std::string>>();
  if (copied(container.json)) return copied_root_changes(data.at("Dir").get<std::string>(), lowers);
  return rw_layer_changes(data.at("UpperDir").get<std::string>(), lowers);
}

namespace {

/// Stores the tar that `write` writes as a layer blob and unpacks it (see put_container_layer).
Descriptor put_layer_from(ImageStore& store, const std::string& what, Changes& changes,
                          const std::function<void(TarWriter&)>& write) {
  // The layer goes to an unnamed file on the store's file system first, then into the store
  // as a blob (its digest is its diff id: it is not compressed).
  int raw = ::open(store.layout_dir().c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (raw < 0) throw SysError("open(O_TMPFILE)", store.layout_dir().string(), errno);
  UniqueFd layer_file(raw);
  {
    TarWriter tar(layer_file.get(), what);
    write(tar);
    tar.close();
  }
  check(static_cast<int>(::lseek(layer_file.get(), 0, SEEK_SET)), "lseek", what);
  std::string digest = store.put_blob(layer_file.get(), "", changes);
  auto size = static_cast<std::int64_t>(fs::file_size(store.blob_path(digest)));
  store.unpack_layer(digest, digest, changes);
  return Descriptor{"application/vnd.oci.image.layer.v1.tar", digest, size, {}};
}

}  // namespace

Descriptor put_container_layer(ImageStore& store, const ContainerRecord& container, Changes& changes) {
  const auto& data = container.json.at("GraphDriver").at("Data");
  return put_layer_from(store, fmt::format("the rw layer of {}", container.id().substr(0, 12)), changes,
                        [&](TarWriter& tar) {
                          if (copied(container.json))
                            write_changes(tar, data.at("Dir").get<std::string>(), container_changes(container));
                          else
                            write_tree(tar, data.at("UpperDir").get<std::string>(), TreeForm::rw_layer);
                        });
}

Descriptor put_upper_layer(ImageStore& store, const fs::path& upper, const std::string& what, Changes& changes) {
  return put_layer_from(store, what, changes, [&](TarWriter& tar) { write_tree(tar, upper, TreeForm::rw_layer); });
}

std::string commit_container(const StateRoot& root, const ContainerRecord& container, const std::optional<Reference>& name,
                             const CommitOptions& options) {
  if (name && !name->digest.empty()) throw Error("refusing to create a tag with a digest reference", 1);
  ImageStore store(root);
  UniqueFd held = store.lock();
  Image base = store.find(container.json.value("Image", ""));
  Changes changes;
  Descriptor layer = put_container_layer(store, container, changes);
  std::string created = rfc3339_now();
  ojson config = ojson::parse(base.config.dump());
  config["config"] = committed_config(container.json.value("Config", nlohmann::json::object()), base.id, options.changes);
  config["container"] = container.id();
  config["container_config"] = config["config"];
  config["created"] = created;
  if (!options.author.empty()) config["author"] = options.author;
  config["rootfs"]["diff_ids"].push_back(layer.digest);
  ojson history{{"created", created}, {"created_by", command_line(container.json)}};
  if (!options.author.empty()) history["author"] = options.author;
  if (!options.message.empty()) history["comment"] = options.message;
  config["history"].push_back(history);
  std::vector<Descriptor> layers = base.layers;
  layers.push_back(layer);
  auto [manifest_descriptor, image_id] = store.put_image(config, layers, changes);
  std::vector<Descriptor> index = store.read_index();
  if (name)
    store.point(index, name->with_default_tag(), manifest_descriptor);
  else
    index.push_back(manifest_descriptor);
  store.write_index(index);
  changes.commit();
  return image_id;
}

void export_container(const ContainerRecord& container, int fd) {
  const auto& data = container.json.at("GraphDriver").at("Data");
  TarWriter tar(fd, fmt::format("the export of {}", container.id().substr(0, 12)));
  if (copied(container.json)) {
    write_tree(tar, data.at("Dir").get<std::string>(), TreeForm::plain);
    tar.close();
    return;
  }
  // In a mount namespace of our own, private: the view is never seen on the host, and goes
  // with this process however it ends.
  check(::unshare(CLONE_NEWNS), "unshare", "CLONE_NEWNS");
  check(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), "mount", "/ (private)");
  // The rw layer as the top lower directory: a read-only view of the container's root.
  std::vector<std::string> layers = data.at("LowerDir").get<std::vector<std::string>>();
  layers.push_back(data.at("UpperDir").get<std::string>());
  TempDir view("dockling-export");
  for (const char* dir : {"root", "upper", "work"}) fs::create_directory(view.path() / dir);
  std::string options =
      overlay_mount_options(layers, (view.path() / "upper").string(), (view.path() / "work").string());
  Mount root("overlay", (view.path() / "root").string(), "overlay", MS_RDONLY, options);
  write_tree(tar, view.path() / "root", TreeForm::plain);
  tar.close();
}

}  // namespace dockling::ch10
