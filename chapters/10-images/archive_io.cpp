#include "archive_io.hpp"

#include <utility>

#include <fmt/format.h>

#include "digest.hpp"
#include "dockling/error.hpp"
#include "libarchive.hpp"

namespace dockling::ch10 {

namespace {

constexpr std::size_t kPiece = 64 * 1024;

std::string archive_message(archive* a, const char* fallback) {
  const char* message = libarchive().error_string(a);
  return message != nullptr ? message : fallback;
}

}  // namespace

TarWriter::TarWriter(int fd, std::string what) : archive_(libarchive().write_new()), what_(std::move(what)) {
  if (archive_ == nullptr) throw Error("archive_write_new: out of memory", 1);
  libarchive().write_set_format_pax_restricted(archive_);
  if (libarchive().write_open_fd(archive_, fd) != ARCHIVE_OK) {
    std::string message = archive_message(archive_, "cannot write");
    libarchive().write_free(archive_);
    throw Error(fmt::format("{}: {}", what_, message), 1);
  }
}

TarWriter::~TarWriter() { libarchive().write_free(archive_); }

void TarWriter::header(const std::string& name, unsigned type, unsigned perm, std::int64_t size,
                       const std::string& link, std::int64_t mtime) {
  const LibArchive& la = libarchive();
  archive_entry* entry = la.entry_new();
  if (entry == nullptr) throw Error("archive_entry_new: out of memory", 1);
  la.entry_set_pathname(entry, name.c_str());
  la.entry_set_filetype(entry, type);
  la.entry_set_perm(entry, perm);
  la.entry_set_size(entry, size);
  la.entry_set_mtime(entry, mtime, 0);
  la.entry_set_uname(entry, "root");
  la.entry_set_gname(entry, "root");
  if (!link.empty()) la.entry_set_symlink(entry, link.c_str());
  int rc = la.write_header(archive_, entry);
  la.entry_free(entry);
  if (rc < ARCHIVE_WARN) throw Error(fmt::format("{}: {}: {}", what_, name, archive_message(archive_, "cannot write")), 1);
}

void TarWriter::write(const char* data, std::size_t size, const std::string& name) {
  while (size > 0) {
    la_ssize_t n = libarchive().write_data(archive_, data, size);
    if (n <= 0) throw Error(fmt::format("{}: {}: {}", what_, name, archive_message(archive_, "cannot write")), 1);
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

void TarWriter::directory(const std::string& name, std::int64_t mtime) { header(name, AE_IFDIR, 0755, 0, "", mtime); }

void TarWriter::file(const std::string& name, std::string_view data, std::int64_t mtime) {
  header(name, AE_IFREG, 0644, static_cast<std::int64_t>(data.size()), "", mtime);
  write(data.data(), data.size(), name);
}

void TarWriter::file(const std::string& name, std::int64_t size, const Reader& read, std::int64_t mtime) {
  header(name, AE_IFREG, 0644, size, "", mtime);
  std::string buffer(kPiece, '\0');
  std::int64_t left = size;
  while (true) {
    std::size_t n = read(buffer.data(), buffer.size());
    if (n == 0) break;
    if (static_cast<std::int64_t>(n) > left)
      throw Error(fmt::format("{}: {}: its source grew while it was written", what_, name), 1);
    write(buffer.data(), n, name);
    left -= static_cast<std::int64_t>(n);
  }
  if (left != 0) throw Error(fmt::format("{}: {}: its source ended {} bytes early", what_, name, left), 1);
}

void TarWriter::symlink(const std::string& name, const std::string& target, std::int64_t mtime) {
  header(name, AE_IFLNK, 0777, 0, target, mtime);
}

void TarWriter::close() {
  if (libarchive().write_close(archive_) != ARCHIVE_OK)
    throw Error(fmt::format("{}: {}", what_, archive_message(archive_, "cannot write")), 1);
}

Decompressed::Decompressed(int fd, std::string what) : archive_(libarchive().read_new()), what_(std::move(what)) {
  if (archive_ == nullptr) throw Error("archive_read_new: out of memory", 1);
  const LibArchive& la = libarchive();
  la.read_support_filter_gzip(archive_);
  la.read_support_filter_zstd(archive_);
  la.read_support_format_raw(archive_);
  archive_entry* entry = nullptr;
  int rc = la.read_open_fd(archive_, fd, kPiece);
  if (rc == ARCHIVE_OK) rc = la.read_next_header(archive_, &entry);
  if (rc == ARCHIVE_EOF) {
    end_ = true;  // an empty blob
  } else if (rc < ARCHIVE_WARN) {
    std::string message = archive_message(archive_, "cannot read");
    la.read_free(archive_);
    throw Error(fmt::format("{}: {}", what_, message), 1);
  }
}

Decompressed::~Decompressed() { libarchive().read_free(archive_); }

std::size_t Decompressed::read(char* buffer, std::size_t size) {
  if (end_) return 0;
  la_ssize_t n = libarchive().read_data(archive_, buffer, size);
  if (n < 0) throw Error(fmt::format("{}: damaged: {}", what_, archive_message(archive_, "read error")), 1);
  if (n == 0) end_ = true;
  return static_cast<std::size_t>(n);
}

std::pair<std::string, std::uint64_t> uncompressed_digest(int fd, const std::string& what) {
  Decompressed in(fd, what);
  Sha256 hash;
  std::uint64_t total = 0;
  std::string buffer(kPiece, '\0');
  while (std::size_t n = in.read(buffer.data(), buffer.size())) {
    hash.update(buffer.data(), n);
    total += n;
  }
  return {hash.digest(), total};
}

}  // namespace dockling::ch10
