#include "registry_storage.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "dockling/error.hpp"
#include "dockling/fs.hpp"

namespace dockling::ch12 {

namespace fs = std::filesystem;

namespace {

/// Big enough that a gigabit of body costs few system calls; the same buffer is hashed.
constexpr std::size_t kAppendBuffer = 1 << 20;

/// Reads `fd` from `offset` into `hash` until its end.
void hash_file(int fd, ch10::Sha256& hash, std::uint64_t size) {
  std::unique_ptr<char[]> buffer(new char[kAppendBuffer]);
  std::uint64_t offset = 0;
  while (offset < size) {
    ssize_t got = pread(fd, buffer.get(), std::min<std::uint64_t>(kAppendBuffer, size - offset), static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) throw_sys("pread", "upload data");
    hash.update(buffer.get(), static_cast<std::size_t>(got));
    offset += static_cast<std::uint64_t>(got);
  }
}

std::string uuid_v4() {
  std::string hex = random_hex(16);
  hex[12] = '4';                                            // version 4
  hex[16] = "89ab"[std::stoi(hex.substr(16, 1), nullptr, 16) & 3];  // variant 10xx
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" + hex.substr(20);
}

}  // namespace

// BlobUpload

BlobUpload::BlobUpload(std::string uuid, std::string name, fs::path data)
    : uuid_(std::move(uuid)), name_(std::move(name)), data_path_(std::move(data)) {
  UniqueFd(open_fd(data_path_.string(), O_WRONLY | O_CREAT, 0644));
  rehash();
}

UniqueFd BlobUpload::open_data(int flags) const { return open_fd(data_path_.string(), flags); }

void BlobUpload::rehash() {
  UniqueFd data = open_data(O_RDONLY);
  struct stat info {};
  check(fstat(data.get(), &info), "fstat", data_path_.string());
  size_ = static_cast<std::uint64_t>(info.st_size);
  hash_ = std::make_unique<ch10::Sha256>();
  hash_file(data.get(), *hash_, size_);
}

std::uint64_t BlobUpload::append(const std::function<std::size_t(char*, std::size_t)>& read) {
  // Opened for this request only: an abandoned session holds no descriptor.
  UniqueFd data = open_data(O_WRONLY);
  std::unique_ptr<char[]> buffer(new char[kAppendBuffer]);
  std::uint64_t appended = 0;
  for (;;) {
    // Fill most of the buffer before writing: fewer, larger writes.
    std::size_t filled = 0;
    bool end = false;
    try {
      while (filled < kAppendBuffer) {
        std::size_t got = read(buffer.get() + filled, kAppendBuffer - filled);
        if (got == 0) {
          end = true;
          break;
        }
        filled += got;
        if (filled >= kAppendBuffer / 2) break;
      }
    } catch (...) {
      // Keep what did arrive: a streamed upload resumes from size().
      if (filled > 0) {
        std::size_t written = 0;
        while (written < filled) {
          ssize_t n = pwrite(data.get(), buffer.get() + written, filled - written, static_cast<off_t>(size_ + written));
          if (n <= 0) break;
          written += static_cast<std::size_t>(n);
        }
        if (written == filled) {
          hash_->update(buffer.get(), filled);
          size_ += filled;
        } else {
          truncate(size_);
        }
      }
      throw;
    }
    std::size_t written = 0;
    while (written < filled) {
      ssize_t n = pwrite(data.get(), buffer.get() + written, filled - written, static_cast<off_t>(size_ + written));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        int error = errno;
        truncate(size_);  // the hash covers exactly the bytes on disk
        throw SysError("write", data_path_.string(), error);
      }
      written += static_cast<std::size_t>(n);
    }
    hash_->update(buffer.get(), filled);
    size_ += filled;
    appended += filled;
    if (end) return appended;
  }
}

void BlobUpload::truncate(std::uint64_t size) {
  check(::truncate(data_path_.c_str(), static_cast<off_t>(size)), "truncate", data_path_.string());
  rehash();
}

// RegistryStorage

RegistryStorage::RegistryStorage(fs::path root) : paths_(std::move(root)) {
  fs::create_directories(paths_.blobs());
  fs::create_directories(paths_.repositories());
  fs::create_directories(paths_.uploads());
}

void RegistryStorage::write_atomically(const fs::path& path, const std::string& data) const {
  fs::path temporary = path.parent_path() / ("." + path.filename().string() + ".tmp-" + random_hex(8));
  try {
    write_file(temporary.string(), data);
    fs::rename(temporary, path);
  } catch (...) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    throw;
  }
}

bool RegistryStorage::repository_exists(const std::string& name) const {
  return path_exists(paths_.layer_links(name).string()) || path_exists(paths_.manifest_links(name).string()) ||
         path_exists(paths_.upload_marker(name).string());
}

std::vector<std::string> RegistryStorage::repositories() const {
  std::vector<std::string> names;
  fs::path base = paths_.repositories();
  std::error_code error;
  for (auto it = fs::recursive_directory_iterator(base, error); !error && it != fs::recursive_directory_iterator();
       it.increment(error)) {
    if (!it->is_directory()) continue;
    std::string leaf = it->path().filename().string();
    if (RegistryPaths::is_internal(leaf)) {
      std::string name = it->path().parent_path().lexically_relative(base).string();
      if (it->path() == paths_.manifest_links(name)) names.push_back(name);
      it.disable_recursion_pending();
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool RegistryStorage::blob_exists(const std::string& digest) const { return path_exists(paths_.blob(digest).string()); }

bool RegistryStorage::has_blob(const std::string& name, const std::string& digest) const {
  return (path_exists(paths_.layer_link(name, digest).string()) || path_exists(paths_.manifest_link(name, digest).string())) &&
         blob_exists(digest);
}

std::optional<UniqueFd> RegistryStorage::open_blob(const std::string& name, const std::string& digest) const {
  if (!has_blob(name, digest)) return std::nullopt;
  int fd = open(paths_.blob(digest).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;  // deleted meanwhile
    throw_sys("open", paths_.blob(digest).string());
  }
  return UniqueFd(fd);
}

void RegistryStorage::link_blob(const std::string& name, const std::string& digest) {
  fs::create_directories(paths_.layer_links(name));
  // An empty file: creating it twice at once is harmless.
  UniqueFd link = open_fd(paths_.layer_link(name, digest).string(), O_WRONLY | O_CREAT, 0644);
}

bool RegistryStorage::unlink_blob(const std::string& name, const std::string& digest) {
  std::error_code error;
  return fs::remove(paths_.layer_link(name, digest), error);
}

std::shared_ptr<BlobUpload> RegistryStorage::start_upload(const std::string& name) {
  std::string uuid = uuid_v4();
  fs::create_directories(paths_.upload(uuid));
  write_file(paths_.upload_name(uuid).string(), name);
  fs::create_directories(paths_.upload_marker(name));
  auto upload = std::make_shared<BlobUpload>(uuid, name, paths_.upload_data(uuid));
  std::lock_guard lock(uploads_mutex_);
  uploads_[uuid] = upload;
  return upload;
}

std::shared_ptr<BlobUpload> RegistryStorage::find_upload(const std::string& name, const std::string& uuid) {
  std::lock_guard lock(uploads_mutex_);
  auto it = uploads_.find(uuid);
  if (it != uploads_.end()) return it->second->name() == name ? it->second : nullptr;
  // A session an earlier run of the server left: its bytes are on disk, its hash is not.
  if (!path_exists(paths_.upload_name(uuid).string()) || !path_exists(paths_.upload_data(uuid).string())) return nullptr;
  if (read_file(paths_.upload_name(uuid).string()) != name) return nullptr;
  auto upload = std::make_shared<BlobUpload>(uuid, name, paths_.upload_data(uuid));
  uploads_[uuid] = upload;
  return upload;
}

void RegistryStorage::cancel_upload(BlobUpload& upload) {
  {
    std::lock_guard lock(uploads_mutex_);
    uploads_.erase(upload.uuid());
  }
  upload.closed_ = true;
  std::error_code error;
  fs::remove_all(paths_.upload(upload.uuid()), error);
}

std::string RegistryStorage::finish_upload(BlobUpload& upload, const std::string& digest) {
  {
    std::lock_guard lock(uploads_mutex_);
    uploads_.erase(upload.uuid());
  }
  upload.closed_ = true;
  std::string actual = upload.hash_->digest();
  std::error_code error;
  if (actual == digest) {
    // The same blob uploaded twice at once: both renames leave the same bytes in place.
    if (!blob_exists(digest)) fs::rename(upload.data_path_, paths_.blob(digest));
    link_blob(upload.name(), digest);
  }
  fs::remove_all(paths_.upload(upload.uuid()), error);
  return actual;
}

std::vector<std::string> RegistryStorage::manifests(const std::string& name) const {
  std::vector<std::string> digests;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(paths_.manifest_links(name), error))
    digests.push_back("sha256:" + entry.path().filename().string());
  std::sort(digests.begin(), digests.end());
  return digests;
}

std::optional<StoredManifest> RegistryStorage::find_manifest(const std::string& name, const std::string& reference) const {
  std::string digest = reference;
  if (!ch10::is_sha256_digest(reference)) {
    fs::path tag = paths_.tag(name, reference);
    if (!path_exists(tag.string())) return std::nullopt;
    try {
      digest = read_file(tag.string());
    } catch (const SysError&) {
      return std::nullopt;  // untagged meanwhile
    }
    if (!ch10::is_sha256_digest(digest)) return std::nullopt;
  }
  fs::path link = paths_.manifest_link(name, digest);
  StoredManifest manifest;
  manifest.digest = digest;
  try {
    manifest.media_type = read_file(link.string());
  } catch (const SysError&) {
    return std::nullopt;
  }
  int fd = open(paths_.blob(digest).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  manifest.file = UniqueFd(fd);
  struct stat info {};
  check(fstat(fd, &info), "fstat", paths_.blob(digest).string());
  manifest.size = static_cast<std::uint64_t>(info.st_size);
  return manifest;
}

bool RegistryStorage::has_manifest(const std::string& name, const std::string& digest) const {
  return path_exists(paths_.manifest_link(name, digest).string()) && blob_exists(digest);
}

void RegistryStorage::put_manifest(const std::string& name, const std::string& body, const std::string& digest,
                                   const std::string& media_type, const std::optional<std::string>& tag) {
  if (!blob_exists(digest)) write_atomically(paths_.blob(digest), body);
  fs::create_directories(paths_.manifest_links(name));
  write_atomically(paths_.manifest_link(name, digest), media_type);
  if (tag) {
    fs::create_directories(paths_.tags(name));
    // Two pushes of one tag at once: each rename is whole, the last one wins.
    write_atomically(paths_.tag(name, *tag), digest);
  }
}

bool RegistryStorage::delete_manifest(const std::string& name, const std::string& digest) {
  std::error_code error;
  if (!fs::remove(paths_.manifest_link(name, digest), error)) return false;
  for (const std::string& tag : tags(name)) {
    try {
      if (read_file(paths_.tag(name, tag).string()) == digest) fs::remove(paths_.tag(name, tag), error);
    } catch (const SysError&) {
    }
  }
  return true;
}

bool RegistryStorage::delete_tag(const std::string& name, const std::string& tag) {
  std::error_code error;
  return fs::remove(paths_.tag(name, tag), error);
}

std::vector<std::string> RegistryStorage::tags(const std::string& name) const {
  std::vector<std::string> list;
  std::error_code error;
  for (auto it = fs::directory_iterator(paths_.tags(name), error); !error && it != fs::directory_iterator();
       it.increment(error)) {
    std::string tag = it->path().filename().string();
    if (!tag.starts_with(".")) list.push_back(std::move(tag));  // temporaries start with a dot, tags never do
  }
  std::sort(list.begin(), list.end());
  return list;
}

}  // namespace dockling::ch12
