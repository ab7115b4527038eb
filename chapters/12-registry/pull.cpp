// `pull`: a manifest (through an index for this platform), its config and layers from a
// registry into chapter 10's store, then the name pointed at it, with docker's lines.
#include <fcntl.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "archive_io.hpp"
#include "blob_download.hpp"
#include "credential_store.hpp"
#include "digest.hpp"
#include "distribution_client.hpp"
#include "dockling/error.hpp"
#include "dockling/fs.hpp"
#include "dockling/log.hpp"
#include "image_store.hpp"
#include "registry_client.hpp"
#include "registry_url.hpp"

namespace dockling::ch12 {

namespace {

using json = nlohmann::json;
using ch10::Descriptor;
using ch10::Reference;

/// The most a config may hold: it is read into memory.
constexpr std::int64_t kMaxConfig = 16 * 1024 * 1024;

const std::set<std::string> kManifestTypes = {manifest_type::kOciManifest, manifest_type::kDockerManifest};
const std::set<std::string> kIndexTypes = {manifest_type::kOciIndex, manifest_type::kDockerList};
const std::set<std::string> kConfigTypes = {ch10::media_type::kConfig, "application/vnd.docker.container.image.v1+json"};
const std::set<std::string> kLayerTypes = {
    "application/vnd.oci.image.layer.v1.tar",           "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd",      "application/vnd.docker.image.rootfs.diff.tar",
    "application/vnd.docker.image.rootfs.diff.tar.gzip", "application/vnd.docker.image.rootfs.diff.tar.zstd"};

/// docker's lines, each flushed as it comes (they are the pull's progress); -q keeps only the
/// last one, and `run`'s pull has no last one.
class Lines {
 public:
  explicit Lines(const ClientOptions& options)
      : out_(options.out != nullptr ? *options.out : std::cout), quiet_(options.quiet), last_(options.name_line) {}
  void say(const std::string& line) const {
    if (!quiet_) out_ << line << std::endl;
  }
  void last(const std::string& line) const {
    if (last_) out_ << line << std::endl;
  }

 private:
  std::ostream& out_;
  bool quiet_;
  bool last_;
};

/// The 12 hex digits docker shows for a blob.
std::string short_id(const std::string& digest) { return ch10::digest_hex(digest).substr(0, 12); }

/// A registry's "not there" in docker's words; other refusals as they are.
[[noreturn]] void throw_not_found(const RegistryError& error, const Reference& ref) {
  if (error.has_code("MANIFEST_UNKNOWN") || (error.status() == 404 && !error.has_code("NAME_UNKNOWN")))
    throw Error(fmt::format("manifest for {} not found: {}", ref.familiar(), error.reason()), 1);
  if (error.has_code("NAME_UNKNOWN"))
    throw Error(fmt::format("repository {} not found: {}", ref.familiar_name(), error.reason()), 1);
  if (error.has_code("DENIED") || error.status() == 401)
    throw Error(fmt::format("pull access denied for {}, repository does not exist or may require 'docker login': {}",
                            ref.familiar_name(), error.reason()),
                1);
  throw Error(fmt::format("pulling {}: {}", ref.familiar(), error.what()), 1);
}

json parse_json(const std::string& data, const std::string& what) {
  json parsed = json::parse(data, nullptr, false);
  if (!parsed.is_object()) throw Error(fmt::format("{}: not a JSON object", what), 1);
  return parsed;
}

/// The manifest of an index for this machine's platform (linux and its architecture).
Descriptor platform_manifest(const FetchedManifest& index) {
  json list = parse_json(index.data, "index " + index.digest);
  std::string architecture = ch10::oci_architecture();
  if (list.contains("manifests") && list["manifests"].is_array())
    for (const auto& entry : list["manifests"]) {
      if (!entry.is_object() || !entry.contains("platform") || !entry["platform"].is_object()) continue;
      const json& platform = entry["platform"];
      if (platform.value("os", "") == "linux" && platform.value("architecture", "") == architecture) {
        Descriptor chosen = Descriptor::from_json(entry);
        chosen.annotations.clear();
        return chosen;
      }
    }
  throw Error(fmt::format("no matching manifest for linux/{} in the manifest list entries", architecture), 1);
}

/// What a manifest lists: its config and its layers, bottom first.
struct ImageParts {
  Descriptor config;
  std::vector<Descriptor> layers;
};

ImageParts parts_of(const FetchedManifest& manifest) {
  std::string what = "manifest " + manifest.digest;
  json parsed = parse_json(manifest.data, what);
  if (parsed.value("schemaVersion", 0) != 2)
    throw Error(fmt::format("{}: unsupported schemaVersion {}", what, parsed.value("schemaVersion", 0)), 1);
  if (!parsed.contains("config") || !parsed.contains("layers") || !parsed["layers"].is_array())
    throw Error(fmt::format("{}: no config or no layers", what), 1);
  ImageParts parts;
  parts.config = Descriptor::from_json(parsed["config"]);
  if (!kConfigTypes.count(parts.config.media_type))
    throw Error(fmt::format("{}: config {}: unsupported media type \"{}\"", what, parts.config.digest,
                            parts.config.media_type),
                1);
  for (const auto& entry : parsed["layers"]) {
    Descriptor layer = Descriptor::from_json(entry);
    if (!kLayerTypes.count(layer.media_type))
      throw Error(fmt::format("{}: layer {}: unsupported media type \"{}\"", what, layer.digest, layer.media_type), 1);
    parts.layers.push_back(layer);
  }
  return parts;
}

/// The config, into memory and from there into the store (checked against its digest).
std::vector<std::string> store_config(RegistryClient& client, ch10::ImageStore& store, const Descriptor& config,
                                      ch10::Changes& changes) {
  std::string what = fmt::format("config {} of {}/{}", config.digest, client.repository().domain,
                                 client.repository().repository);
  if (!store.has_blob(config.digest)) {
    if (config.size > kMaxConfig) throw Error(fmt::format("{}: larger than {} bytes", what, kMaxConfig), 1);
    std::string data;
    client.fetch_blob(config.digest, [&](std::string_view piece) {
      if (static_cast<std::int64_t>(data.size() + piece.size()) > config.size)
        throw Error(fmt::format("{}: more than the {} bytes its descriptor says", what, config.size), 1);
      data.append(piece);
    });
    try {
      store.put_blob(data, config.digest, changes);
    } catch (const Error& e) {
      throw Error(fmt::format("{}: {}", what, e.what()), 1);
    }
  }
  json parsed = parse_json(store.read_blob(config.digest), what);
  try {
    return parsed.at("rootfs").at("diff_ids").get<std::vector<std::string>>();
  } catch (const json::exception& e) {
    throw Error(fmt::format("{}: no rootfs.diff_ids: {}", what, e.what()), 1);
  }
}

/// The stored layer blob is the layer `diff_id`: unpacked into layers/ (which checks the diff
/// id), or, when that layer is there already and the blob is new, its uncompressed bytes hashed.
void unpack(ch10::ImageStore& store, const Descriptor& layer, const std::string& diff_id, bool fetched,
            ch10::Changes& changes) {
  if (!ch10::is_sha256_digest(diff_id)) throw Error(fmt::format("layer {}: unsupported diff id \"{}\"", layer.digest, diff_id), 1);
  if (fetched && path_exists(store.layer_path(diff_id).string())) {
    UniqueFd in = open_fd(store.blob_path(layer.digest).string(), O_RDONLY);
    std::string actual = ch10::uncompressed_digest(in.get(), "layer " + layer.digest).first;
    if (actual != diff_id)
      throw Error(fmt::format("layer {}: diff id mismatch: the config says {}, its content is {}", layer.digest,
                              diff_id, actual),
                  1);
    return;
  }
  store.unpack_layer(layer.digest, diff_id, changes);
}

/// Names the image in the store's index: the tag (or the digest) of `ref` points at
/// `manifest`. @returns true when it did already (docker's "Image is up to date").
bool name_image(ch10::ImageStore& store, const Reference& ref, const Descriptor& manifest) {
  std::vector<Descriptor> index = store.read_index();
  bool up_to_date = false;
  if (ref.digest.empty()) {
    up_to_date = std::any_of(index.begin(), index.end(), [&](const Descriptor& d) {
      auto name = d.annotations.find(ch10::kRefNameAnnotation);
      return d.digest == manifest.digest && name != d.annotations.end() && name->second == ref.full();
    });
    if (!up_to_date) store.point(index, ref, manifest);
  } else {
    // By digest: NAME@DIGEST finds an image by a name of its repository. One that has none
    // gets the digested reference itself as its name (docker's "<none>" tag).
    up_to_date = std::any_of(index.begin(), index.end(), [&](const Descriptor& d) { return d.digest == manifest.digest; });
    bool has_repository_name = std::any_of(index.begin(), index.end(), [&](const Descriptor& d) {
      auto name = d.annotations.find(ch10::kRefNameAnnotation);
      if (d.digest != manifest.digest || name == d.annotations.end()) return false;
      try {
        return ch10::parse_reference(name->second).name() == ref.name();
      } catch (const Error&) {
        return false;
      }
    });
    if (!has_repository_name) store.point(index, Reference{ref.domain, ref.path, "", manifest.digest}, manifest);
  }
  store.write_index(index);
  return up_to_date;
}

}  // namespace

int pull_image(const StateRoot& root, const std::string& text, const ClientOptions& options) {
  Lines lines(options);
  Reference ref = ch10::parse_reference(text);
  if (ref.tag.empty() && ref.digest.empty()) {
    lines.say(fmt::format("Using default tag: {}", ch10::kDefaultTag));
    ref = ref.with_default_tag();
  }
  // A name with both (NAME:TAG@DIGEST) is pulled by its digest, as docker does.
  std::string wanted = ref.digest.empty() ? ref.tag : ref.digest;
  // Docker Hub's images come from a mirror when one has them, as dockerd's --registry-mirror.
  std::unique_ptr<RegistryClient> owner;
  FetchedManifest top, manifest;
  if (ref.domain == ch10::kDefaultDomain) {
    for (const auto& mirror : options.registry_mirrors) {
      try {
        auto candidate = std::make_unique<RegistryClient>(mirror_repository(mirror, ref));
        top = candidate->get_manifest(wanted);
        manifest = top;
        if (kIndexTypes.count(top.media_type)) manifest = candidate->get_manifest(platform_manifest(top).digest);
        owner = std::move(candidate);
        break;
      } catch (const Error& e) {
        log::debug("mirror {} does not serve {}: {}", mirror, ref.familiar(), e.what());  // Docker Hub next
      }
    }
  }
  if (!owner) {
    owner = std::make_unique<RegistryClient>(registry_repository(ref, options.insecure_registries),
                                             CredentialStore(config_dir(options.config_dir)).find(ref.domain));
    try {
      top = owner->get_manifest(wanted);
      manifest = top;
      if (kIndexTypes.count(top.media_type)) manifest = owner->get_manifest(platform_manifest(top).digest);
    } catch (const RegistryError& e) {
      throw_not_found(e, ref);
    }
  }
  RegistryClient& client = *owner;
  if (!kManifestTypes.count(manifest.media_type))
    throw Error(fmt::format("{}: manifest {}: unsupported media type \"{}\"", ref.familiar(), manifest.digest,
                            manifest.media_type),
                1);
  ImageParts parts = parts_of(manifest);
  lines.say(fmt::format("{}: Pulling from {}", wanted, ref.path));

  ch10::ImageStore store(root);
  UniqueFd held = store.lock();
  ch10::Changes changes;
  if (!path_exists(store.layers_dir().string())) {
    std::filesystem::create_directories(store.layers_dir());
    changes.created(store.layers_dir());
  }
  try {
    std::vector<bool> fetched;
    for (const auto& layer : parts.layers) {
      fetched.push_back(!store.has_blob(layer.digest));
      lines.say(fmt::format("{}: {}", short_id(layer.digest), fetched.back() ? "Pulling fs layer" : "Already exists"));
    }
    std::vector<std::string> diff_ids = store_config(client, store, parts.config, changes);
    if (diff_ids.size() != parts.layers.size())
      throw Error(fmt::format("manifest {}: {} layers, its config {} names {}", manifest.digest, parts.layers.size(),
                              parts.config.digest, diff_ids.size()),
                  1);
    for (size_t i = 0; i < parts.layers.size(); ++i) {
      if (!fetched[i]) continue;
      download_blob(client, store, parts.layers[i], changes);
      lines.say(fmt::format("{}: Verifying Checksum", short_id(parts.layers[i].digest)));
      lines.say(fmt::format("{}: Download complete", short_id(parts.layers[i].digest)));
    }
    for (size_t i = 0; i < parts.layers.size(); ++i) {
      unpack(store, parts.layers[i], diff_ids[i], fetched[i], changes);
      if (fetched[i]) lines.say(fmt::format("{}: Pull complete", short_id(parts.layers[i].digest)));
    }
    if (!store.has_blob(manifest.digest)) store.put_blob(manifest.data, manifest.digest, changes);
  } catch (const RegistryError& e) {
    throw Error(fmt::format("pulling {}: {}", ref.familiar(), e.what()), 1);
  }
  Descriptor stored{manifest.media_type, manifest.digest, static_cast<std::int64_t>(manifest.data.size()), {}};
  bool up_to_date = name_image(store, ref, stored);
  changes.commit();

  lines.say("Digest: " + top.digest);
  lines.say(fmt::format("Status: {} for {}", up_to_date ? "Image is up to date" : "Downloaded newer image",
                        ref.familiar()));
  lines.last(ref.full());
  return 0;
}

}  // namespace dockling::ch12
