// Fuzz target: unpack_layer() on arbitrary bytes (a tar, gzip, zstd or garbage).
//
// Each input is unpacked into ROOT/layer of a fresh tree under $DOCKLING_FUZZ_TMP (default
// /tmp), beside ROOT/outside/sentinel. A refused or damaged layer (dockling::Error) is a
// fine answer; a sanitizer report, an uncaught exception, a hang, or any change outside
// ROOT/layer is a finding: the target abort()s, and libFuzzer keeps the input.
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>

#include "dockling/error.hpp"
#include "layer_unpack.hpp"

namespace {

constexpr char kSentinel[] = "outside the layer: nothing may change me\n";

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz_images_unpack: %s\n", what.c_str());
  std::abort();
}

[[noreturn]] void fail_sys(const std::string& call, const std::string& arg) {
  fail(call + "(" + arg + "): " + std::strerror(errno));
}

/// The names in directory `fd` (its own fd is not consumed).
std::set<std::string> entries(int fd, const std::string& shown) {
  int dup = ::openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dup < 0) fail_sys("openat", shown);
  DIR* dir = ::fdopendir(dup);
  if (dir == nullptr) fail_sys("fdopendir", shown);
  std::set<std::string> names;
  while (dirent* ent = ::readdir(dir)) {
    std::string name = ent->d_name;
    if (name != "." && name != "..") names.insert(name);
  }
  ::closedir(dir);
  return names;
}

/// Removes `name` below `parent` whatever the unpack made of it: no link is followed, no
/// device opened, and a directory left without permissions (mode 0000) is opened up first.
void remove_tree(int parent, const std::string& name, const std::string& shown) {
  struct stat st;
  if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) fail_sys("fstatat", shown);
  if (!S_ISDIR(st.st_mode)) {
    if (::unlinkat(parent, name.c_str(), 0) != 0) fail_sys("unlinkat", shown);
    return;
  }
  if ((st.st_mode & 0700) != 0700 && ::fchmodat(parent, name.c_str(), 0700, 0) != 0) fail_sys("fchmodat", shown);
  int fd = ::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) fail_sys("openat", shown);
  for (const auto& child : entries(fd, shown)) remove_tree(fd, child, shown + "/" + child);
  ::close(fd);
  if (::unlinkat(parent, name.c_str(), AT_REMOVEDIR) != 0) fail_sys("unlinkat", shown);
}

/// ROOT/outside/sentinel as it was made: same inode, mode, size, bytes, no attributes.
void check_outside(int root_fd, const std::string& root, ino_t sentinel_ino) {
  const std::set<std::string> expected{"layer", "outside"};
  if (entries(root_fd, root) != expected) fail("an entry appeared or vanished in " + root);
  int outside = ::openat(root_fd, "outside", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (outside < 0) fail_sys("openat", root + "/outside (replaced?)");
  if (entries(outside, root + "/outside") != std::set<std::string>{"sentinel"})
    fail("an entry appeared or vanished in " + root + "/outside");
  struct stat st;
  if (::fstatat(outside, "sentinel", &st, AT_SYMLINK_NOFOLLOW) != 0) fail_sys("fstatat", root + "/outside/sentinel");
  if (!S_ISREG(st.st_mode) || st.st_ino != sentinel_ino || (st.st_mode & 07777) != 0644 || st.st_nlink != 1 ||
      st.st_size != static_cast<off_t>(sizeof kSentinel - 1))
    fail(root + "/outside/sentinel was replaced, linked, chmod'ed or resized");
  int file = ::openat(outside, "sentinel", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (file < 0) fail_sys("openat", root + "/outside/sentinel");
  char buffer[sizeof kSentinel] = {};
  if (::read(file, buffer, sizeof buffer) != static_cast<ssize_t>(sizeof kSentinel - 1) ||
      std::memcmp(buffer, kSentinel, sizeof kSentinel - 1) != 0)
    fail(root + "/outside/sentinel was written to");
  if (::flistxattr(file, nullptr, 0) > 0 || ::flistxattr(outside, nullptr, 0) > 0)
    fail("an extended attribute appeared outside the layer in " + root);
  ::close(file);
  ::close(outside);
}

/// Rewrites the checksum of each header of an uncompressed tar, walking from header to header
/// by the sizes they give. libarchive (not instrumented) drops a header whose checksum is
/// wrong, and nearly every mutation of a header makes it wrong: without this, the fuzzer would
/// seldom get past the first entry.
void fix_tar_checksums(std::uint8_t* data, std::size_t size) {
  std::size_t offset = 0;
  while (offset + 512 <= size) {
    std::uint8_t* header = data + offset;
    std::uint64_t entry_size = 0;
    if (header[124] & 0x80) {  // base-256 (GNU): big-endian in the rest of the field
      for (int i = 125; i < 136; ++i) entry_size = (entry_size << 8) | header[i];
    } else {
      for (int i = 124; i < 136 && header[i] >= '0' && header[i] <= '7'; ++i) entry_size = entry_size * 8 + (header[i] - '0');
    }
    unsigned sum = 0;
    for (int i = 0; i < 512; ++i) sum += (i >= 148 && i < 156) ? ' ' : header[i];
    if (sum != 8 * ' ') {  // not a zero block (the end of the archive)
      std::snprintf(reinterpret_cast<char*>(header) + 148, 8, "%06o", sum & 0777777);  // 6 digits, NUL
      header[155] = ' ';
    }
    if (entry_size > size) break;
    offset += 512 + (entry_size + 511) / 512 * 512;
  }
}

}  // namespace

/// libFuzzer's own mutation, then valid tar checksums (most of the time: a wrong one must be
/// refused too). Compressed inputs are left as they are.
extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t max_size);
extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size, std::size_t max_size,
                                               unsigned int seed) {
  size = LLVMFuzzerMutate(data, size, max_size);
  bool compressed = size >= 2 && ((data[0] == 0x1f && data[1] == 0x8b) || (data[0] == 0x28 && data[1] == 0xb5));
  if (!compressed && seed % 8 != 0) fix_tar_checksums(data, size);
  return size;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The layer as a file in memory: unpack_layer() reads an fd.
  int in = ::memfd_create("layer", MFD_CLOEXEC);
  if (in < 0) fail_sys("memfd_create", "layer");
  for (std::size_t done = 0; done < size;) {
    ssize_t n = ::write(in, data + done, size - done);
    if (n < 0) fail_sys("write", "memfd");
    done += static_cast<std::size_t>(n);
  }
  if (::lseek(in, 0, SEEK_SET) != 0) fail_sys("lseek", "memfd");

  // A fresh ROOT/layer and ROOT/outside/sentinel; no fsync: nothing here must survive a crash.
  const char* base = std::getenv("DOCKLING_FUZZ_TMP");
  std::string root = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/dockling-fuzz.XXXXXX";
  if (::mkdtemp(root.data()) == nullptr) fail_sys("mkdtemp", root);
  int root_fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (root_fd < 0) fail_sys("open", root);
  if (::mkdirat(root_fd, "layer", 0755) != 0) fail_sys("mkdirat", root + "/layer");
  if (::mkdirat(root_fd, "outside", 0755) != 0) fail_sys("mkdirat", root + "/outside");
  int sentinel = ::openat(root_fd, "outside/sentinel", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (sentinel < 0) fail_sys("openat", root + "/outside/sentinel");
  if (::write(sentinel, kSentinel, sizeof kSentinel - 1) != static_cast<ssize_t>(sizeof kSentinel - 1))
    fail_sys("write", root + "/outside/sentinel");
  if (::fchmod(sentinel, 0644) != 0) fail_sys("fchmod", root + "/outside/sentinel");  // despite the umask
  struct stat st;
  if (::fstat(sentinel, &st) != 0) fail_sys("fstat", root + "/outside/sentinel");
  ::close(sentinel);

  int layer = ::openat(root_fd, "layer", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (layer < 0) fail_sys("openat", root + "/layer");
  // DOCKLING_FUZZ_VERBOSE=1: say what unpack_layer() made of each input (to replay one).
  static const bool verbose = std::getenv("DOCKLING_FUZZ_VERBOSE") != nullptr;
  try {
    auto unpacked = dockling::ch10::unpack_layer(in, layer, "fuzz");
    if (verbose) {
      std::fprintf(stderr, "unpacked: %s, %llu bytes:", unpacked.diff_id.c_str(),
                   static_cast<unsigned long long>(unpacked.size));
      for (const auto& name : entries(layer, root + "/layer")) std::fprintf(stderr, " %s", name.c_str());
      std::fprintf(stderr, "\n");
    }
  } catch (const dockling::Error& e) {
    // A refused entry or a damaged stream: what the layer deserved. Other exceptions escape
    // to libFuzzer, which reports them as a crash.
    if (verbose) std::fprintf(stderr, "refused: %s\n", e.what());
  }
  ::close(layer);
  ::close(in);

  check_outside(root_fd, root, st.st_ino);
  ::close(root_fd);
  remove_tree(AT_FDCWD, root, root);
  return 0;
}
