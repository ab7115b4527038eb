/// @file testing.hpp
/// @brief Helpers for the chapters' GoogleTest suites: root checks, running a binary with a
/// timeout, talking to a process in the background, unique names, the probe's JSON.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "dockling/fd.hpp"
#include "dockling/tempdir.hpp"
#include "dockling/process.hpp"

namespace dockling::testing {

/// True when the tests run as root (effective uid 0).
bool is_root();

/// Fails the current test when not root, saying so in one line. Not a skip: ctest does not
/// count skipped tests as failed, and `ctest -L ch04` without sudo printed "100% tests
/// passed" for tests that had not run.
#define DOCKLING_REQUIRE_ROOT()                                                               \
  do {                                                                                        \
    if (!::dockling::testing::is_root()) GTEST_FAIL() << "needs root: run it with sudo";     \
  } while (0)

/// The path of a binary in the build tree's bin/ directory, e.g. bin("ch01-chroot").
std::string bin(std::string_view name);
/// The busybox root filesystem made by scripts/make-rootfs for this build tree; as root, this
/// test process's own copy of it, made on first use beside the shared one and removed at exit.
/// A runtime may change the root it is given (a mount point for --tmpfs /scratch or for an
/// OCI bind mount on /out), and the shared rootfs must stay as make-rootfs made it: the tour,
/// the benchmarks and the other test processes use it. Not root, it is the shared one (the
/// tests that would run a container fail first: they need root).
std::string rootfs();
/// A copy of rootfs() in a temporary directory every user may enter, for a test that changes
/// files in it (setcap, an extra passwd line) or an unprivileged runtime that must reach it.
/// Removed with the object.
struct RootfsCopy {
  TempDir dir{"dockling-rootfs"};                       ///< removed with the copy
  std::string path = (dir.path() / "rootfs").string();  ///< the copy's root
  RootfsCopy();
};

/// `prefix` followed by 8 random hex digits, so that parallel tests never share a name.
std::string unique_name(std::string_view prefix);

/// How a finished process ended and what it printed.
struct RunResult {
  int exit_code = -1;      ///< exit status, or 128+N when killed by signal N
  std::string out;         ///< everything written to stdout
  std::string err;         ///< everything written to stderr
  bool timed_out = false;  ///< true when it was killed for running past the timeout
};

/// Prints a RunResult in failure messages: exit code, stdout and stderr.
std::ostream& operator<<(std::ostream& os, const RunResult& result);

using std::chrono::milliseconds;

/// Runs argv[0] (an absolute path) with the given arguments, feeding `input` on stdin, and
/// waits at most `timeout`; on time-out its whole process group is killed.
RunResult run(const std::vector<std::string>& argv, milliseconds timeout = milliseconds(30000),
              const std::string& input = {});

/// A process running in the background whose output is read line by line while it runs:
/// for tests that signal a command after it said it is ready. Killed when destroyed.
class Background {
 public:
  /// Starts argv (argv[0] an absolute path) in its own process group.
  explicit Background(const std::vector<std::string>& argv);
  /// The next line of stdout (without its newline), or nullopt at end of output or time-out.
  std::optional<std::string> read_line(milliseconds timeout = milliseconds(10000));
  /// Sends `signal` to the process (not its group); does nothing once it has been waited for.
  void signal(int signal);
  /// Waits for the end (killing the group after `timeout`); returns the rest of the output.
  RunResult wait(milliseconds timeout = milliseconds(30000));
  /// The process id.
  pid_t pid() const { return child_.pid(); }

 private:
  Child child_;
  UniqueFd out_;
  UniqueFd err_;
  std::string pending_;  ///< stdout read but not yet returned as a line
};

/// Parses the probe's output; a parse failure becomes a test failure that shows the text.
nlohmann::json parse_json(const std::string& text);

/// The host's mount table (/proc/self/mounts), to compare before and after a test; without
/// the roots of chapter 10's containers (ROOT/containers/ID/merged) and chapter 13's volume
/// filesystems (ROOT/volumes/NAME/_data), which tests running at the same time mount on the
/// host: compare those with mounts_under().
std::string host_mounts();

/// The lines of /proc/self/mounts whose mount point is `dir` or below it.
std::string mounts_under(const std::filesystem::path& dir);

/// The inode of /proc/PID/ns/NAME ("self" for this process), or 0 if it cannot be read.
/// Two processes share a namespace exactly when these inodes are equal.
ino_t namespace_inode(const std::string& pid, const std::string& name);

/// The parent pid of PID from /proc/PID/stat, or -1 if the process is gone.
pid_t parent_of(const std::string& pid);

/// A container that waits: `runtime_argv` (e.g. {bin("ch05-uts-namespace"), "run", rootfs()})
/// started with a command that says "ready" and sleeps. It runs until this object is
/// destroyed, which kills the runtime (and the container with it, PR_SET_PDEATHSIG).
///
/// To tell two containers' namespaces apart, keep both alive while you compare: the kernel
/// hands a freed namespace's inode number to the next namespace it makes, so a container that
/// ran after another may show the very number the first one had.
class WaitingContainer {
 public:
  /// Starts it and waits for "ready"; a container that does not start is a test failure.
  explicit WaitingContainer(const std::vector<std::string>& runtime_argv);
  ~WaitingContainer();
  WaitingContainer(const WaitingContainer&) = delete;
  WaitingContainer& operator=(const WaitingContainer&) = delete;

  /// The container's first process (a child of the runtime) as the host sees it; 0 if none.
  pid_t pid() const { return pid_; }
  /// The inode of its namespace NAME, read from the host's /proc (so it works whether the
  /// container has a /proc of its own or not); 0 (and a test failure) if it did not start.
  ino_t namespace_inode(const std::string& name) const;

 private:
  Background runtime_;
  pid_t pid_ = 0;
};

/// The inode of the namespace NAME of a container started from `runtime_argv` (see
/// WaitingContainer), which is gone again when this returns: compare it with the host's,
/// never with another container's that is gone too (their numbers may be the same).
ino_t container_namespace(const std::vector<std::string>& runtime_argv, const std::string& name);

/// Runs `body` in a forked child after unshare(unshare_flags) (with CLONE_NEWNS, all mounts
/// are made private first, so nothing the body mounts reaches the host). Returns the exit
/// code `body` returned; 98 if unshare failed, 97 if body threw (its message on stderr).
int run_in_child(int unshare_flags, const std::function<int()>& body);

/// A /24 inside 10.213.0.0/16 held by this test process alone: the claim is an abstract
/// unix socket named after the subnet, so another test process cannot bind the same name,
/// and the kernel drops it when the process ends: nothing to clean up, even after a crash.
struct SubnetClaim {
  UniqueFd claim;  ///< the bound socket that holds the claim
  int third = 0;   ///< 10.213.THIRD.0/24

  /// 10.213.THIRD.HOST
  std::string address(int host) const { return "10.213." + std::to_string(third) + "." + std::to_string(host); }
  /// 10.213.THIRD.0/24
  std::string cidr() const { return address(0) + "/24"; }
};

/// Claims a free /24 for this test process (see SubnetClaim).
SubnetClaim claim_subnet();

/// Like run_in_child, for a test that checks a process-wide change (a new root, a mount, a
/// host name) from inside the forked child: `body` returns what it found wrong, or an empty
/// string when all is well, and that text comes back to the test. A body that throws gives
/// "threw: MESSAGE"; a failed unshare "unshare failed: ERROR"; a child that dies says how.
std::string report_from_child(int unshare_flags, const std::function<std::string()>& body);

/// A throwaway user of the host (with a group of its own, no home), deleted on destruction
/// with the run directory its rootless runs had (as_user: /tmp/dockling-run-UID).
struct HostUser {
  std::string name;  ///< "dl" and random hex digits
  uid_t uid = 0;     ///< its uid
  gid_t gid = 0;     ///< its group's gid
  /// Adds the user (useradd --system --user-group).
  HostUser();
  ~HostUser();
  HostUser(const HostUser&) = delete;
  HostUser& operator=(const HostUser&) = delete;
};

/// `argv` run by `user` with no supplementary groups, with `state` (made the user's) as its
/// DOCKLING_ROOT and, without XDG_RUNTIME_DIR, its run directory in /tmp/dockling-run-UID.
std::vector<std::string> as_user(const HostUser& user, const TempDir& state, std::vector<std::string> argv);

/// Lines added to /etc/subuid and /etc/subgid ("NAME_OR_UID:START:COUNT"), and removed again,
/// those lines alone, on destruction: tests that run beside each other may add their own.
struct SubordinateIds {
  std::string subuid_line;  ///< the line added to /etc/subuid
  std::string subgid_line;  ///< the line added to /etc/subgid
  /// Appends `subuid` to /etc/subuid and `subgid` to /etc/subgid.
  /// @param subuid e.g. "dl1a2b:300000:65536"
  /// @param subgid e.g. "998:365536:65536" (a uid instead of a name works too)
  SubordinateIds(std::string subuid, std::string subgid);
  ~SubordinateIds();
  SubordinateIds(const SubordinateIds&) = delete;
  SubordinateIds& operator=(const SubordinateIds&) = delete;
};

}  // namespace dockling::testing
