#include "pipeline.hpp"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <csignal>
#include <map>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "dockling/fd.hpp"
#include "dockling/fs.hpp"
#include "dockling/log.hpp"
#include "dockling/process.hpp"
#include "exec_error.hpp"
#include "fork_exec.hpp"
#include "lifecycle.hpp"

namespace dockling {

namespace {

std::string env_value(const std::vector<std::string>& env, const std::string& key) {
  for (const auto& entry : env)
    if (entry.compare(0, key.size() + 1, key + "=") == 0) return entry.substr(key.size() + 1);
  return {};
}

/// The child's half of a report: "CODE\nMESSAGE" when something failed before exec.
void send_failure(int socket, int code, const std::string& message) noexcept {
  std::string report = fmt::format("{}\n{}", code, message);
  [[maybe_unused]] ssize_t n = ::send(socket, report.data(), report.size(), MSG_NOSIGNAL);
}

/// Waits at the sync point until `start` opens exec.fifo: opening the write end of a FIFO
/// blocks until a reader comes. Through the run directory's descriptor, taken before clone:
/// "/" may be the container's root by now.
void wait_for_start(const Container& container) {
  int fd;
  while ((fd = ::openat(container.run_dir_fd, kExecFifo, O_WRONLY | O_CLOEXEC)) < 0 && errno == EINTR) {
  }
  UniqueFd fifo(check(fd, "open", kExecFifo));
  char go = '0';
  check(static_cast<int>(::write(fifo.get(), &go, 1)), "write", kExecFifo);
}

/// Everything the child does between clone and exec. Never returns.
[[noreturn]] void child_main(Container& container, const Steps& steps, int socket) {
  try {
    // Unless it must outlive us (`oci create`), the container dies with the runtime, even by
    // SIGKILL: nothing is left running.
    keep_parent_death_signal(container);
    char go = 0;
    if (::read(socket, &go, 1) != 1) ::_exit(kExitRuntimeFailure);  // the parent gave up
    for (const auto& step : steps) {
      log::debug("child: {}", step->name());
      step->in_child(container);
      if (step->slot() != Slot::root) continue;
      for (const auto& any : steps) any->in_root(container);  // "/" is the new root from here
    }
    const ProcessSpec& process = container.spec.process;
    check(::chdir(process.cwd.c_str()), "chdir", process.cwd);
    std::string path = resolve_command(process.args.front(), process.env);

    std::vector<std::string> argv = process.args, env = process.env;  // execve wants char*, not const
    std::vector<char*> args, envp;
    for (auto& arg : argv) args.push_back(arg.data());
    args.push_back(nullptr);
    for (auto& entry : env) envp.push_back(entry.data());
    envp.push_back(nullptr);
    // Created: tell the parent, and wait for start.
    check(static_cast<int>(::send(socket, kReady, sizeof kReady - 1, MSG_NOSIGNAL)), "send", "ready");
    wait_for_start(container);
    for (const auto& step : steps) step->before_exec(container);
    log::debug("child: exec {}", path);
    ::execve(path.c_str(), args.data(), envp.data());
    throw ch00::exec_failure(process.args.front(), errno);
  } catch (const Error& e) {
    send_failure(socket, e.exit_code(), e.what());
    ::_exit(e.exit_code());
  } catch (const std::exception& e) {
    send_failure(socket, kExitRuntimeFailure, e.what());
    ::_exit(kExitRuntimeFailure);
  } catch (...) {
    send_failure(socket, kExitRuntimeFailure, "unknown error in the container's setup");
    ::_exit(kExitRuntimeFailure);
  }
}

/// clone(2) used like fork(2): the child continues here, on a copy of our stack, but in the
/// new namespaces that `flags` ask for. With a cgroup v2 directory in container.cgroup_fd
/// (chapter 08), clone3(2) with CLONE_INTO_CGROUP: the child is born in that cgroup, and
/// container.born_in_cgroup says so (not on kernels before 5.7: the cgroup step moves it).
pid_t clone_child(int flags, Container& container) {
  if (container.cgroup_fd >= 0) {
    clone_args args{};
    args.flags = static_cast<std::uint64_t>(static_cast<unsigned>(flags)) | CLONE_INTO_CGROUP;
    args.exit_signal = SIGCHLD;
    args.cgroup = static_cast<std::uint64_t>(container.cgroup_fd);
    long pid = ::syscall(SYS_clone3, &args, sizeof args);
    if (pid >= 0) {
      container.born_in_cgroup = true;
      return static_cast<pid_t>(pid);
    }
    if (errno != ENOSYS && errno != E2BIG) throw_sys("clone3", fmt::format("{:#x} | CLONE_INTO_CGROUP", flags));
  }
  long pid = ::syscall(SYS_clone, static_cast<unsigned long>(flags) | SIGCHLD, nullptr, nullptr, nullptr, 0);
  if (pid < 0) throw_sys("clone", fmt::format("{:#x}", flags));
  return static_cast<pid_t>(pid);
}

}  // namespace

Steps make_pipeline(Steps steps) {
  std::map<Slot, std::unique_ptr<Step>> by_slot;  // ordered by Slot's declaration order
  for (auto& step : steps) by_slot[step->slot()] = std::move(step);
  Steps ordered;
  for (auto& [slot, step] : by_slot) ordered.push_back(std::move(step));
  return ordered;
}

void fill_spec(ContainerSpec& spec, const Steps& steps, const StateRoot& root) {
  for (const auto& step : steps) {
    step->to_spec(spec);
    step->prepare(spec, root);
  }
  // Root's home, unless -e or a step (chapter 07: the -u user's passwd entry) has set one.
  auto& env = spec.process.env;
  if (std::none_of(env.begin(), env.end(), [](const std::string& entry) { return entry.rfind("HOME=", 0) == 0; }))
    env.push_back("HOME=/root");
}

std::string resolve_command(const std::string& command, const std::vector<std::string>& env) {
  if (command.find('/') != std::string::npos) return command;
  std::string path = env_value(env, "PATH");
  if (path.empty()) path = kDefaultPath;
  int first_error = ENOENT;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + command;
    struct stat st;
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
      first_error = EACCES;  // found, but not executable: keep looking, report 126 if alone
    }
    start = end + 1;
  }
  throw ch00::exec_failure(command, first_error);
}

void keep_parent_death_signal(const Container& container) {
  if (!container.detached) check(::prctl(PR_SET_PDEATHSIG, SIGKILL), "prctl", "PR_SET_PDEATHSIG");
}

pid_t start_child(Container& container, const Steps& steps, int flags, UniqueFd& parent_end) {
  int sockets[2];
  check(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets), "socketpair");
  parent_end.reset(sockets[0]);
  UniqueFd child_end(sockets[1]);
  log::debug("parent: clone(flags={:#x}), rootfs {}", flags, container.spec.root.path.string());
  pid_t pid = clone_child(flags, container);
  if (pid == 0) {
    parent_end.reset();
    container.sync_fd = child_end.get();
    child_main(container, steps, child_end.get());
  }
  return pid;
}

std::optional<std::pair<int, std::string>> read_child_report(int socket) {
  char buffer[4096];
  ssize_t n;
  while ((n = ::recv(socket, buffer, sizeof buffer, 0)) < 0 && errno == EINTR) {
  }
  if (n < 0) throw_sys("recv", "the container's report");
  if (n == 0) return std::nullopt;
  std::string report(buffer, static_cast<size_t>(n));
  if (report == kReady) return std::pair<int, std::string>{0, kReady};
  size_t newline = report.find('\n');
  return std::pair<int, std::string>{std::stoi(report.substr(0, newline)), report.substr(newline + 1)};
}

int run_container(const ContainerSpec& spec, const Steps& steps, const StateRoot& root) {
  Lifecycle lifecycle(steps, root);
  lifecycle.create(spec);
  lifecycle.start(spec.id);
  int code = lifecycle.wait();
  lifecycle.remove(spec.id, true);
  log::debug("parent: command ended, exit code {}", code);
  return code;
}

}  // namespace dockling
