/// @file state.hpp
/// @brief Where dockling keeps its state, and the small tools every record needs: a process
/// identity that a reused pid cannot fake, a lock, an atomic write.
///
///     ROOT (--root, DOCKLING_ROOT; default /var/lib/dockling)   kept across reboots
///       containers/ID/        a container's files (chapter 04: hosts, resolv.conf, hostname)
///     RUN (/run/dockling, tmpfs; a root of its own gets RUN/roots/HASH)   gone at reboot
///       containers/ID/state.json  a container that exists: pid, status, spec, clean-up record
///       containers/ID/exec.fifo   a created container waits on it until `start`
///     HOST RUN (/run/dockling, whatever the root)   objects every root on the host shares
///       network/BRIDGE/       a bridge's subnet and leases (chapter 04)
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "dockling/fd.hpp"

namespace dockling {

/// A process as the kernel knows it for its whole life: its pid and its start time (field 22
/// of /proc/PID/stat, clock ticks after boot). A pid is reused once its process is gone; the
/// pair is not, so a record never mistakes a newer process for the one it names.
struct ProcessIdentity {
  pid_t pid = 0;                 ///< 0: no process
  std::uint64_t start_time = 0;  ///< 0: unknown (the process was gone when asked)

  /// The identity of the running process `pid`; start_time 0 when there is none.
  static ProcessIdentity of(pid_t pid);
  /// The identity of the calling process.
  static ProcessIdentity self();
  /// True while that very process exists and has not exited (a zombie has exited).
  bool alive() const;
};

/// Creates `path` if needed and takes flock(2) LOCK_EX on it, waiting for other holders;
/// the lock is held until the returned descriptor is closed (also when the holder dies).
/// @throws SysError naming the path.
UniqueFd lock_file(const std::filesystem::path& path);

/// Writes `data` to `path` so that a reader sees the old contents or the new ones, never half:
/// a temporary file beside it, renamed over it. No fsync: for records on tmpfs, or records
/// a crash may lose (see "State under the root" in COURSE-DESIGN.md).
/// @throws SysError naming the path.
void write_file_atomically(const std::filesystem::path& path, const std::string& data);

/// Like write_file_atomically(), and durable: the temporary file is fsync'ed before the rename
/// and the directory after it, so that a crash leaves the old contents or the new ones on disk.
/// For records under the state root that must survive a reboot (chapter 10: index.json).
/// Callers that may race hold a lock_file() around it (the temporary file's name is fixed).
/// @throws SysError naming the path.
void write_file_durably(const std::filesystem::path& path, const std::string& data);

/// The state root of one dockling installation, and its run directory.
class StateRoot {
 public:
  /// /var/lib/dockling for root; for an ordinary user (rootless, chapter 07)
  /// $XDG_RUNTIME_DIR/dockling, or /tmp/dockling-UID.
  static std::filesystem::path default_dir();
  /// The run directory of the whole host: /run/dockling for root; for an ordinary user
  /// $XDG_RUNTIME_DIR/dockling-run, or /tmp/dockling-run-UID.
  static std::filesystem::path host_run_dir();

  /// The root at `dir` (made absolute); nothing is created until a record is written.
  explicit StateRoot(const std::filesystem::path& dir = default_dir());

  /// The root directory.
  const std::filesystem::path& dir() const noexcept { return dir_; }
  /// ROOT/containers/ID: a container's files.
  std::filesystem::path container_dir(const std::string& id) const { return dir_ / "containers" / id; }
  /// This root's run directory: host_run_dir() for the default root, host_run_dir()/roots/HASH
  /// for any other, so that two roots never see each other's containers.
  const std::filesystem::path& run_dir() const noexcept { return run_dir_; }
  /// RUN/containers: one directory per existing container.
  std::filesystem::path containers_run_dir() const { return run_dir_ / "containers"; }
  /// RUN/containers/ID.
  std::filesystem::path container_run_dir(const std::string& id) const { return containers_run_dir() / id; }
  /// Removes the run directories this root no longer needs (no container left); never throws.
  /// A create racing with it must expect its parent directories to vanish and retry.
  void tidy_run_dir() const noexcept;

 private:
  std::filesystem::path dir_;
  std::filesystem::path run_dir_;
};

}  // namespace dockling
