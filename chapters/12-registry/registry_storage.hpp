/// @file registry_storage.hpp
/// @brief The registry's files (laid out by registry_paths.hpp): each blob stored once by
/// digest, repositories that link the blobs and manifests they hold and name tags, and upload
/// sessions.
/// Every write goes to a temporary file renamed into place once its digest is checked, so a
/// reader never sees half a blob and two writers of the same content or tag do not clash.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "digest.hpp"
#include "dockling/fd.hpp"
#include "registry_paths.hpp"

namespace dockling::ch12 {

/// An upload session: the bytes received so far in ROOT/uploads/UUID/data, hashed as they
/// arrive. Lock mutex() around every use: two requests for one session take turns.
class BlobUpload {
 public:
  /// Reads back a session's data file `data` (a new one, or one an earlier run of the server left).
  BlobUpload(std::string uuid, std::string name, std::filesystem::path data);

  /// The session's id.
  const std::string& uuid() const { return uuid_; }
  /// The repository it uploads to.
  const std::string& name() const { return name_; }
  /// Bytes received so far.
  std::uint64_t size() const { return size_; }
  /// Held by the request that works on the session.
  std::mutex& mutex() { return mutex_; }
  /// True once the session was completed or cancelled: requests that waited for it find nothing.
  bool closed() const { return closed_; }

  /// Appends what `read` yields until it returns 0 (a request body), hashing it on the way.
  /// When `read` throws, what was appended so far stays (size() says how much).
  /// @returns the bytes appended.
  std::uint64_t append(const std::function<std::size_t(char*, std::size_t)>& read);
  /// Cuts the data back to `size` bytes (a chunk that was refused) and hashes it again.
  void truncate(std::uint64_t size);

 private:
  friend class RegistryStorage;
  void rehash();
  UniqueFd open_data(int flags) const;

  std::string uuid_;
  std::string name_;
  std::filesystem::path data_path_;
  std::uint64_t size_ = 0;
  std::unique_ptr<ch10::Sha256> hash_;
  std::mutex mutex_;
  bool closed_ = false;
};

/// A stored manifest, opened for reading.
struct StoredManifest {
  std::string digest;      ///< "sha256:..."
  std::string media_type;  ///< the Content-Type it was pushed with
  UniqueFd file;           ///< its bytes
  std::uint64_t size = 0;  ///< how many
};

/// The registry's storage under one root directory. Names, tags and digests must have been
/// checked (registry_names.hpp, ch10::is_sha256_digest) before they reach it.
class RegistryStorage {
 public:
  /// Uses `root`, creating its directories.
  explicit RegistryStorage(std::filesystem::path root);

  /// True when the repository holds (or held) something: a blob, a manifest or an upload.
  bool repository_exists(const std::string& name) const;
  /// Every repository with a manifest, sorted.
  std::vector<std::string> repositories() const;

  /// True when the blob exists in the registry at all (in any repository).
  bool blob_exists(const std::string& digest) const;
  /// True when repository `name` holds the blob (a layer, a config, or a manifest's bytes).
  bool has_blob(const std::string& name, const std::string& digest) const;
  /// The blob's file, opened; nullopt when `name` does not hold it.
  std::optional<UniqueFd> open_blob(const std::string& name, const std::string& digest) const;
  /// Makes repository `name` hold a blob the registry has (a cross-repository mount).
  void link_blob(const std::string& name, const std::string& digest);
  /// Removes the blob from repository `name` (its bytes stay while other repositories hold
  /// them: garbage collection frees them). @returns false when `name` did not hold it.
  bool unlink_blob(const std::string& name, const std::string& digest);

  /// Opens a new upload session for repository `name`.
  std::shared_ptr<BlobUpload> start_upload(const std::string& name);
  /// The session `uuid` of repository `name` (also one an earlier run left on disk); null when none.
  std::shared_ptr<BlobUpload> find_upload(const std::string& name, const std::string& uuid);
  /// Removes the session and its data (its mutex held).
  void cancel_upload(BlobUpload& upload);
  /// Ends the session (its mutex held): when its bytes have digest `digest`, they become that
  /// blob (kept once, whoever uploaded it too) held by the repository; otherwise they are removed.
  /// @returns the digest of what was uploaded (compare it with `digest`).
  std::string finish_upload(BlobUpload& upload, const std::string& digest);

  /// The manifest `reference` (a tag or a digest) of repository `name`; nullopt when unknown.
  std::optional<StoredManifest> find_manifest(const std::string& name, const std::string& reference) const;
  /// The digests of every manifest repository `name` holds, sorted.
  std::vector<std::string> manifests(const std::string& name) const;
  /// True when repository `name` holds manifest `digest`.
  bool has_manifest(const std::string& name, const std::string& digest) const;
  /// Stores manifest `body` (whose digest is `digest`) in repository `name`, answered later as
  /// `media_type`, and points `tag` at it when given.
  void put_manifest(const std::string& name, const std::string& body, const std::string& digest,
                    const std::string& media_type, const std::optional<std::string>& tag);
  /// Removes manifest `digest` from repository `name`, with the tags that point at it.
  /// @returns false when the repository did not hold it.
  bool delete_manifest(const std::string& name, const std::string& digest);
  /// Removes `tag` from repository `name`. @returns false when there was no such tag.
  bool delete_tag(const std::string& name, const std::string& tag);
  /// The repository's tags, sorted.
  std::vector<std::string> tags(const std::string& name) const;

 private:
  /// Writes `data` to `path` through a temporary file in the same directory and a rename.
  void write_atomically(const std::filesystem::path& path, const std::string& data) const;

  RegistryPaths paths_;
  std::mutex uploads_mutex_;
  std::map<std::string, std::shared_ptr<BlobUpload>> uploads_;
};

}  // namespace dockling::ch12
