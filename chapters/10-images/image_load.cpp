// `load`: docker archives (docker 20.10's, docker 25's, skopeo's docker-archive:) and OCI
// archives (skopeo's oci-archive:) into the store, all or nothing.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "archive_io.hpp"
#include "digest.hpp"
#include "dockling/error.hpp"
#include "dockling/fd.hpp"
#include "dockling/fs.hpp"
#include "dockling/tempdir.hpp"
#include "image_archive.hpp"
#include "libarchive.hpp"

namespace dockling::ch10 {

namespace fs = std::filesystem;
using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

namespace {

constexpr std::size_t kPiece = 64 * 1024;
/// The most a JSON file of an archive may hold (manifests, configs, index.json).
constexpr std::uintmax_t kMaxJson = 16 * 1024 * 1024;

const std::set<std::string> kManifestTypes = {media_type::kManifest,
                                              "application/vnd.docker.distribution.manifest.v2+json"};
const std::set<std::string> kIndexTypes = {media_type::kIndex,
                                           "application/vnd.docker.distribution.manifest.list.v2+json"};
const std::set<std::string> kConfigTypes = {media_type::kConfig, "application/vnd.docker.container.image.v1+json"};
const std::set<std::string> kLayerTypes = {
    "application/vnd.oci.image.layer.v1.tar",           "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd",      "application/vnd.docker.image.rootfs.diff.tar",
    "application/vnd.docker.image.rootfs.diff.tar.gzip", "application/vnd.docker.image.rootfs.diff.tar.zstd"};

/// An archive path cleaned: no "", "." or leading "/"; ".." removes the component before it.
/// nullopt when a ".." climbs out (such an entry names nothing an index could point at).
std::optional<std::string> clean(const std::string& name) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string::npos) end = name.size();
    std::string part = name.substr(start, end - start);
    start = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (parts.empty()) return std::nullopt;
      parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : "/") + part;
  return out;
}

/// The archive's files, staged one by one while the archive is read once: a tar names its
/// index (docker writes manifest.json last) after the layers the index points at.
class StagedArchive {
 public:
  /// Reads the whole archive from `in_fd` into `dir` (which it creates and removes).
  StagedArchive(fs::path dir, int in_fd) : dir_(std::move(dir)) {
    check(::mkdir(dir_.c_str(), 0700), "mkdir", dir_.string());
    try {
      read(in_fd);
    } catch (...) {
      remove_tree(dir_);
      throw;
    }
  }
  ~StagedArchive() { remove_tree(dir_); }
  StagedArchive(const StagedArchive&) = delete;
  StagedArchive& operator=(const StagedArchive&) = delete;

  bool has(const std::string& name) const { return find(name).has_value(); }

  /// The staged copy of `name`, following the archive's symbolic links.
  /// @throws Error "the archive has no file NAME".
  std::string path_of(const std::string& name) const {
    std::optional<std::string> path = find(name);
    if (!path) throw Error(fmt::format("the archive has no file {}", name), 1);
    return *path;
  }

  /// A JSON file of the archive, parsed. @throws Error naming it when missing or malformed.
  json read_json(const std::string& name) const {
    std::string path = path_of(name);
    if (fs::file_size(path) > kMaxJson) throw Error(fmt::format("{}: larger than {} bytes", name, kMaxJson), 1);
    try {
      return json::parse(read_file(path));
    } catch (const json::exception& e) {
      throw Error(fmt::format("{}: not JSON: {}", name, e.what()), 1);
    }
  }

 private:
  std::optional<std::string> find(const std::string& name) const {
    std::optional<std::string> current = clean(name);
    for (int hops = 0; current && hops < 16; ++hops) {
      if (auto file = files_.find(*current); file != files_.end()) return file->second;
      auto link = links_.find(*current);
      if (link == links_.end()) return std::nullopt;
      size_t slash = current->rfind('/');
      std::string dir = slash == std::string::npos ? "" : current->substr(0, slash + 1);
      current = link->second.front() == '/' ? clean(link->second) : clean(dir + link->second);
    }
    return std::nullopt;
  }

  void read(int in_fd) {
    const LibArchive& la = libarchive();
    std::unique_ptr<archive, int (*)(archive*)> tar(la.read_new(), la.read_free);
    if (!tar) throw Error("archive_read_new: out of memory", 1);
    la.read_support_filter_gzip(tar.get());
    la.read_support_filter_zstd(tar.get());
    la.read_support_format_tar(tar.get());
    auto message = [&] {
      const char* text = la.error_string(tar.get());
      return std::string(text != nullptr ? text : "read error");
    };
    if (la.read_open_fd(tar.get(), in_fd, kPiece) != ARCHIVE_OK)
      throw Error(fmt::format("the input is not a tar archive: {}", message()), 1);
    std::string buffer(kPiece, '\0');
    for (bool first = true;; first = false) {
      archive_entry* entry = nullptr;
      int rc = la.read_next_header(tar.get(), &entry);
      if (rc == ARCHIVE_EOF) break;
      if (rc < ARCHIVE_WARN) {
        if (first) throw Error(fmt::format("the input is not a tar archive: {}", message()), 1);
        throw Error(fmt::format("the archive is damaged after {}: {}", last_, message()), 1);
      }
      const char* raw = la.entry_pathname(entry);
      std::string name = raw != nullptr ? raw : "";
      last_ = name;
      std::optional<std::string> cleaned = clean(name);
      if (!cleaned || cleaned->empty()) continue;
      const char* hardlink = la.entry_hardlink(entry);
      if (hardlink != nullptr) {
        std::optional<std::string> target = clean(hardlink);
        if (target && files_.count(*target)) files_[*cleaned] = files_[*target];
        continue;
      }
      unsigned type = la.entry_filetype(entry);
      if (type == AE_IFLNK) {
        const char* target = la.entry_symlink(entry);
        if (target != nullptr && *target != '\0') links_[*cleaned] = target;
        continue;
      }
      if (type != AE_IFREG) continue;  // directories: implied by the names
      std::string staged = (dir_ / std::to_string(staged_++)).string();
      UniqueFd out = open_fd(staged, O_WRONLY | O_CREAT | O_EXCL, 0600);
      while (true) {
        la_ssize_t n = la.read_data(tar.get(), buffer.data(), buffer.size());
        if (n < 0) throw Error(fmt::format("archive entry {}: truncated or damaged: {}", name, message()), 1);
        if (n == 0) break;
        write_all(out.get(), std::string_view(buffer.data(), static_cast<size_t>(n)));
      }
      links_.erase(*cleaned);
      files_[*cleaned] = staged;
    }
  }

  fs::path dir_;
  std::map<std::string, std::string> files_;  ///< archive name → staged file
  std::map<std::string, std::string> links_;  ///< archive name → symbolic link target
  std::string last_;                          ///< the last entry read, for messages
  size_t staged_ = 0;                         ///< files staged so far (a name may come twice)
};

/// The image a name of a docker or OCI archive names; nullopt for one that names none.
/// `where` says where the name stands, for the message when it is no reference.
std::optional<Reference> image_name(const std::string& text, const std::string& where) {
  Reference ref;
  try {
    ref = parse_reference(text).with_default_tag();
  } catch (const Error& e) {
    throw Error(fmt::format("{}: \"{}\": {}", where, text, e.what()), 1);
  }
  if (!ref.digest.empty()) return std::nullopt;  // a digest is no name to tag with
  return ref;
}

/// Adds the images of one archive to the store, collecting docker's lines.
class Loader {
 public:
  Loader(ImageStore& store, const StagedArchive& archive, Changes& changes)
      : store_(store), archive_(archive), changes_(changes), index_(store.read_index()), before_(store.images()) {}

  /// docker's archive: manifest.json, [{"Config", "RepoTags", "Layers"}].
  void docker_archive() {
    json manifest = archive_.read_json("manifest.json");
    if (!manifest.is_array()) throw Error("manifest.json: not a list of images", 1);
    for (const auto& item : manifest) {
      try {
        std::string config_name = item.at("Config").get<std::string>();
        std::vector<std::string> layer_names = item.at("Layers").get<std::vector<std::string>>();
        std::vector<Reference> names;
        if (item.contains("RepoTags") && item["RepoTags"].is_array())
          for (const auto& tag : item["RepoTags"])
            if (auto name = image_name(tag.get<std::string>(), "manifest.json: RepoTags")) names.push_back(*name);

        // A config named by its digest (docker's HEX.json, docker 25's blobs/sha256/HEX) is
        // checked against it.
        std::string base = fs::path(config_name).filename().string();
        if (base.size() == 69 && base.ends_with(".json")) base.resize(64);
        std::string config_id = put(config_name, is_full_hex_id(base) ? "sha256:" + base : "");
        std::vector<std::string> diff_ids = diff_ids_of(config_id, config_name);
        if (diff_ids.size() != layer_names.size())
          throw Error(fmt::format("manifest.json: image {} has {} layers, its config {} names {}", config_id,
                                  layer_names.size(), config_name, diff_ids.size()),
                      1);
        const Image* existing = nullptr;
        for (const auto& image : before_)
          if (image.id == config_id) existing = &image;

        ojson layers = ojson::array();
        for (size_t i = 0; i < layer_names.size(); ++i) {
          const std::string& name = layer_names[i];
          if (existing != nullptr) {  // the store has the image: the layer is only checked
            UniqueFd in = open_fd(archive_.path_of(name), O_RDONLY);
            std::string actual = uncompressed_digest(in.get(), name).first;
            if (actual != diff_ids[i])
              throw Error(fmt::format("{}: diff id mismatch: the config says {}, its content is {}", name, diff_ids[i],
                                      actual),
                          1);
            continue;
          }
          std::string digest = put(name, "");
          layer(digest, diff_ids[i], name);
          fs::path blob = store_.blob_path(digest);
          unsigned char head[8] = {};
          UniqueFd in = open_fd(blob.string(), O_RDONLY);
          ssize_t n = check(::pread(in.get(), head, sizeof head, 0), "pread", blob.string());
          Descriptor descriptor{layer_media_type(head, static_cast<size_t>(n)), digest,
                                static_cast<std::int64_t>(fs::file_size(blob)), {}};
          layers.push_back(descriptor.to_json());
        }
        Descriptor manifest_descriptor;
        if (existing != nullptr) {
          manifest_descriptor = existing->manifest;
        } else {
          std::string config_data = store_.read_blob(config_id);
          Descriptor config{media_type::kConfig, config_id, static_cast<std::int64_t>(config_data.size()), {}};
          ojson oci{{"schemaVersion", 2},
                    {"mediaType", media_type::kManifest},
                    {"config", config.to_json()},
                    {"layers", layers}};
          std::string data = oci.dump();
          manifest_descriptor = {media_type::kManifest, store_.put_blob(data, "", changes_),
                                 static_cast<std::int64_t>(data.size()), {}};
        }
        name_image(manifest_descriptor, config_id, names);
      } catch (const json::exception& e) {
        throw Error(fmt::format("manifest.json: malformed image entry {}: {}", item.dump(), e.what()), 1);
      }
    }
  }

  /// An OCI archive: oci-layout, index.json, blobs/sha256/.
  void oci_archive() {
    json layout = archive_.read_json("oci-layout");
    if (!layout.is_object() || layout.value("imageLayoutVersion", "") != "1.0.0")
      throw Error(fmt::format("oci-layout: unsupported layout {}", layout.dump()), 1);
    json index = archive_.read_json("index.json");
    if (!index.is_object() || !index.contains("manifests") || !index["manifests"].is_array())
      throw Error("index.json: no \"manifests\" list", 1);
    for (const auto& entry : index["manifests"]) {
      Descriptor descriptor = Descriptor::from_json(entry);
      std::vector<Reference> names;
      auto annotation = [&](const char* key) {
        auto found = descriptor.annotations.find(key);
        return found == descriptor.annotations.end() ? std::string() : found->second;
      };
      if (std::string name = annotation(kImageNameAnnotation); !name.empty()) {
        if (auto ref = image_name(name, fmt::format("index.json: {}", kImageNameAnnotation))) names.push_back(*ref);
      } else if (std::string ref_name = annotation(kRefNameAnnotation); !ref_name.empty()) {
        // A whole reference ("u:latest", "docker.io/library/busybox:latest"), not a bare tag.
        try {
          Reference ref = parse_reference(ref_name);
          if (!ref.tag.empty()) names.push_back(ref);
        } catch (const Error&) {
        }
      }
      if (kIndexTypes.count(descriptor.media_type)) descriptor = platform_manifest(descriptor);
      if (!kManifestTypes.count(descriptor.media_type))
        throw Error(fmt::format("index.json: {}: unknown media type \"{}\"", descriptor.digest, descriptor.media_type), 1);
      std::string manifest_name = blob_name(descriptor.digest);
      put(descriptor);
      json manifest = parse(store_.read_blob(descriptor.digest), manifest_name);
      try {
        Descriptor config = Descriptor::from_json(manifest.at("config"));
        if (!kConfigTypes.count(config.media_type))
          throw Error(fmt::format("manifest {}: config {}: unknown media type \"{}\"", descriptor.digest, config.digest,
                                  config.media_type),
                      1);
        put(config);
        std::vector<std::string> diff_ids = diff_ids_of(config.digest, blob_name(config.digest));
        const json& layers = manifest.at("layers");
        if (!layers.is_array() || layers.size() != diff_ids.size())
          throw Error(fmt::format("manifest {}: {} layers, its config names {}", descriptor.digest, layers.size(),
                                  diff_ids.size()),
                      1);
        for (size_t i = 0; i < diff_ids.size(); ++i) {
          Descriptor layer_descriptor = Descriptor::from_json(layers[i]);
          if (!kLayerTypes.count(layer_descriptor.media_type))
            throw Error(fmt::format("manifest {}: layer {}: unknown media type \"{}\"", descriptor.digest,
                                    layer_descriptor.digest, layer_descriptor.media_type),
                        1);
          put(layer_descriptor);
          layer(layer_descriptor.digest, diff_ids[i], blob_name(layer_descriptor.digest));
        }
        Descriptor stored{descriptor.media_type, descriptor.digest, descriptor.size, {}};
        name_image(stored, config.digest, names);
      } catch (const json::exception& e) {
        throw Error(fmt::format("manifest {}: {}", descriptor.digest, e.what()), 1);
      }
    }
  }

  /// The store's index with the loaded names, to be written.
  const std::vector<Descriptor>& index() const { return index_; }
  /// docker's lines.
  const std::vector<std::string>& lines() const { return lines_; }

 private:
  static std::string blob_name(const std::string& digest) { return "blobs/sha256/" + digest_hex(digest); }

  static json parse(const std::string& data, const std::string& name) {
    try {
      return json::parse(data);
    } catch (const json::exception& e) {
      throw Error(fmt::format("{}: not JSON: {}", name, e.what()), 1);
    }
  }

  /// The archive's file `name` into the store as a blob, checked against `expected` (when
  /// given) as it enters. @returns its digest.
  std::string put(const std::string& name, const std::string& expected) {
    UniqueFd in = open_fd(archive_.path_of(name), O_RDONLY);
    try {
      return store_.put_blob(in.get(), expected, changes_);
    } catch (const Error& e) {
      throw Error(fmt::format("{}: {}", name, e.what()), 1);
    }
  }

  /// The blob a descriptor names into the store, checked against its digest and its size.
  void put(const Descriptor& descriptor) {
    std::string name = blob_name(descriptor.digest);
    put(name, descriptor.digest);
    auto size = static_cast<std::int64_t>(fs::file_size(store_.blob_path(descriptor.digest)));
    if (size != descriptor.size)
      throw Error(fmt::format("{}: {} bytes, its descriptor says {}", name, size, descriptor.size), 1);
  }

  std::vector<std::string> diff_ids_of(const std::string& config_digest, const std::string& name) {
    json config = parse(store_.read_blob(config_digest), name);
    try {
      return config.at("rootfs").at("diff_ids").get<std::vector<std::string>>();
    } catch (const json::exception& e) {
      throw Error(fmt::format("{}: no rootfs.diff_ids: {}", name, e.what()), 1);
    }
  }

  /// The stored layer blob `digest` is the layer `diff_id`: unpacked (unpack_layer checks the
  /// diff id), or, when that layer is unpacked already, its uncompressed bytes hashed.
  void layer(const std::string& digest, const std::string& diff_id, const std::string& name) {
    if (!checked_.insert(digest + diff_id).second) return;
    try {
      if (!is_sha256_digest(diff_id)) throw Error(fmt::format("unsupported diff id \"{}\"", diff_id), 1);
      if (path_exists(store_.layer_path(diff_id).string())) {
        UniqueFd in = open_fd(store_.blob_path(digest).string(), O_RDONLY);
        std::string actual = uncompressed_digest(in.get(), "layer " + digest).first;
        if (actual != diff_id)
          throw Error(fmt::format("layer {}: diff id mismatch: the config says {}, its content is {}", digest, diff_id,
                                  actual),
                      1);
      } else {
        store_.unpack_layer(digest, diff_id, changes_);
      }
    } catch (const Error& e) {
      throw Error(fmt::format("{}: {}", name, e.what()), 1);
    }
  }

  /// The manifest of an image index for this machine's platform (linux and its architecture).
  Descriptor platform_manifest(const Descriptor& index) {
    std::string name = blob_name(index.digest);
    put(index);
    json list = parse(store_.read_blob(index.digest), name);
    std::string architecture = oci_architecture();
    if (list.contains("manifests") && list["manifests"].is_array())
      for (const auto& entry : list["manifests"]) {
        if (!entry.contains("platform")) continue;
        const json& platform = entry["platform"];
        if (platform.value("os", "") == "linux" && platform.value("architecture", "") == architecture) {
          Descriptor chosen = Descriptor::from_json(entry);
          chosen.annotations.clear();
          return chosen;
        }
      }
    throw Error(fmt::format("index {}: no image for linux/{}", index.digest, architecture), 1);
  }

  void name_image(const Descriptor& manifest, const std::string& id, const std::vector<Reference>& names) {
    for (const auto& name : names) {
      for (const auto& entry : index_) {
        auto ref = entry.annotations.find(kRefNameAnnotation);
        if (ref == entry.annotations.end() || ref->second != name.full() || entry.digest == manifest.digest) continue;
        for (const auto& image : before_)
          if (image.manifest.digest == entry.digest && image.id != id)
            lines_.push_back(fmt::format("The image {} already exists, renaming the old one with ID {} to empty string",
                                         name.familiar(), image.id));
      }
      bool there = std::any_of(index_.begin(), index_.end(), [&](const Descriptor& d) {
        auto ref = d.annotations.find(kRefNameAnnotation);
        return d.digest == manifest.digest && ref != d.annotations.end() && ref->second == name.full();
      });
      if (!there) store_.point(index_, name, manifest);  // a name already right keeps its place
      lines_.push_back("Loaded image: " + name.familiar());
    }
    if (names.empty()) {
      if (std::none_of(index_.begin(), index_.end(), [&](const Descriptor& d) { return d.digest == manifest.digest; }))
        index_.push_back(manifest);
      lines_.push_back("Loaded image ID: " + id);
    }
  }

  ImageStore& store_;
  const StagedArchive& archive_;
  Changes& changes_;
  std::vector<Descriptor> index_;
  std::vector<Image> before_;
  std::vector<std::string> lines_;
  std::set<std::string> checked_;
};

}  // namespace

std::vector<std::string> load_images(ImageStore& store, int in_fd) {
  UniqueFd held = store.lock();
  Changes changes;
  if (!path_exists(store.layers_dir().string())) {
    fs::create_directories(store.layers_dir());
    changes.created(store.layers_dir());
  }
  // Staged beside the layers: the same filesystem as the store, and a crash's leftover
  // (.tmp-…) goes with the store's next garbage collection.
  StagedArchive archive(store.layers_dir() / (".tmp-load-" + random_hex(8)), in_fd);
  Loader loader(store, archive, changes);
  bool oci = archive.has("oci-layout") && archive.has("index.json");
  if (oci && archive.has("manifest.json")) {
    // docker 25's archives and ours have both parts: the OCI one keeps the manifests (and
    // their digests), unless it is empty.
    json index = archive.read_json("index.json");
    oci = index.is_object() && index.contains("manifests") && !index["manifests"].empty();
  }
  if (oci) {
    loader.oci_archive();
  } else if (archive.has("manifest.json")) {
    loader.docker_archive();
  } else {
    throw Error("the archive has neither manifest.json (docker's) nor oci-layout and index.json (OCI's)", 1);
  }
  store.write_index(loader.index());
  changes.commit();
  return loader.lines();
}

}  // namespace dockling::ch10
