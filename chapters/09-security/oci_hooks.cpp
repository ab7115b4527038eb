#include "oci_hooks.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "dockling/fd.hpp"
#include "dockling/log.hpp"

namespace dockling::ch09 {

namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string& field, const std::string& what) {
  throw Error(fmt::format("config.json: {}: {}", field, what));
}

std::vector<std::string> strings(const json& entry, const char* key, const std::string& field) {
  std::vector<std::string> out;
  if (!entry.contains(key) || entry[key].is_null()) return out;
  if (!entry[key].is_array()) bad(field + "." + key, "must be a list of strings");
  for (const auto& item : entry[key]) {
    if (!item.is_string()) bad(field + "." + key, "must be a list of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::vector<Hook> hook_list(const json& hooks, const char* name) {
  std::vector<Hook> out;
  if (!hooks.contains(name) || hooks[name].is_null()) return out;
  if (!hooks[name].is_array()) bad(fmt::format("hooks.{}", name), "must be a list");
  for (size_t i = 0; i < hooks[name].size(); ++i) {
    const json& entry = hooks[name][i];
    Hook hook;
    hook.origin = fmt::format("hooks.{}[{}]", name, i);
    if (!entry.is_object() || !entry.contains("path") || !entry["path"].is_string()) bad(hook.origin + ".path", "missing");
    hook.path = entry["path"].get<std::string>();
    if (hook.path.empty() || hook.path.front() != '/') bad(hook.origin + ".path", fmt::format("\"{}\" must be an absolute path", hook.path));
    hook.args = strings(entry, "args", hook.origin);
    hook.env = strings(entry, "env", hook.origin);
    if (entry.contains("timeout") && !entry["timeout"].is_null()) {
      if (!entry["timeout"].is_number_integer() || entry["timeout"].get<int>() <= 0)
        bad(hook.origin + ".timeout", "must be a number of seconds greater than 0");
      hook.timeout = entry["timeout"].get<int>();
    }
    out.push_back(std::move(hook));
  }
  return out;
}

}  // namespace

Hooks parse_hooks(const json& hooks, std::vector<std::string>& warnings) {
  if (!hooks.is_object()) bad("hooks", "must be an object");
  Hooks out;
  out.prestart = hook_list(hooks, "prestart");
  out.create_runtime = hook_list(hooks, "createRuntime");
  out.poststart = hook_list(hooks, "poststart");
  out.poststop = hook_list(hooks, "poststop");
  out.create_container = hook_list(hooks, "createContainer");
  out.start_container = hook_list(hooks, "startContainer");
  for (const auto& [key, value] : hooks.items()) {
    static const std::vector<std::string> kKnown = {"prestart", "createRuntime", "createContainer", "startContainer",
                                                    "poststart", "poststop"};
    if (std::find(kKnown.begin(), kKnown.end(), key) == kKnown.end() && !value.is_null())
      warnings.push_back(fmt::format("hooks.{} is not honoured yet; ignored", key));
  }
  return out;
}

std::string hook_state(const std::string& id, const std::string& status, pid_t pid, const std::string& bundle,
                       const json& annotations) {
  json state = {{"ociVersion", "1.0.2"}, {"id", id}, {"status", status}, {"bundle", bundle}};
  if (pid > 0) state["pid"] = pid;
  if (annotations.is_object() && !annotations.empty()) state["annotations"] = annotations;
  return state.dump();
}

void run_hook(const Hook& hook, const std::string& state) {
  log::debug("hook {} {}", hook.origin, hook.path);
  // A socket, not a pipe: a hook that exits without reading must not SIGPIPE the runtime.
  int ends[2];
  check(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends), "socketpair", hook.origin);
  UniqueFd read_end(ends[0]), write_end(ends[1]);
  std::vector<std::string> args = hook.args.empty() ? std::vector<std::string>{hook.path} : hook.args;
  std::vector<char*> argv, envp;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<std::string> env = hook.env;
  for (auto& entry : env) envp.push_back(entry.data());
  envp.push_back(nullptr);

  pid_t pid = ::fork();
  if (pid < 0) throw_sys("fork", hook.origin);
  if (pid == 0) {
    // The state on stdin; the hook's output goes where ours goes, as with runc.
    if (::dup2(read_end.get(), 0) < 0) ::_exit(126);
    ::execve(hook.path.c_str(), argv.data(), envp.data());
    ::_exit(errno == ENOENT ? 127 : 126);
  }
  read_end.reset();
  for (size_t sent = 0; sent < state.size();) {  // a hook that does not read its stdin is fine
    ssize_t n = ::send(write_end.get(), state.data() + sent, state.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  write_end.reset();

  using Clock = std::chrono::steady_clock;
  auto deadline = Clock::now() + std::chrono::seconds(hook.timeout.value_or(0));
  int status = 0;
  while (true) {
    pid_t done = ::waitpid(pid, &status, hook.timeout ? WNOHANG : 0);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) throw_sys("waitpid", hook.origin);
    if (hook.timeout && Clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      throw Error(fmt::format("config.json: {} ({}): timed out after {}s", hook.origin, hook.path, *hook.timeout));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
  std::string how = WIFSIGNALED(status) ? fmt::format("killed by signal {}", WTERMSIG(status))
                    : WEXITSTATUS(status) == 127 ? "could not be started (no such file)"
                                                 : fmt::format("exited with {}", WEXITSTATUS(status));
  throw Error(fmt::format("config.json: {} ({}): {}", hook.origin, hook.path, how));
}

}  // namespace dockling::ch09
