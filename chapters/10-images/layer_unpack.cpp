#include "layer_unpack.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "digest.hpp"
#include "dockling/error.hpp"
#include "dockling/fd.hpp"
#include "gzip_inflate.hpp"
#include "images.hpp"
#include "libarchive.hpp"

namespace dockling::ch10 {

namespace {

constexpr size_t kReadSize = 64 * 1024;
/// Overlay's own attributes are never taken from a tarball: a lower layer's
/// trusted.overlay.redirect or .metacopy (user.overlay.* with userxattr) would steer the
/// mount (only the opaque marker, from `.wh..wh..opq`, sets one).
constexpr std::string_view kOverlayXattrPrefix = "trusted.overlay.";
constexpr std::string_view kUserOverlayXattrPrefix = "user.overlay.";
/// Attributes only the host's root may set: skipped in a rootless unpack.
constexpr std::string_view kTrustedXattrPrefix = "trusted.";

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

using ArchivePtr = std::unique_ptr<archive, int (*)(archive*)>;

/// The layer as read from its fd, with the first bytes (taken to recognise gzip) handed out
/// again first: libarchive's raw reader reads through it.
struct Input {
  int fd = -1;
  std::string head;
  bool head_given = false;
  std::string error;  ///< why a read failed
  char buffer[kReadSize];
};

la_ssize_t read_input(archive* /*raw*/, void* data, const void** buffer) {
  auto* input = static_cast<Input*>(data);
  if (!input->head_given) {
    input->head_given = true;
    if (!input->head.empty()) {
      *buffer = input->head.data();
      return static_cast<la_ssize_t>(input->head.size());
    }
  }
  ssize_t n;
  do n = ::read(input->fd, input->buffer, sizeof input->buffer);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    input->error = fmt::format("read: {}", std::strerror(errno));
    return -1;
  }
  *buffer = input->buffer;
  return n;
}

/// Up to kReadSize first bytes of `fd` (at least 2 unless the stream is shorter).
std::string read_head(int fd) {
  std::string head(kReadSize, '\0');
  size_t size = 0;
  while (size < 2) {
    ssize_t n = ::read(fd, head.data() + size, head.size() - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_sys("read", "layer");
    if (n == 0) break;
    size += static_cast<size_t>(n);
  }
  head.resize(size);
  return head;
}

/// Where the tar reader gets its bytes: the uncompressed stream, hashed as it goes by. A gzip
/// layer comes from a GzipInflater (ISA-L, in a thread of its own, which hashes too) when
/// libisal is installed; every other layer from libarchive's raw reader (its gzip or zstd
/// filter, or none), hashed here.
struct Stream {
  archive* raw = nullptr;
  std::unique_ptr<GzipInflater> gzip;
  Sha256 hash;
  std::string error;  ///< the decompressor's message when it failed
  char buffer[kReadSize];

  std::string diff_id() { return gzip ? gzip->diff_id() : hash.digest(); }
};

la_ssize_t read_stream(archive* /*tar*/, void* data, const void** buffer) {
  auto* stream = static_cast<Stream*>(data);
  if (stream->gzip) {
    ssize_t n = stream->gzip->read(buffer);
    if (n < 0) stream->error = stream->gzip->error();
    return n;
  }
  la_ssize_t n = libarchive().read_data(stream->raw, stream->buffer, sizeof stream->buffer);
  if (n < 0) {
    const char* message = libarchive().error_string(stream->raw);
    stream->error = message != nullptr ? message : "read error";
    return -1;
  }
  stream->hash.update(stream->buffer, static_cast<size_t>(n));
  *buffer = stream->buffer;
  return n;
}

std::pair<std::string, std::string> split_path(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return {"", path};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

/// Opens the directory `path` ("" for the root) below `root_fd`, one component at a time,
/// never following a symbolic link; creates missing components (0755) when `create`.
/// Returns no fd, with `problem` set, when a component is a symbolic link or no directory.
UniqueFd open_dir_below(int root_fd, const std::string& path, bool create, std::string& problem) {
  UniqueFd current(check(::fcntl(root_fd, F_DUPFD_CLOEXEC, 3), "fcntl", "F_DUPFD_CLOEXEC"));
  std::string walked;
  size_t start = 0;
  while (start < path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(start, end - start);
    start = end + 1;
    walked += (walked.empty() ? "" : "/") + part;
    struct stat st;
    if (::fstatat(current.get(), part.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT) throw_sys("fstatat", walked);
      if (!create) {
        problem = fmt::format("{} does not exist in this layer", walked);
        return {};
      }
      if (::mkdirat(current.get(), part.c_str(), 0755) != 0 && errno != EEXIST) throw_sys("mkdirat", walked);
    } else if (S_ISLNK(st.st_mode)) {
      problem = fmt::format("goes through the symbolic link {}", walked);
      return {};
    } else if (!S_ISDIR(st.st_mode)) {
      problem = fmt::format("{} is not a directory", walked);
      return {};
    }
    int fd = ::openat(current.get(), part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ELOOP || errno == ENOTDIR) {
        problem = fmt::format("goes through the symbolic link {}", walked);
        return {};
      }
      throw_sys("openat", walked);
    }
    current.reset(fd);
  }
  return current;
}

/// Removes `name` in `dir_fd` and, for a directory, everything below it; never follows links.
void remove_at(int dir_fd, const std::string& name, const std::string& shown) {
  struct stat st;
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return;
    throw_sys("fstatat", shown);
  }
  if (S_ISDIR(st.st_mode)) {
    int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) throw_sys("openat", shown);
    DIR* dir = ::fdopendir(fd);
    if (dir == nullptr) {
      ::close(fd);
      throw_sys("fdopendir", shown);
    }
    std::vector<std::string> names;
    while (dirent* ent = ::readdir(dir)) {
      std::string child = ent->d_name;
      if (child != "." && child != "..") names.push_back(child);
    }
    try {
      for (const auto& child : names) remove_at(::dirfd(dir), child, shown + "/" + child);
    } catch (...) {
      ::closedir(dir);
      throw;
    }
    ::closedir(dir);
    check(::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR), "unlinkat", shown);
  } else {
    check(::unlinkat(dir_fd, name.c_str(), 0), "unlinkat", shown);
  }
}

void write_all_at(int fd, const void* data, size_t size, off_t offset, const std::string& shown) {
  const char* bytes = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::pwrite(fd, bytes, size, offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_sys("pwrite", shown);
    }
    bytes += n;
    size -= static_cast<size_t>(n);
    offset += n;
  }
}

struct Times {
  timespec times[2];
};

Times times_of(archive_entry* entry) {
  Times t;
  t.times[1] = {libarchive().entry_mtime(entry), libarchive().entry_mtime_nsec(entry)};
  t.times[0] = libarchive().entry_atime_is_set(entry) != 0
                   ? timespec{libarchive().entry_atime(entry), libarchive().entry_atime_nsec(entry)}
                   : t.times[1];
  return t;
}

class Unpacker {
 public:
  Unpacker(int root_fd, const std::string& what, LayerForm form) : root_fd_(root_fd), what_(what), form_(form) {}

  UnpackedLayer run(int in_fd) {
    ArchivePtr raw(nullptr, libarchive().read_free);
    ArchivePtr tar(libarchive().read_new(), libarchive().read_free);
    if (!tar) throw Error("archive_read_new: out of memory");
    libarchive().read_support_format_tar(tar.get());

    auto input = std::make_unique<Input>();
    input->fd = in_fd;
    input->head = read_head(in_fd);
    auto stream = std::make_unique<Stream>();
    archive_entry* entry = nullptr;
    int rc;
    bool gzip = input->head.size() >= 2 && static_cast<unsigned char>(input->head[0]) == 0x1f &&
                static_cast<unsigned char>(input->head[1]) == 0x8b;
    if (gzip && gzip_inflater_available()) {
      stream->gzip = std::make_unique<GzipInflater>(in_fd, std::move(input->head));
    } else {
      raw.reset(libarchive().read_new());
      if (!raw) throw Error("archive_read_new: out of memory");
      libarchive().read_support_filter_gzip(raw.get());
      libarchive().read_support_filter_zstd(raw.get());
      libarchive().read_support_filter_bzip2(raw.get());  // not OCI's, but docker unpacks them
      libarchive().read_support_filter_xz(raw.get());
      libarchive().read_support_format_raw(raw.get());
      stream->raw = raw.get();
      if (libarchive().read_open(raw.get(), input.get(), nullptr, read_input, nullptr) != ARCHIVE_OK)
        damaged(raw.get(), input->error);
      rc = libarchive().read_next_header(raw.get(), &entry);
      if (rc == ARCHIVE_EOF) throw Error(fmt::format("{}: empty", what_), 1);
      if (rc < ARCHIVE_WARN) damaged(raw.get(), input->error);
    }
    if (libarchive().read_open(tar.get(), stream.get(), nullptr, read_stream, nullptr) != ARCHIVE_OK)
      damaged(tar.get(), stream->error);

    while (true) {
      rc = libarchive().read_next_header(tar.get(), &entry);
      if (rc == ARCHIVE_EOF) break;
      if (rc < ARCHIVE_WARN) damaged(tar.get(), stream->error);
      apply(tar.get(), entry);
    }
    // The diff id covers the whole stream, with what follows the tar's end-of-archive blocks.
    const void* ignored = nullptr;
    la_ssize_t n;
    while ((n = read_stream(nullptr, stream.get(), &ignored)) > 0) {
    }
    if (n < 0) damaged(raw.get(), stream->error);

    // Directories last: every entry created inside one changed its mtime.
    for (auto it = directories_.rbegin(); it != directories_.rend(); ++it) {
      std::string problem;
      UniqueFd dir = open_dir_below(root_fd_, it->first, false, problem);
      if (dir) ::futimens(dir.get(), it->second.times);
    }
    return {stream->diff_id(), size_};
  }

 private:
  [[noreturn]] void damaged(archive* a, const std::string& cause) const {
    const char* reported = a != nullptr ? libarchive().error_string(a) : nullptr;
    std::string message = !cause.empty() ? cause : reported != nullptr ? reported : "read error";
    throw Error(fmt::format("{}: {}", what_, message), 1);
  }

  [[noreturn]] void refuse(const std::string& name, const std::string& reason) const {
    throw Error(fmt::format("{}: entry \"{}\": {}", what_, name, reason), 1);
  }

  /// Checks the result `rc` of chown `call` on `path`: in a user namespace an owner it does
  /// not map fails with EINVAL, refused in words that say which ids are missing.
  void owned(int rc, const char* call, const std::string& name, const std::string& path, uid_t uid, gid_t gid) const {
    if (rc == 0) return;
    if (errno == EINVAL && form_ == LayerForm::rootless)
      refuse(name, fmt::format("owned by {}:{}, an id this user's namespace does not map (it maps the user's own id "
                               "as 0 and the ranges of /etc/subuid and /etc/subgid from 1)",
                               uid, gid));
    throw_sys(call, path);
  }

  /// The directory an entry is created in (or a whiteout removes from), walked as
  /// open_dir_below() does; the fd stays owned here. The last one is kept for the next entry:
  /// a layer lists a directory's files one after another, and walking every component again
  /// for each is most of the system calls of a layer of small files. Keeping it is safe: an
  /// entry only ever changes the name `base` inside its own parent, so no directory above or
  /// at the kept path changes between two entries with that same parent (any other path is
  /// walked afresh, and becomes the kept one).
  int parent_of(const std::string& name, const std::string& parent_path, const std::string& prefix) {
    if (last_parent_ && last_parent_path_ == parent_path) return last_parent_.get();
    last_parent_.reset();
    std::string problem;
    UniqueFd parent = open_dir_below(root_fd_, parent_path, true, problem);
    if (!parent) refuse(name, prefix + problem);
    last_parent_ = std::move(parent);
    last_parent_path_ = parent_path;
    return last_parent_.get();
  }

  void set_xattrs(int fd, archive_entry* entry, const std::string& shown) {
    libarchive().entry_xattr_reset(entry);
    const char* key = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    while (libarchive().entry_xattr_next(entry, &key, &value, &size) == ARCHIVE_OK) {
      if (starts_with(key, kOverlayXattrPrefix) || starts_with(key, kUserOverlayXattrPrefix)) continue;
      if (form_ == LayerForm::rootless && starts_with(key, kTrustedXattrPrefix)) continue;
      if (::fsetxattr(fd, key, value, size, 0) != 0 && errno != ENOTSUP)
        throw SysError("fsetxattr", fmt::format("{}, {}", shown, key), errno);
    }
  }

  void apply(archive* tar, archive_entry* entry) {
    const char* raw_name = libarchive().entry_pathname(entry);
    std::string name = raw_name != nullptr ? raw_name : "";
    EntryDecision decision = decide_entry(name);
    switch (decision.kind) {
      case EntryKind::ignored:
        return;
      case EntryKind::refused:
        refuse(name, decision.reason);
      case EntryKind::opaque: {
        std::string problem;
        UniqueFd dir = open_dir_below(root_fd_, decision.path, true, problem);
        if (!dir) refuse(name, "an opaque marker that " + problem);
        const char* opaque = form_ == LayerForm::rootless ? "user.overlay.opaque" : "trusted.overlay.opaque";
        check(::fsetxattr(dir.get(), opaque, "y", 1, 0), "fsetxattr",
              fmt::format("{}, {}", decision.path.empty() ? "/" : decision.path, opaque));
        return;
      }
      case EntryKind::whiteout: {
        auto [parent_path, base] = split_path(decision.path);
        int parent = parent_of(name, parent_path, "a whiteout that ");
        remove_at(parent, base, decision.path);
        check(::mknodat(parent, base.c_str(), S_IFCHR, ::makedev(0, 0)), "mknodat", decision.path);
        return;
      }
      case EntryKind::regular:
        create(tar, entry, name, decision.path);
        return;
    }
  }

  void create(archive* tar, archive_entry* entry, const std::string& name, const std::string& path) {
    auto [parent_path, base] = split_path(path);
    int dir = parent_of(name, parent_path, "");
    const char* c_base = base.c_str();
    uid_t uid = static_cast<uid_t>(libarchive().entry_uid(entry));
    gid_t gid = static_cast<gid_t>(libarchive().entry_gid(entry));
    mode_t perm = libarchive().entry_perm(entry) & 07777;
    Times times = times_of(entry);

    if (const char* hardlink = libarchive().entry_hardlink(entry)) {
      link(name, path, hardlink, dir, base);
      return;
    }
    mode_t type = libarchive().entry_filetype(entry);
    struct stat existing;
    bool exists = ::fstatat(dir, c_base, &existing, AT_SYMLINK_NOFOLLOW) == 0;
    bool keep_directory = exists && S_ISDIR(existing.st_mode) && type == AE_IFDIR;
    if (exists && S_ISDIR(existing.st_mode) && type == AE_IFLNK)
      refuse(name, fmt::format("replaces the directory {} with a symbolic link", path));
    if (exists && !keep_directory) remove_at(dir, base, path);

    switch (type) {
      case AE_IFREG: {
        UniqueFd file(::openat(dir, c_base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!file) throw_sys("openat", path);
        const void* block = nullptr;
        size_t size = 0;
        la_int64_t offset = 0;
        int rc;
        while ((rc = libarchive().read_data_block(tar, &block, &size, &offset)) == ARCHIVE_OK)
          write_all_at(file.get(), block, size, offset, path);
        if (rc != ARCHIVE_EOF) damaged(tar, "");
        check(::ftruncate(file.get(), libarchive().entry_size(entry)), "ftruncate", path);
        owned(::fchown(file.get(), uid, gid), "fchown", name, path, uid, gid);
        check(::fchmod(file.get(), perm), "fchmod", path);
        set_xattrs(file.get(), entry, path);
        check(::futimens(file.get(), times.times), "futimens", path);
        size_ += static_cast<std::uint64_t>(libarchive().entry_size(entry));
        return;
      }
      case AE_IFDIR: {
        if (!keep_directory) check(::mkdirat(dir, c_base, 0700), "mkdirat", path);
        UniqueFd sub(::openat(dir, c_base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!sub) throw_sys("openat", path);
        owned(::fchown(sub.get(), uid, gid), "fchown", name, path, uid, gid);
        check(::fchmod(sub.get(), perm), "fchmod", path);
        set_xattrs(sub.get(), entry, path);
        directories_.emplace_back(path, times);
        return;
      }
      case AE_IFLNK: {
        const char* target_c = libarchive().entry_symlink(entry);
        std::string target = target_c != nullptr ? target_c : "";
        if (!target.empty() && target.front() != '/' &&
            decide_entry(parent_path + "/" + target).kind == EntryKind::refused)
          refuse(name, fmt::format("symbolic link to \"{}\" climbs out of the layer", target));
        check(::symlinkat(target.c_str(), dir, c_base), "symlinkat", path);
        owned(::fchownat(dir, c_base, uid, gid, AT_SYMLINK_NOFOLLOW), "fchownat", name, path, uid, gid);
        check(::utimensat(dir, c_base, times.times, AT_SYMLINK_NOFOLLOW), "utimensat", path);
        return;
      }
      case AE_IFCHR:
      case AE_IFBLK:
      case AE_IFIFO: {
        if (type != AE_IFIFO && form_ == LayerForm::rootless)
          refuse(name, fmt::format("a device node ({} {}:{}): a rootless store cannot hold one (only the host's root "
                                   "may make devices); import it as root, or leave it out of the tarball",
                                   type == AE_IFCHR ? "character" : "block", major(libarchive().entry_rdev(entry)),
                                   minor(libarchive().entry_rdev(entry))));
        check(::mknodat(dir, c_base, type | perm, libarchive().entry_rdev(entry)), "mknodat", path);
        owned(::fchownat(dir, c_base, uid, gid, AT_SYMLINK_NOFOLLOW), "fchownat", name, path, uid, gid);
        check(::fchmodat(dir, c_base, perm, 0), "fchmodat", path);
        check(::utimensat(dir, c_base, times.times, AT_SYMLINK_NOFOLLOW), "utimensat", path);
        return;
      }
      default:
        return;  // sockets: nothing to unpack (as tar and docker)
    }
  }

  void link(const std::string& name, const std::string& path, const std::string& hardlink, int dir,
            const std::string& base) {
    EntryDecision target = decide_entry(hardlink);
    if (target.kind == EntryKind::refused)
      refuse(name, fmt::format("hard link to \"{}\" {}", hardlink, target.reason));
    if (target.kind != EntryKind::regular)
      refuse(name, fmt::format("hard link to \"{}\", which is no file of this layer", hardlink));
    if (target.path == path) return;
    auto [target_parent_path, target_base] = split_path(target.path);
    std::string problem;
    UniqueFd target_parent = open_dir_below(root_fd_, target_parent_path, false, problem);
    if (!target_parent) refuse(name, fmt::format("hard link to \"{}\" {}", hardlink, problem));
    struct stat st;
    if (::fstatat(target_parent.get(), target_base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      refuse(name, fmt::format("hard link to \"{}\", which this layer does not hold", hardlink));
    if (S_ISDIR(st.st_mode)) refuse(name, fmt::format("hard link to the directory \"{}\"", hardlink));
    remove_at(dir, base, path);
    check(::linkat(target_parent.get(), target_base.c_str(), dir, base.c_str(), 0), "linkat", path);
  }

  int root_fd_;
  std::string what_;
  LayerForm form_;
  std::uint64_t size_ = 0;
  std::vector<std::pair<std::string, Times>> directories_;
  UniqueFd last_parent_;          ///< the directory of the last entry (parent_of)
  std::string last_parent_path_;  ///< its path below the root
};

}  // namespace

UnpackedLayer unpack_layer(int in_fd, int dir_fd, const std::string& what, LayerForm form) {
  return Unpacker(dir_fd, what, form).run(in_fd);
}

std::string layer_media_type(const unsigned char* head, std::size_t size) {
  auto starts = [&](std::initializer_list<unsigned char> magic) {
    return size >= magic.size() && std::equal(magic.begin(), magic.end(), head);
  };
  if (starts({0x1f, 0x8b})) return "application/vnd.oci.image.layer.v1.tar+gzip";
  if (starts({0x28, 0xb5, 0x2f, 0xfd})) return "application/vnd.oci.image.layer.v1.tar+zstd";
  if (starts({'B', 'Z', 'h'})) throw Error("bzip2-compressed layers have no OCI media type: decompress it first", 1);
  if (starts({0xfd, '7', 'z', 'X', 'Z', 0x00})) throw Error("xz-compressed layers have no OCI media type: decompress it first", 1);
  return "application/vnd.oci.image.layer.v1.tar";
}

}  // namespace dockling::ch10
