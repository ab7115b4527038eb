// `save`: the store's images as one tar that docker 20.10 and 25, skopeo and umoci read.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "archive_io.hpp"
#include "digest.hpp"
#include "dockling/error.hpp"
#include "dockling/fd.hpp"
#include "image_archive.hpp"

namespace dockling::ch10 {

namespace {

using ojson = nlohmann::ordered_json;

constexpr std::size_t kPiece = 64 * 1024;

/// One image of the archive and the names it is saved with (none when saved by id).
struct SavedImage {
  Image image;
  std::vector<Reference> names;
};

/// JSON as Go's encoding/json writes it: compact, with <, > and & escaped (docker's ids are
/// digests of such bytes).
std::string go_json(const ojson& value) {
  std::string text = value.dump();
  std::string out;
  out.reserve(text.size());
  for (char c : text) {  // these characters only occur inside strings
    if (c == '<') out += "\\u003c";
    else if (c == '>') out += "\\u003e";
    else if (c == '&') out += "\\u0026";
    else out += c;
  }
  return out;
}

/// The images `names` pick, as docker save picks them, each image once.
std::vector<SavedImage> pick(const ImageStore& store, const std::vector<std::string>& names) {
  std::vector<Image> all = store.images();
  std::vector<SavedImage> picked;
  auto add = [&](const Image& image, const std::optional<Reference>& name) {
    auto it = std::find_if(picked.begin(), picked.end(), [&](const SavedImage& s) { return s.image.id == image.id; });
    if (image.diff_ids.empty()) throw Error(fmt::format("image {} has no layers: docker cannot load it", image.id), 1);
    if (it == picked.end()) it = picked.insert(picked.end(), SavedImage{image, {}});
    if (name && std::none_of(it->names.begin(), it->names.end(), [&](const Reference& r) { return r.full() == name->full(); }))
      it->names.push_back(*name);
  };
  for (const auto& text : names) {
    std::optional<Reference> ref;
    if (text.rfind("sha256:", 0) != 0) {
      try {
        ref = parse_reference(text);
      } catch (const Error&) {
        // an id prefix, or nothing: find() says which
      }
    }
    if (ref && ref->tag.empty() && ref->digest.empty()) {  // a repository: every tag of it
      bool found = false;
      for (const auto& image : all)
        for (const auto& name : image.names)
          if (name.name() == ref->name()) {
            add(image, name);
            found = true;
          }
      if (found) continue;
    }
    Image image = store.find(text);
    std::optional<Reference> name;
    if (ref && ref->digest.empty()) {
      std::string wanted = ref->with_default_tag().full();
      for (const auto& n : image.names)
        if (n.full() == wanted) name = n;
    }
    add(image, name);
  }
  return picked;
}

/// docker's V1Image (image/image.go) of a config: its fields in Go's order, empty ones left
/// out as Go's omitempty does; "created" and "container_config" are always there.
ojson v1_image(const ojson& config) {
  ojson v1 = ojson::object();
  auto text = [&](const char* key) {
    if (config.contains(key) && config[key].is_string() && !config[key].get<std::string>().empty()) v1[key] = config[key];
  };
  text("comment");
  v1["created"] = config.contains("created") ? config["created"] : ojson("0001-01-01T00:00:00Z");
  text("container");
  v1["container_config"] = config.contains("container_config") && config["container_config"].is_object()
                               ? config["container_config"]
                               : empty_container_config();
  text("docker_version");
  text("author");
  if (config.contains("config") && config["config"].is_object()) v1["config"] = config["config"];
  text("architecture");
  text("variant");
  text("os");
  if (config.contains("Size") && config["Size"].is_number() && config["Size"] != 0) v1["Size"] = config["Size"];
  return v1;
}

/// One layer as docker 20.10 saves it: its v1 id (a directory name) and its `json`.
struct V1Layer {
  std::string id;    ///< 64 hex
  std::string json;  ///< the V1ID/json file
};

/// The v1 ids and json files of an image's layers, as docker 20.10 computes them
/// (image/tarexport/save.go, image/v1/imagev1.go CreateID): layer i's id is the sha256 of a
/// JSON object, its keys sorted, of the V1Image (the config's for the top layer, an empty one
/// created at the epoch below it), "layer_id": the chain id of layers 0..i and "parent": the
/// id below. Equal to docker's for configs docker wrote; for others the ids are still stable,
/// which is all docker load asks.
std::vector<V1Layer> v1_layers(const ojson& config, const std::vector<std::string>& diff_ids) {
  std::string os = config.value("os", "");
  std::vector<V1Layer> layers;
  std::string chain, parent;
  for (size_t i = 0; i < diff_ids.size(); ++i) {
    chain = i == 0 ? diff_ids[0] : sha256_digest(chain + " " + diff_ids[i]);
    ojson v1;
    if (i + 1 == diff_ids.size()) {
      v1 = v1_image(config);
    } else {
      v1 = ojson{{"created", "1970-01-01T00:00:00Z"}, {"container_config", empty_container_config()}};
    }
    // CreateID: the top level sorted (a Go map), the values as they are.
    std::map<std::string, std::string> fields;
    for (const auto& [key, value] : v1.items()) fields[key] = go_json(value);
    fields["layer_id"] = go_json(chain);
    if (!parent.empty()) fields["parent"] = go_json("sha256:" + parent);
    std::string id_json = "{";
    for (const auto& [key, value] : fields) id_json += (id_json.size() > 1 ? "," : "") + go_json(key) + ":" + value;
    id_json += "}";
    std::string id = digest_hex(sha256_digest(id_json));

    ojson file{{"id", id}};
    if (!parent.empty()) file["parent"] = parent;
    for (const auto& [key, value] : v1.items())
      if (key != "os" && key != "Size") file[key] = value;
    if (!os.empty()) file["os"] = os;
    if (v1.contains("Size")) file["Size"] = v1["Size"];
    layers.push_back({id, go_json(file)});
    parent = id;
  }
  return layers;
}

/// Reads a stored blob while hashing it, so that a blob damaged on disk is not passed on.
class CheckedBlob {
 public:
  CheckedBlob(const ImageStore& store, const std::string& digest)
      : digest_(digest), path_(store.blob_path(digest).string()), fd_(open_fd(path_, O_RDONLY)) {}
  std::int64_t size() const {
    struct stat st;
    check(::fstat(fd_.get(), &st), "fstat", path_);
    return st.st_size;
  }
  int fd() const { return fd_.get(); }
  std::size_t read(char* buffer, std::size_t size) {
    while (true) {
      ssize_t n = ::read(fd_.get(), buffer, size);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw_sys("read", path_);
      if (n == 0) {
        std::string actual = hash_.digest();
        if (actual != digest_)
          throw Error(fmt::format("blob {} in the store is damaged: its content is {}", digest_, actual), 1);
      } else {
        hash_.update(buffer, static_cast<size_t>(n));
      }
      return static_cast<std::size_t>(n);
    }
  }

 private:
  std::string digest_, path_;
  UniqueFd fd_;
  Sha256 hash_;
};

bool is_compressed(int fd, const std::string& path) {
  unsigned char head[4] = {};
  ssize_t n = check(::pread(fd, head, sizeof head, 0), "pread", path);
  bool gzip = n >= 2 && head[0] == 0x1f && head[1] == 0x8b;
  bool zstd = n >= 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd;
  return gzip || zstd;
}

}  // namespace

void save_images(const ImageStore& store, const std::vector<std::string>& names, int out_fd) {
  std::vector<SavedImage> images = pick(store, names);  // "No such image" before a byte is written
  TarWriter tar(out_fd, "save");
  std::set<std::string> written;                      // archive paths written so far
  std::map<std::string, std::string> layer_tar_of;    // diff id → V1ID/layer.tar holding it
  ojson manifest = ojson::array();
  nlohmann::json repositories = nlohmann::json::object();  // sorted keys, as Go writes a map
  ojson index_manifests = ojson::array();

  tar.directory("blobs/", 0);
  tar.directory("blobs/sha256/", 0);
  auto write_blob = [&](const std::string& digest) {
    std::string path = "blobs/sha256/" + digest_hex(digest);
    if (!written.insert(path).second) return;
    CheckedBlob blob(store, digest);
    tar.file(path, blob.size(), [&](char* buffer, std::size_t size) { return blob.read(buffer, size); }, 0);
  };

  for (const auto& [image, saved_names] : images) {
    auto mtime = static_cast<std::int64_t>(rfc3339_seconds(image.created));
    // The OCI part: the store's own blobs, unchanged (the manifest keeps its digest).
    write_blob(image.manifest.digest);
    write_blob(image.id);
    for (const auto& layer : image.layers) write_blob(layer.digest);
    if (saved_names.empty()) {
      index_manifests.push_back(image.manifest.to_json());
    }
    for (const auto& name : saved_names) {
      Descriptor named = image.manifest;
      named.annotations = {{kImageNameAnnotation, name.full()}, {kRefNameAnnotation, name.tag}};
      index_manifests.push_back(named.to_json());
    }

    // The docker part. Its layers are uncompressed tars, as docker writes them and as the
    // readers of this shape expect (a layer.tar's sha256 is its diff id): a layer stored
    // uncompressed is the very blob above, so its layer.tar is a symbolic link to it (docker
    // itself links a layer saved twice); a compressed one is written once more, decompressed
    // on the way. Simplest: the OCI part stays the store's bytes, manifest digests included.
    ojson config = ojson::parse(store.read_blob(image.id));
    if (image.diff_ids.size() != image.layers.size())
      throw Error(fmt::format("image {}: its config names {} layers, its manifest {}", image.id, image.diff_ids.size(),
                              image.layers.size()),
                  1);
    std::vector<V1Layer> v1 = v1_layers(config, image.diff_ids);
    ojson layer_paths = ojson::array();
    for (size_t i = 0; i < v1.size(); ++i) {
      std::string dir = v1[i].id + "/";
      std::string layer_tar = dir + "layer.tar";
      layer_paths.push_back(layer_tar);
      if (!written.insert(dir).second) continue;
      tar.directory(dir, mtime);
      tar.file(dir + "VERSION", "1.0", mtime);
      tar.file(dir + "json", v1[i].json, mtime);
      const std::string& digest = image.layers[i].digest;
      const std::string& diff_id = image.diff_ids[i];
      std::string blob_path = store.blob_path(digest).string();
      UniqueFd blob = open_fd(blob_path, O_RDONLY);
      auto seen = layer_tar_of.find(diff_id);
      if (seen != layer_tar_of.end()) {
        tar.symlink(layer_tar, "../" + seen->second, mtime);
      } else if (digest == diff_id && !is_compressed(blob.get(), blob_path)) {
        tar.symlink(layer_tar, "../blobs/sha256/" + digest_hex(digest), mtime);
      } else {
        std::string what = fmt::format("layer {}", digest);
        auto [actual, size] = uncompressed_digest(blob.get(), what);
        if (actual != diff_id)
          throw Error(fmt::format("{}: diff id mismatch: the config says {}, its content is {}", what, diff_id, actual), 1);
        check(::lseek(blob.get(), 0, SEEK_SET), "lseek", blob_path);
        Decompressed in(blob.get(), what);
        tar.file(layer_tar, static_cast<std::int64_t>(size),
                 [&](char* buffer, std::size_t n) { return in.read(buffer, n); }, mtime);
      }
      layer_tar_of.emplace(diff_id, layer_tar);
    }
    std::string config_name = digest_hex(image.id) + ".json";
    if (written.insert(config_name).second) tar.file(config_name, store.read_blob(image.id), mtime);

    ojson repo_tags = saved_names.empty() ? ojson(nullptr) : ojson::array();
    for (const auto& name : saved_names) {
      repo_tags.push_back(name.familiar());
      repositories[name.familiar_name()][name.tag] = v1.back().id;
    }
    manifest.push_back(ojson{{"Config", config_name}, {"RepoTags", repo_tags}, {"Layers", layer_paths}});
  }

  tar.file("manifest.json", go_json(manifest) + "\n", 0);
  if (!repositories.empty()) tar.file("repositories", repositories.dump() + "\n", 0);
  ojson index{{"schemaVersion", 2}, {"mediaType", media_type::kIndex}, {"manifests", index_manifests}};
  tar.file("index.json", index.dump(), 0);
  tar.file("oci-layout", R"({"imageLayoutVersion":"1.0.0"})", 0);
  tar.close();
}

}  // namespace dockling::ch10
