/// @file image_store.hpp
/// @brief The image store: an OCI image layout under ROOT/images, and every layer unpacked
/// once under ROOT/layers/DIFF_ID.
///
///     ROOT/images/              an OCI image layout (skopeo's oci:, umoci's --layout)
///       oci-layout              {"imageLayoutVersion": "1.0.0"}
///       index.json              one manifest descriptor per tag, the whole reference in
///                               its org.opencontainers.image.ref.name annotation; none for
///                               an untagged image
///       blobs/sha256/HEX      manifests, configs, layer tarballs: named by their digest
///     ROOT/images.lock          flock(2)ed by every command that changes the store
///     ROOT/layers/HEX/        a layer unpacked (overlay's form), named by its diff id
///     ROOT/build-cache.json     the manifests of chapter 11's build steps, each with its
///                               cache key: kept like the images of index.json, not listed
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "dockling/fd.hpp"
#include "dockling/state.hpp"
#include "layer_unpack.hpp"
#include "reference.hpp"

namespace dockling::ch10 {

/// OCI media types the store writes.
namespace media_type {
inline constexpr const char* kManifest = "application/vnd.oci.image.manifest.v1+json";  ///< image manifest
inline constexpr const char* kIndex = "application/vnd.oci.image.index.v1+json";        ///< index.json
inline constexpr const char* kConfig = "application/vnd.oci.image.config.v1+json";      ///< image config
}  // namespace media_type

/// The annotation that names a manifest in index.json.
inline constexpr const char* kRefNameAnnotation = "org.opencontainers.image.ref.name";

/// An OCI content descriptor: what a blob is, its digest and size.
struct Descriptor {
  std::string media_type;                          ///< e.g. media_type::kManifest
  std::string digest;                              ///< "sha256:HEX"
  std::int64_t size = 0;                           ///< bytes
  std::map<std::string, std::string> annotations;  ///< e.g. kRefNameAnnotation

  /// The descriptor as OCI JSON.
  nlohmann::ordered_json to_json() const;
  /// Reads one; @throws Error for a malformed one.
  static Descriptor from_json(const nlohmann::json& json);
};

/// One image of the store: a manifest, its config and every name that points at it.
struct Image {
  std::string id;                       ///< the config's digest: docker's IMAGE ID
  Descriptor manifest;                  ///< the manifest's descriptor (without annotations)
  std::vector<Reference> names;         ///< its tags, in index order; empty: untagged
  nlohmann::json config;                ///< the image config
  std::vector<Descriptor> layers;       ///< the manifest's layers, bottom first
  std::vector<std::string> diff_ids;    ///< the config's rootfs.diff_ids, bottom first
  std::string created;                  ///< the config's "created" (RFC 3339)
};

/// A container that uses an image (its layers are its root's lower directories).
struct ImageUser {
  std::string container_id;  ///< the container's id
  bool running = false;      ///< it runs now
};

/// Paths created by a store operation, removed again unless the operation commits: after an
/// error the store is as it was before.
class Changes {
 public:
  Changes() = default;
  Changes(const Changes&) = delete;
  Changes& operator=(const Changes&) = delete;
  /// Removes every recorded path unless commit() was called.
  ~Changes();
  /// Records a path the operation created (a blob, a layer directory).
  void created(const std::filesystem::path& path) { created_.push_back(path); }
  /// The operation succeeded: keep everything.
  void commit() noexcept { created_.clear(); }

 private:
  std::vector<std::filesystem::path> created_;
};

/// The image store under one state root. Reading needs no lock; every change is made under
/// lock(), and each method that changes the store takes it itself.
class ImageStore {
 public:
  /// The store of `root` (nothing is created until something is stored).
  explicit ImageStore(const StateRoot& root);

  /// ROOT/images: the OCI image layout.
  const std::filesystem::path& layout_dir() const noexcept { return layout_; }
  /// ROOT/layers: the unpacked layers.
  const std::filesystem::path& layers_dir() const noexcept { return layers_; }
  /// ROOT/images/blobs/sha256/HEX. @throws Error for a digest that is not sha256.
  std::filesystem::path blob_path(std::string_view digest) const;
  /// ROOT/layers/HEX. @throws Error for a diff id that is not sha256.
  std::filesystem::path layer_path(std::string_view diff_id) const;

  /// Creates the layout if needed and takes the store's lock (ROOT/images.lock) until the
  /// returned fd is closed.
  UniqueFd lock() const;

  /// Stores the bytes read from `fd` as a blob: written to a temporary file beside the blobs
  /// while their sha256 is computed, renamed to blobs/sha256/HEX only when the digest is
  /// `expected` (any digest when empty). Call under lock().
  /// @returns the digest.
  /// @throws Error "blob EXPECTED: digest mismatch: its content is ACTUAL" (nothing stored).
  std::string put_blob(int fd, const std::string& expected, Changes& changes);
  /// The same for bytes in memory (manifests, configs).
  std::string put_blob(std::string_view data, const std::string& expected, Changes& changes);
  /// True when the blob is stored.
  bool has_blob(std::string_view digest) const;
  /// A small blob's bytes, checked against its digest. @throws Error when missing or changed.
  std::string read_blob(std::string_view digest) const;
  /// A small blob's bytes as stored, not hashed again: its digest was checked when it entered
  /// (put_blob), and hashing costs a start of `run` 10 ms of loading libcrypto. Docker and
  /// containerd read their stores the same way. @throws Error when missing.
  std::string read_stored_blob(std::string_view digest) const;

  /// Unpacks the stored layer blob `digest` into layers/DIFF_ID/ unless that layer is
  /// there already (each layer is unpacked once and shared): into a temporary directory
  /// beside it first, renamed at the end, removed on any error. When `expected_diff_id` is
  /// given, a layer whose diff id differs is refused. Call under lock().
  /// @throws Error naming the layer, the entry and why (see unpack_layer()).
  UnpackedLayer unpack_layer(std::string_view digest, const std::string& expected_diff_id, Changes& changes);

  /// The manifest descriptors of index.json, with their annotations; empty when none.
  std::vector<Descriptor> read_index() const;
  /// Replaces index.json (temporary file, fsync, rename). Call under lock().
  void write_index(const std::vector<Descriptor>& manifests) const;

  /// Stores an image: its config, and a manifest of `layers` (already stored) and that
  /// config. Call under lock(); nothing names it yet.
  /// @returns the manifest's descriptor and the image id (the config's digest).
  std::pair<Descriptor, std::string> put_image(const nlohmann::ordered_json& config, const std::vector<Descriptor>& layers,
                                               Changes& changes);
  /// The image a manifest descriptor (of the index or of the build cache) describes.
  /// @throws Error when its manifest or config is malformed.
  Image load(const Descriptor& manifest) const;

  /// ROOT/build-cache.json.
  std::filesystem::path build_cache_path() const { return root_ / "build-cache.json"; }
  /// Chapter 11's build cache: one manifest descriptor per step, its key in an annotation.
  /// Garbage collection keeps what it names; find() finds its images by id. Empty when none.
  std::vector<Descriptor> read_build_cache() const;
  /// Replaces the build cache (temporary file, fsync, rename). Call under lock().
  void write_build_cache(const std::vector<Descriptor>& entries) const;

  /// Every image, one per manifest of the index, newest first.
  std::vector<Image> images() const;
  /// The image `text` names, as docker looks one up: a reference ("busybox" is
  /// busybox:latest; "name@sha256:…" a manifest digest), an image id ("sha256:HEX"), or
  /// an unambiguous prefix of one. A full id also finds a build step's image.
  /// @throws Error "No such image: TEXT" (exit code 1).
  Image find(const std::string& text) const;

  /// `import`: the tarball read from `fd` (plain, gzip or zstd) becomes a one-layer image,
  /// tagged `name` when given, untagged otherwise; `comment` goes to its history, `config`
  /// (docker's container config, `import --change`) to its config: docker's empty one when null.
  /// @returns the new image's id.
  std::string import_tarball(int fd, const std::optional<Reference>& name, const std::string& comment,
                             const nlohmann::ordered_json& config = nullptr);
  /// `tag`: `target` (default tag latest) names the image `source` names. A name that
  /// pointed at another image moves; that image stays, untagged if it has no other name.
  void tag(const std::string& source, const Reference& target);
  /// `rmi`: untags `text` (a name), or every name of the image (an id: refused for an image
  /// with several names unless `force`); an image left without a name is deleted, with the
  /// blobs and layers no other image needs. `users` (image id → a container of it): such an
  /// image is not deleted: losing its last name is refused unless `force` (then it stays,
  /// untagged), and always refused while the container runs.
  /// @returns docker's lines: "Untagged: busybox:latest", "Deleted: sha256:…".
  std::vector<std::string> remove(const std::string& text, bool force, const std::map<std::string, ImageUser>& users = {});
  /// Removes the blobs and layers no image of the index needs, and leftover temporary files.
  /// Call under lock(). @returns the diff ids of the layers removed.
  std::vector<std::string> collect_garbage() const;

  /// Points the name `name` (with a tag) at `manifest` in `index` (a read_index() to be
  /// written back): the name moves off any other manifest, which stays untagged when that was
  /// its last name; an untagged entry of `manifest` goes, as it has a name now.
  void point(std::vector<Descriptor>& index, const Reference& name, const Descriptor& manifest) const;

  /// Bytes of the regular files of an unpacked layer (hard links counted once); 0 when it
  /// is not unpacked.
  std::uint64_t layer_size(std::string_view diff_id) const;

 private:
  std::filesystem::path root_;
  std::filesystem::path layout_;
  std::filesystem::path layers_;
};

/// Docker's empty container config: the fields `docker import` writes, all unset, in the
/// order docker writes them.
nlohmann::ordered_json empty_container_config();

/// The architecture as OCI names it (GOARCH): amd64, arm64, … from uname(2).
std::string oci_architecture();

/// Now, as docker writes "created": "2026-11-30T07:51:01.373804082Z".
std::string rfc3339_now();

/// Seconds since the epoch of an RFC 3339 time ("…Z" or "+hh:mm"); 0 when it does not parse.
double rfc3339_seconds(const std::string& text);

}  // namespace dockling::ch10
