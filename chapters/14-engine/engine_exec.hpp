/// @file engine_exec.hpp
/// @brief `docker exec` through the Engine API: exec instances, kept in the daemon's memory as
/// dockerd keeps them (they do not outlive it), each run by `PROGRAM --root ROOT oci exec`:
/// chapter 09's join mode, which enters the container's namespaces and cgroup.
///
///     POST /containers/ID/exec   an instance: the command, env, user, working dir, -t, -i
///     POST /exec/ID/start        runs it: a hijacked stream (raw with a terminal, else
///                                8-byte frames), or detached
///     GET  /exec/ID/json         whether it runs, its pid, its exit code
///     POST /exec/ID/resize       the terminal's size (h, w)
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "container_store.hpp"
#include "dockling/fd.hpp"
#include "dockling/state.hpp"
#include "http_server.hpp"

namespace dockling::ch14 {

/// One exec instance: what the client asked for, and how its run went.
struct ExecInstance {
  std::string id;            ///< 64 hex digits
  std::string container_id;  ///< the container it runs in
  std::vector<std::string> args;   ///< Cmd: the command and its arguments
  std::vector<std::string> env;    ///< Env: KEY=VALUE added to the container's
  std::string user;                ///< User: docker's -u (name or uid, and group); "": the container's
  std::string working_dir;         ///< WorkingDir; "": the container's
  bool tty = false;                ///< Tty: a terminal from the container's devpts
  bool attach_stdin = false;       ///< AttachStdin: the command reads the client's input
  bool attach_stdout = false;      ///< AttachStdout: its stdout goes to the client
  bool attach_stderr = false;      ///< AttachStderr: its stderr goes to the client
  // Below: guarded by ExecInstances' mutex.
  bool started = false;            ///< POST /exec/ID/start came (an instance runs once)
  bool running = false;            ///< it runs now
  std::optional<int> exit_code;    ///< how it ended (126: it could not start)
  pid_t pid = 0;                         ///< the command, as the host sees it
  std::shared_ptr<UniqueFd> terminal;    ///< its terminal's master while it runs (resize)
  std::optional<std::pair<unsigned short, unsigned short>> size;  ///< rows, columns asked for
};

/// The daemon's exec instances.
class ExecInstances {
 public:
  /// Runs `program` (this binary) with `--root` of `root` for each instance.
  ExecInstances(const StateRoot& root, std::filesystem::path program);

  /// POST /containers/ID/exec for the running container `container`: 201 {"Id": ...}.
  ch12::http::Response create(ch12::http::Request& request, const ch10::ContainerRecord& container);
  /// POST /exec/ID/start.
  ch12::http::Response start(ch12::http::Request& request, const std::string& id);
  /// GET /exec/ID/json.
  ch12::http::Response inspect(const std::string& id);
  /// POST /exec/ID/resize?h=ROWS&w=COLUMNS.
  ch12::http::Response resize(ch12::http::Request& request, const std::string& id);

 private:
  /// The instance `id`; ApiError 404 when there is none.
  std::shared_ptr<ExecInstance> find(const std::string& id);
  /// Runs `exec`, its stdio on the client's socket `client` (-1: detached), until it ends.
  void run(const std::shared_ptr<ExecInstance>& exec, int client);
  /// `oci exec`'s arguments for `exec`: the user resolved in the container's own passwd.
  std::vector<std::string> oci_exec_args(const ExecInstance& exec, const std::string& console_socket,
                                         const std::filesystem::path& pid_file) const;

  const StateRoot& root_;
  std::filesystem::path program_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<ExecInstance>> instances_;
};

}  // namespace dockling::ch14
