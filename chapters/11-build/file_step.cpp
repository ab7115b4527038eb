#include "file_step.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>

#include <fmt/format.h>

#include "build_context.hpp"
#include "dockling/error.hpp"
#include "dockling/fd.hpp"
#include "dockling/mount.hpp"
#include "gzip_inflate.hpp"
#include "layer_unpack.hpp"
#include "libarchive.hpp"
#include "overlay_mount.hpp"

namespace fs = std::filesystem;

namespace dockling::ch11 {

namespace {

/// Runs `body` in a child process with a private mount namespace; an Error it throws comes
/// back as this process's Error. The child's mounts go with it.
void in_mount_namespace(const std::function<void()>& body) {
  Pipe errors = make_pipe();
  pid_t pid = ::fork();
  if (pid < 0) throw_sys("fork", "a build step");
  if (pid == 0) {
    errors.read.reset();
    int code = 0;
    try {
      check(::unshare(CLONE_NEWNS), "unshare", "CLONE_NEWNS");
      check(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), "mount", "/ (private)");
      body();
    } catch (const std::exception& e) {
      std::string message = e.what();
      (void)!::write(errors.write.get(), message.data(), message.size());
      code = 1;
    }
    ::_exit(code);
  }
  errors.write.reset();
  std::string message = read_all(errors.read.get());
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!message.empty()) throw Error(message, 1);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw Error("a build step's process died", 1);
}

/// The layers mounted on scratch/NAME (with an upper directory of scratch/NAME.upper), an
/// empty directory standing in for the layers of an empty image.
Mount mount_layers(const FileStepRoot& root, std::vector<std::string> lowers, const std::string& name) {
  fs::path base = root.scratch / name;
  for (const char* dir : {"", ".upper", ".work", ".empty"}) fs::create_directories(base.string() + dir);
  if (lowers.empty()) lowers.push_back(base.string() + ".empty");
  ch10::OverlayMethod method{};
  return ch10::mount_overlay(lowers, base.string() + ".upper", base.string() + ".work", base, root.layers_dir, method);
}

/// The stage's root mounted with the step's upper directory (scratch/upper) and made this
/// process's root.
void enter_stage_root(const FileStepRoot& root) {
  Mount mounted = mount_layers(root, root.lowers, "root");
  check(::chroot(mounted.target().c_str()), "chroot", mounted.target());
  check(::chdir("/"), "chdir", "/");
  mounted.release();  // the mount namespace goes with the child
}

/// A user or group: a number, or a name looked up in the image's /etc/passwd or /etc/group.
unsigned resolve_id(const std::string& text, bool group, const char* file) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) return static_cast<unsigned>(std::stoul(text));
  if (group) {
    if (struct group* g = ::getgrnam(text.c_str())) return g->gr_gid;
  } else {
    if (struct passwd* p = ::getpwnam(text.c_str())) return p->pw_uid;
  }
  throw Error(fmt::format("unable to convert {} {} to an id: no such {} in {}", group ? "group" : "user", text,
                          group ? "group" : "user", file),
              1);
}

struct Ids {
  uid_t uid = 0;
  gid_t gid = 0;
};

/// --chown's user and group as numbers (after chroot: the image's files answer getpwnam).
Ids resolve_owner(const std::optional<Owner>& owner) {
  if (!owner) return {};
  Ids ids;
  ids.uid = resolve_id(owner->user, false, "/etc/passwd");
  if (!owner->group.empty()) {
    ids.gid = resolve_id(owner->group, true, "/etc/group");
  } else if (owner->user.find_first_not_of("0123456789") == std::string::npos) {
    ids.gid = ids.uid;  // --chown=1000 is 1000:1000
  } else {
    ids.gid = ::getpwnam(owner->user.c_str())->pw_gid;
  }
  return ids;
}

/// mkdir -p, each directory made 0755 and owned by root, or by `owner` (COPY --chown): BuildKit
/// gives the directories a COPY makes to the owner of what it copies (fsutil's MkdirAll with the
/// chowner), and leaves those that were there alone.
void make_parents(const fs::path& path, const Ids* owner = nullptr) {
  fs::path done = "/";
  for (const auto& part : path.relative_path()) {
    done /= part;
    if (::mkdir(done.c_str(), 0755) == 0) {
      if (owner) check(::lchown(done.c_str(), owner->uid, owner->gid), "chown", done.string());
    } else if (errno != EEXIST) {
      throw SysError("mkdir", done.string(), errno);
    }
    struct stat st{};
    if (::stat(done.c_str(), &st) < 0) throw SysError("stat", done.string(), errno);
    if (!S_ISDIR(st.st_mode)) throw Error(fmt::format("mkdir {}: not a directory", done.string()), 1);
  }
}

bool is_directory_path(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

void copy_bytes(int in, int out, const std::string& name) {
  while (true) {
    ssize_t n = ::sendfile(out, in, nullptr, 1 << 20);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SysError("sendfile", name, errno);
    }
    if (n == 0) break;
  }
}

/// Times to set once a directory's contents are written (writing into it changes its mtime).
struct DirTimes {
  std::string path;
  struct timespec mtime;
};

/// One entry of the source at `target`.
void copy_entry(const BuildContext& source, const ContextEntry& entry, const std::string& target, const Ids& ids,
                const std::optional<mode_t>& mode, std::vector<DirTimes>& dirs) {
  const struct stat& st = entry.st;
  mode_t permissions = mode ? *mode : (st.st_mode & 07777);
  struct timespec times[2] = {st.st_mtim, st.st_mtim};
  if (S_ISDIR(st.st_mode)) {
    if (::mkdir(target.c_str(), permissions) < 0) {
      if (errno != EEXIST || !is_directory_path(target)) throw SysError("mkdir", target, errno);
    }
    check(::lchown(target.c_str(), ids.uid, ids.gid), "chown", target);
    check(::chmod(target.c_str(), permissions), "chmod", target);
    dirs.push_back({target, st.st_mtim});
  } else if (S_ISREG(st.st_mode)) {
    UniqueFd in = source.open(entry.path);
    if (is_directory_path(target)) throw Error(fmt::format("cannot copy to {}: is a directory", target), 1);
    ::unlink(target.c_str());
    UniqueFd out = open_fd(target, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    copy_bytes(in.get(), out.get(), entry.path);
    check(::fchown(out.get(), ids.uid, ids.gid), "chown", target);
    check(::fchmod(out.get(), permissions), "chmod", target);
    check(::futimens(out.get(), times), "futimens", target);
  } else if (S_ISLNK(st.st_mode)) {
    ::unlink(target.c_str());
    check(::symlink(entry.link_target.c_str(), target.c_str()), "symlink", target);
    check(::lchown(target.c_str(), ids.uid, ids.gid), "chown", target);
    check(::utimensat(AT_FDCWD, target.c_str(), times, AT_SYMLINK_NOFOLLOW), "utimensat", target);
  } else if (S_ISFIFO(st.st_mode)) {
    ::unlink(target.c_str());
    check(::mkfifo(target.c_str(), permissions), "mkfifo", target);
    check(::lchown(target.c_str(), ids.uid, ids.gid), "chown", target);
  } else {
    throw Error(fmt::format("{}: cannot copy a device or socket", entry.path), 1);
  }
}

std::string base_name(const std::string& path) {
  std::string name = fs::path(path).filename().string();
  return name.empty() || name == "." ? std::string() : name;
}

/// ADD's rule: a local file that is a tar archive (plain, gzip, bzip2, xz, zstd) is unpacked
/// into dest.
bool unpack_if_archive(const BuildContext& source, const ContextEntry& entry, const std::string& dest) {
  if (!S_ISREG(entry.st.st_mode)) return false;
  UniqueFd in = source.open(entry.path);
  unsigned char head[512] = {};
  ssize_t n = ::pread(in.get(), head, sizeof head, 0);
  bool gzip = n >= 2 && head[0] == 0x1f && head[1] == 0x8b;
  bool zstd = n >= 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd;
  bool bzip2 = n >= 3 && std::memcmp(head, "BZh", 3) == 0;
  bool xz = n >= 6 && std::memcmp(head, "\xFD" "7zXZ\0", 6) == 0;
  bool tar = n >= 262 && std::memcmp(head + 257, "ustar", 5) == 0;
  if (!gzip && !zstd && !bzip2 && !xz && !tar) return false;
  make_parents(dest);
  UniqueFd dir = open_fd(dest, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  try {
    ch10::unpack_layer(in.get(), dir.get(), entry.path);
  } catch (const Error&) {
    if (tar) throw;
    return false;  // compressed but not a tar: copied as it is, as docker does
  }
  return true;
}

/// `request.downloads`, opened before the chroot hid the host's files: one fd each.
void copy_sources(const BuildContext& source, const CopyRequest& request, const std::vector<UniqueFd>& downloads) {
  Ids ids = resolve_owner(request.owner);
  std::vector<std::string> matches;
  for (const auto& written : request.sources) {
    auto found = source.match(written);
    matches.insert(matches.end(), found.begin(), found.end());
  }
  const std::string& dest = request.dest;
  // BuildKit's rule: several sources as written need a destination that ends in '/', even one
  // that is a directory already; one pattern matching several files copies them into it.
  if (request.several_sources && dest.back() != '/')
    throw Error("When using COPY with more than one source file, the destination must be a directory and end with a /",
                1);
  bool dest_is_dir =
      dest.back() == '/' || is_directory_path(dest) || matches.size() + request.heredocs.size() + downloads.size() > 1;
  std::vector<DirTimes> dirs;
  for (const auto& match : matches) {
    bool top_is_dir = false;
    source.walk(match, [&](const ContextEntry& entry) {
      std::string below;  // the entry's path below the match ("" for the match itself)
      if (match == ".")
        below = entry.path == "." ? "" : entry.path;
      else if (entry.path.size() > match.size())
        below = entry.path.substr(match.size() + 1);
      if (below.empty() && S_ISDIR(entry.st.st_mode)) {  // a directory's contents, not itself
        top_is_dir = true;
        make_parents(dest, &ids);
        return;
      }
      std::string target;
      if (top_is_dir) {
        target = (fs::path(dest) / below).string();
      } else {
        if (request.extract_archives && unpack_if_archive(source, entry, dest)) return;
        target = dest_is_dir ? (fs::path(dest) / base_name(entry.path)).string() : dest;
        make_parents(fs::path(target).parent_path(), &ids);
      }
      copy_entry(source, entry, target, ids, request.mode, dirs);
    });
  }
  for (const auto& [name, content] : request.heredocs) {
    std::string target = dest_is_dir ? (fs::path(dest) / name).string() : dest;
    make_parents(fs::path(target).parent_path(), &ids);
    UniqueFd out = open_fd(target, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    write_all(out.get(), content);
    check(::fchown(out.get(), ids.uid, ids.gid), "chown", target);
    if (request.mode) check(::fchmod(out.get(), *request.mode), "chmod", target);
  }
  // A download is a file as it came, never unpacked (docker: only local archives are).
  for (size_t i = 0; i < downloads.size(); ++i) {
    const Download& download = request.downloads[i];
    std::string target = dest_is_dir ? (fs::path(dest) / download.name).string() : dest;
    make_parents(fs::path(target).parent_path());
    if (is_directory_path(target)) throw Error(fmt::format("cannot copy to {}: is a directory", target), 1);
    ::unlink(target.c_str());
    UniqueFd out = open_fd(target, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    copy_bytes(downloads[i].get(), out.get(), download.path);
    check(::fchown(out.get(), ids.uid, ids.gid), "chown", target);
    check(::fchmod(out.get(), request.mode ? *request.mode : 0600), "chmod", target);
    if (download.mtime) {
      struct timespec times[2] = {{*download.mtime, 0}, {*download.mtime, 0}};
      check(::futimens(out.get(), times), "futimens", target);
    }
  }
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) {
    struct timespec times[2] = {it->mtime, it->mtime};
    ::utimensat(AT_FDCWD, it->path.c_str(), times, AT_SYMLINK_NOFOLLOW);
  }
}

}  // namespace

void copy_into(const FileStepRoot& root, const CopyRequest& request) {
  in_mount_namespace([&] {
    std::optional<BuildContext> stage_source;
    std::optional<Mount> from;
    if (request.context == nullptr) {  // --from: that root, mounted before we leave the host's view
      from.emplace(mount_layers(root, request.from_lowers, "from"));
      stage_source.emplace(root.scratch / "from", IgnoreRules{});
    }
    // ADD's unpacking loads libarchive (and libisal for gzip) on first use: load them here, while
    // the host's libraries are in view, not in the stage root (no libarchive.so.13 in busybox).
    if (request.extract_archives) {
      ch10::libarchive();
      ch10::gzip_inflater_available();
    }
    std::vector<UniqueFd> downloads;
    for (const auto& download : request.downloads) downloads.push_back(open_fd(download.path, O_RDONLY | O_CLOEXEC));
    enter_stage_root(root);
    copy_sources(request.context ? *request.context : *stage_source, request, downloads);
  });
}

void make_directory_in(const FileStepRoot& root, const std::string& path, const std::optional<Owner>& owner) {
  in_mount_namespace([&] {
    enter_stage_root(root);
    Ids ids = resolve_owner(owner);
    make_parents(path, owner ? &ids : nullptr);
  });
}

bool is_empty_directory(const fs::path& dir) {
  std::error_code error;
  return fs::is_empty(dir, error) || error;
}

}  // namespace dockling::ch11
