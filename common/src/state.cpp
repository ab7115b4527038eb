#include "dockling/state.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <sstream>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "dockling/fs.hpp"

namespace dockling {

namespace fs = std::filesystem;

namespace {

/// The fields of /proc/PID/stat after the command name (which may hold spaces and ')'):
/// field 3 (the state letter) first. Empty when there is no such process.
std::string stat_fields(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", pid);
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  UniqueFd owner(fd);
  char buffer[1024];
  ssize_t n = ::read(fd, buffer, sizeof buffer - 1);
  if (n <= 0) return {};
  std::string text(buffer, static_cast<size_t>(n));
  size_t paren = text.rfind(')');
  return paren == std::string::npos || paren + 2 > text.size() ? std::string() : text.substr(paren + 2);
}

/// Field `number` (3 = state, 22 = start time) of stat_fields' text.
std::string stat_field(const std::string& fields, int number) {
  std::istringstream words(fields);
  std::string word;
  for (int i = 3; i <= number && words >> word; ++i)
    if (i == number) return word;
  return {};
}

/// A short stable name for a root's run directory: FNV-1a of its path, in hex.
std::string path_hash(const std::string& path) {
  std::uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : path) hash = (hash ^ c) * 1099511628211ull;
  return fmt::format("{:016x}", hash);
}

}  // namespace

ProcessIdentity ProcessIdentity::of(pid_t pid) {
  std::string start = pid > 0 ? stat_field(stat_fields(pid), 22) : std::string();
  return {pid, start.empty() ? 0 : std::stoull(start)};
}

ProcessIdentity ProcessIdentity::self() { return of(::getpid()); }

bool ProcessIdentity::alive() const {
  if (pid <= 0) return false;
  std::string fields = stat_fields(pid);
  if (fields.empty()) return false;
  std::string state = stat_field(fields, 3), start = stat_field(fields, 22);
  return state != "Z" && state != "X" && !start.empty() && std::stoull(start) == start_time;
}

UniqueFd lock_file(const fs::path& path) {
  UniqueFd fd = open_fd(path.string(), O_RDWR | O_CREAT, 0600);
  while (::flock(fd.get(), LOCK_EX) < 0)
    if (errno != EINTR) throw_sys("flock", path.string());
  return fd;
}

void write_file_atomically(const fs::path& path, const std::string& data) {
  fs::path temporary = path.parent_path() / ("." + path.filename().string() + ".new");
  write_file(temporary.string(), data);
  check(::rename(temporary.c_str(), path.c_str()), "rename", path.string());
}

void write_file_durably(const fs::path& path, const std::string& data) {
  fs::path temporary = path.parent_path() / ("." + path.filename().string() + ".new");
  {
    UniqueFd fd = open_fd(temporary.string(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    try {
      write_all(fd.get(), data);
    } catch (const SysError& e) {
      ::unlink(temporary.c_str());
      throw SysError(e.call(), temporary.string(), e.error_number());
    }
    if (::fsync(fd.get()) != 0) {
      int error = errno;
      ::unlink(temporary.c_str());
      throw SysError("fsync", temporary.string(), error);
    }
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    int error = errno;
    ::unlink(temporary.c_str());
    throw SysError("rename", path.string(), error);
  }
  fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  UniqueFd dir_fd = open_fd(dir.string(), O_RDONLY | O_DIRECTORY);
  check(::fsync(dir_fd.get()), "fsync", dir.string());
}

fs::path StateRoot::default_dir() {
  if (::geteuid() == 0) return "/var/lib/dockling";
  const char* runtime_dir = std::getenv("XDG_RUNTIME_DIR");
  if (runtime_dir != nullptr && *runtime_dir != '\0') return fs::path(runtime_dir) / "dockling";
  return fmt::format("/tmp/dockling-{}", ::geteuid());
}

fs::path StateRoot::host_run_dir() {
  if (::geteuid() == 0) return "/run/dockling";
  const char* runtime_dir = std::getenv("XDG_RUNTIME_DIR");
  if (runtime_dir != nullptr && *runtime_dir != '\0') return fs::path(runtime_dir) / "dockling-run";
  return fmt::format("/tmp/dockling-run-{}", ::geteuid());
}

StateRoot::StateRoot(const fs::path& dir) : dir_(fs::absolute(dir).lexically_normal()) {
  if (dir_.has_filename() == false && dir_ != dir_.root_path()) dir_ = dir_.parent_path();  // no trailing '/'
  run_dir_ = dir_ == default_dir() ? host_run_dir() : host_run_dir() / "roots" / path_hash(dir_.string());
}

void StateRoot::tidy_run_dir() const noexcept {
  // rmdir(2) refuses a directory that is not empty: another container keeps them. The
  // host's run directory and its roots/ stay: other roots use them.
  ::rmdir(containers_run_dir().c_str());
  if (run_dir_ != host_run_dir()) ::rmdir(run_dir_.c_str());
}

}  // namespace dockling
