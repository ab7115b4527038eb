/// @file oci_exec.hpp
/// @brief Join mode: a new process inside a running container (`oci exec`, chapter 14's
/// `exec`), in its namespaces and cgroup, confined as its first process is.
#pragma once

#include "pipeline.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cgroup.hpp"
#include "dockling/state.hpp"
#include "lifecycle.hpp"

namespace dockling::ch09 {

/// What `exec` may change from the container's own process; the rest is the container's
/// (capabilities, seccomp, no_new_privs, rlimits, and by default user, env and cwd).
struct ExecRequest {
  std::vector<std::string> args;       ///< the command; not empty
  std::vector<std::string> env;        ///< KEY=VALUE added to (or replacing in) the container's
  bool env_replaces = false;           ///< `env` is the whole environment (a process.json's)
  std::optional<std::string> cwd;      ///< instead of the container's working directory
  std::optional<ProcessUser> user;     ///< instead of the container's user (uid, gid, groups)
  std::optional<CapabilitySets> capabilities;  ///< instead of the container's (process.json)
  std::optional<bool> no_new_privileges;       ///< instead of the container's (process.json)
  std::optional<std::vector<Rlimit>> rlimits;  ///< instead of the container's (process.json)
  /// A pseudo-terminal from the container's devpts as the command's controlling terminal and
  /// stdio (`-t`, process.terminal). Its master goes to `console_socket` when one is given;
  /// else the runtime relays it to its own stdin and stdout, its terminal raw meanwhile.
  bool terminal = false;
  std::optional<ConsoleSize> console_size;  ///< the terminal's size (process.consoleSize)
  std::string console_socket;          ///< a unix socket's path (runc's --console-socket)
  /// Return once the command runs, without waiting or relaying (`-d`); it keeps the
  /// runtime's stdio unless it has a terminal.
  bool detach = false;
  std::string pid_file;                ///< where to write the command's pid (as the host sees it)
};

/// The cgroup the cgroups step made for the container `state` describes, from its record;
/// nullptr when it has none. Nothing is created.
std::unique_ptr<ch08::Cgroup> container_cgroup(const ContainerState& state);

/// Runs `request` in the running container `state` and waits for it; returns docker's exit
/// code (0 at once for a detached one).
///
/// The runtime first re-executes itself from a sealed memfd copy of its binary (CVE-2019-5736:
/// a process of the container that opens /proc/PID/exe of the joining process finds a copy
/// that cannot be written, never the binary on disk). A child then joins the container's
/// cgroup and namespaces (exec_join.hpp: user first, as it owns the others, the mount
/// namespace last), and forks the process that applies the container's rlimits, seccomp
/// filter, user and capabilities, and execs the command. Signals to the runtime go on to it.
/// @throws Error when the container is not running, or the command cannot start (126/127),
/// or for runc's refusals: a terminal detached without a console socket, a console socket
/// without a terminal.
int exec_in_container(const ContainerState& state, const ExecRequest& request);

/// True when this process runs from a sealed memfd copy of its binary.
bool running_from_sealed_copy();

/// Re-executes this process, with the same arguments, from a sealed memfd copy of its binary,
/// unless it runs from one already. Returns only when it does.
/// @throws SysError when the copy cannot be made.
void reexec_from_sealed_copy(char** argv);

/// The main() of chapter 09 and every later binary: for `oci exec` (which joins a running
/// container) it first becomes a sealed copy of the binary, so that nothing inside can write
/// to it through /proc/PID/exe (CVE-2019-5736); then runtime_main(name, description, ...).
/// Returns the exit code (125 when the copy cannot be made).
int sealed_runtime_main(const char* name, const char* description, int argc, char** argv, Steps steps);

}  // namespace dockling::ch09
