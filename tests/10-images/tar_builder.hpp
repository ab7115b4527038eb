// Layer tarballs built by the tests with libarchive: no download, every byte known.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <cctype>
#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "digest.hpp"
#include "dockling/fs.hpp"

namespace dockling::ch10::testing {

/// One entry of a test tarball.
struct TarEntry {
  std::string name;
  unsigned type = AE_IFREG;  ///< AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR, AE_IFBLK, AE_IFIFO
  std::string data;          ///< a regular file's contents
  std::string link;          ///< a symbolic link's target
  std::string hardlink;      ///< a hard link's target (type AE_IFREG)
  unsigned perm = 0644;
  long uid = 0, gid = 0;
  long mtime = 1700000000;
  dev_t rdev = 0;            ///< a device's number (type AE_IFCHR, AE_IFBLK)
  std::vector<std::pair<std::string, std::string>> xattrs;
};

/// A regular file.
inline TarEntry file(std::string name, std::string data = "data\n", unsigned perm = 0644) {
  TarEntry e;
  e.name = std::move(name);
  e.data = std::move(data);
  e.perm = perm;
  return e;
}
/// A directory.
inline TarEntry dir(std::string name, unsigned perm = 0755) {
  TarEntry e;
  e.name = std::move(name);
  e.type = AE_IFDIR;
  e.perm = perm;
  return e;
}
/// A symbolic link.
inline TarEntry symlink(std::string name, std::string target) {
  TarEntry e;
  e.name = std::move(name);
  e.type = AE_IFLNK;
  e.link = std::move(target);
  e.perm = 0777;
  return e;
}
/// A hard link.
inline TarEntry hardlink(std::string name, std::string target) {
  TarEntry e;
  e.name = std::move(name);
  e.hardlink = std::move(target);
  return e;
}

enum class Compression { none, gzip, zstd };

/// The tarball (pax format) of `entries`, compressed as asked.
inline std::string make_tar(const std::vector<TarEntry>& entries, Compression compression = Compression::none) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (compression == Compression::gzip) archive_write_add_filter_gzip(a);
  if (compression == Compression::zstd) archive_write_add_filter_zstd(a);
  archive_write_set_bytes_in_last_block(a, 1);
  auto write_cb = [](archive*, void* data, const void* buffer, size_t size) -> la_ssize_t {
    static_cast<std::string*>(data)->append(static_cast<const char*>(buffer), size);
    return static_cast<la_ssize_t>(size);
  };
  if (archive_write_open(a, &out, nullptr, write_cb, nullptr) != ARCHIVE_OK)
    throw std::runtime_error(archive_error_string(a));
  for (const auto& e : entries) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.name.c_str());
    archive_entry_set_filetype(entry, e.type);
    archive_entry_set_perm(entry, e.perm);
    archive_entry_set_uid(entry, e.uid);
    archive_entry_set_gid(entry, e.gid);
    archive_entry_set_mtime(entry, e.mtime, 0);
    if (e.type == AE_IFCHR || e.type == AE_IFBLK) archive_entry_set_rdev(entry, e.rdev);
    if (e.type == AE_IFLNK) archive_entry_set_symlink(entry, e.link.c_str());
    if (!e.hardlink.empty()) archive_entry_set_hardlink(entry, e.hardlink.c_str());
    for (const auto& [key, value] : e.xattrs) archive_entry_xattr_add_entry(entry, key.c_str(), value.data(), value.size());
    bool has_data = e.type == AE_IFREG && e.hardlink.empty();
    archive_entry_set_size(entry, has_data ? static_cast<la_int64_t>(e.data.size()) : 0);
    if (archive_write_header(a, entry) != ARCHIVE_OK) throw std::runtime_error(archive_error_string(a));
    if (has_data && !e.data.empty()) archive_write_data(a, e.data.data(), e.data.size());
    archive_entry_free(entry);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

/// A test name for the parameter `index` of a TEST_P: the index, then `text` with every
/// character a test name may not hold turned into '_'.
inline std::string param_name(size_t index, const std::string& text) {
  std::string name = std::to_string(index) + "_";
  for (char c : text.substr(0, 40)) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

/// Everything below `dir`: relative path → type, mode, size and contents (regular files),
/// target (links). Two snapshots are equal when nothing below `dir` changed.
inline std::map<std::string, std::string> snapshot(const std::filesystem::path& dir) {
  std::map<std::string, std::string> result;
  std::error_code error;
  if (!std::filesystem::exists(dir, error)) return result;
  for (auto it = std::filesystem::recursive_directory_iterator(dir); it != std::filesystem::recursive_directory_iterator();
       ++it) {
    struct stat st;
    if (::lstat(it->path().c_str(), &st) != 0) continue;
    std::string rel = std::filesystem::relative(it->path(), dir).string();
    std::string what = std::to_string(st.st_mode) + " " + std::to_string(st.st_size);
    if (S_ISREG(st.st_mode)) what += " " + sha256_digest(read_file(it->path().string()));
    if (S_ISLNK(st.st_mode)) what += " -> " + std::filesystem::read_symlink(it->path()).string();
    result[rel] = what;
  }
  return result;
}

}  // namespace dockling::ch10::testing
