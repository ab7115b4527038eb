/// @file archive_io.hpp
/// @brief The streams under `save` and `load`: a tar writer and a reader of a blob's
/// uncompressed bytes, both libarchive, both in 64 KiB pieces: never a whole layer in memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

struct archive;

namespace dockling::ch10 {

/// Writes a tar archive (ustar; pax headers only where ustar cannot say it) to a file
/// descriptor, entry by entry. Every entry is owned by root:root, as docker writes them.
class TarWriter {
 public:
  /// Reads up to `size` bytes into `buffer`, returns how many; 0 at the end.
  using Reader = std::function<std::size_t(char* buffer, std::size_t size)>;

  /// Starts an archive on `fd` (not owned). `what` names the output in messages.
  TarWriter(int fd, std::string what);
  ~TarWriter();
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  /// A directory entry, mode 0755; `name` ends with '/'.
  void directory(const std::string& name, std::int64_t mtime);
  /// A regular file, mode 0644, holding `data`.
  void file(const std::string& name, std::string_view data, std::int64_t mtime);
  /// A regular file, mode 0644, of exactly `size` bytes taken from `read`.
  /// @throws Error when `read` ends early or has more.
  void file(const std::string& name, std::int64_t size, const Reader& read, std::int64_t mtime);
  /// A symbolic link to `target` (relative to the link's directory).
  void symlink(const std::string& name, const std::string& target, std::int64_t mtime);
  /// Writes the archive's end. @throws Error when the output refuses it.
  void close();

 private:
  void header(const std::string& name, unsigned type, unsigned perm, std::int64_t size, const std::string& link,
              std::int64_t mtime);
  void write(const char* data, std::size_t size, const std::string& name);

  archive* archive_;
  std::string what_;
};

/// A blob's bytes uncompressed: gzip and zstd are recognized from the stream, anything else
/// passes through unchanged.
class Decompressed {
 public:
  /// Reads from `fd` (not owned) where it stands. `what` names the blob in messages.
  Decompressed(int fd, std::string what);
  ~Decompressed();
  Decompressed(const Decompressed&) = delete;
  Decompressed& operator=(const Decompressed&) = delete;

  /// Reads up to `size` bytes into `buffer`; 0 at the end. @throws Error for a damaged stream.
  std::size_t read(char* buffer, std::size_t size);

 private:
  archive* archive_;
  std::string what_;
  bool end_ = false;
};

/// The sha256 of a blob's uncompressed bytes (a layer's diff id) and their count, read from
/// `fd` to its end. @throws Error for a damaged stream, naming `what`.
std::pair<std::string, std::uint64_t> uncompressed_digest(int fd, const std::string& what);

}  // namespace dockling::ch10
