#include "oci_exec.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sendfile.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <climits>
#include <csignal>
#include <filesystem>
#include <string_view>

#include <fmt/format.h>

#include "cgroup.hpp"
#include "dockling/error.hpp"
#include "dockling/fd.hpp"
#include "dockling/fs.hpp"
#include "dockling/log.hpp"
#include "dockling/process.hpp"
#include "exec_error.hpp"
#include "exec_join.hpp"
#include "fork_exec.hpp"
#include "pipeline.hpp"
#include "security_step.hpp"
#include "signal_forwarder.hpp"
#include "terminal.hpp"
#include "runtime_main.hpp"

namespace dockling::ch09 {

namespace {

constexpr const char* kMemfdName = "dockling-sealed";

/// The env of `base` with each KEY=VALUE of `extra` added or replacing the same key.
std::vector<std::string> merge_env(std::vector<std::string> base, const std::vector<std::string>& extra) {
  for (const auto& entry : extra) {
    std::string key = entry.substr(0, entry.find('=')) + "=";
    auto same = std::find_if(base.begin(), base.end(), [&](const std::string& e) { return e.rfind(key, 0) == 0; });
    if (same != base.end()) *same = entry;
    else base.push_back(entry);
  }
  return base;
}

/// The terminal of an exec'd command: where its master goes, and the size it starts with.
struct ExecTerminal {
  int socket = -1;              ///< the runtime's socket pair, or the console socket; -1: none
  std::optional<winsize> size;  ///< process.consoleSize, else the runtime's terminal's
};

/// In the process that will exec: its terminal, confinement as the container's first process
/// had it, then the command. Never returns.
[[noreturn]] void exec_command(Container& container, SecurityStep& security, int report, const ExecTerminal& terminal) {
  try {
    container.sync_fd = report;  // kept open by the security step: closed at exec (CLOEXEC)
    const ProcessSpec& process = container.spec.process;
    check(::chdir(process.cwd.c_str()), "chdir", process.cwd);
    std::string path = resolve_command(process.args.front(), process.env);
    if (terminal.socket >= 0) {
      ch03::PtyPair pty = ch03::open_pty();  // in the container's mount namespace: its devpts
      if (terminal.size) check(::ioctl(pty.master.get(), TIOCSWINSZ, &*terminal.size), "ioctl", "TIOCSWINSZ");
      ch03::send_fd(terminal.socket, pty.master.get(), "/dev/ptmx");
      ::close(terminal.socket);
      pty.master.reset();
      ch03::attach_terminal(pty.slave.get());
    }
    security.in_child(container);
    std::vector<std::string> argv = process.args, env = process.env;
    std::vector<char*> args, envp;
    for (auto& arg : argv) args.push_back(arg.data());
    args.push_back(nullptr);
    for (auto& entry : env) envp.push_back(entry.data());
    envp.push_back(nullptr);
    ::execve(path.c_str(), args.data(), envp.data());
    throw ch00::exec_failure(process.args.front(), errno);
  } catch (const Error& e) {
    std::string text = fmt::format("{}\n{}", e.exit_code(), e.what());
    [[maybe_unused]] ssize_t n = ::send(report, text.data(), text.size(), MSG_NOSIGNAL);
    ::_exit(e.exit_code());
  } catch (const std::exception& e) {
    std::string text = fmt::format("{}\n{}", kExitRuntimeFailure, e.what());
    [[maybe_unused]] ssize_t n = ::send(report, text.data(), text.size(), MSG_NOSIGNAL);
    ::_exit(kExitRuntimeFailure);
  }
}

}  // namespace

bool running_from_sealed_copy() {
  char target[PATH_MAX] = {};
  ssize_t n = ::readlink("/proc/self/exe", target, sizeof target - 1);
  return n > 0 && std::string_view(target, static_cast<size_t>(n)).starts_with(std::string("/memfd:") + kMemfdName);
}

void reexec_from_sealed_copy(char** argv) {
  if (running_from_sealed_copy()) return;
  UniqueFd binary = open_fd("/proc/self/exe", O_RDONLY);
  struct stat st {};
  check(::fstat(binary.get(), &st), "fstat", "/proc/self/exe");
  UniqueFd copy(check(::memfd_create(kMemfdName, MFD_CLOEXEC | MFD_ALLOW_SEALING), "memfd_create", kMemfdName));
  for (off_t offset = 0; offset < st.st_size;) {
    ssize_t sent = ::sendfile(copy.get(), binary.get(), &offset, static_cast<size_t>(st.st_size - offset));
    if (sent <= 0) throw SysError("sendfile", "/proc/self/exe", errno);
  }
  // Sealed: nobody, not even root through /proc/PID/exe, may change it from now on.
  check(::fcntl(copy.get(), F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE), "fcntl",
        "F_ADD_SEALS");
  ::fexecve(copy.get(), argv, environ);
  throw SysError("fexecve", "the sealed copy", errno);
}

std::unique_ptr<ch08::Cgroup> container_cgroup(const ContainerState& state) {
  auto record = state.record.find("cgroups");
  if (record == state.record.end()) return nullptr;
  auto version = record->value("version", 1) == 2 ? ch08::CgroupVersion::v2 : ch08::CgroupVersion::v1;
  return ch08::make_cgroup(version, state.id, record->value("root", std::string(ch08::kCgroupRoot)));
}

int exec_in_container(const ContainerState& state, const ExecRequest& request) {
  if (state.status != Status::running) throw Error(fmt::format("cannot exec in a {} container", status_name(state.status)));
  if (request.args.empty()) throw Error("exec needs a command");
  // runc's refusals, in its words.
  if (request.terminal && request.detach && request.console_socket.empty())
    throw Error("cannot allocate tty if runc will detach without setting console socket");
  if (!request.console_socket.empty() && !request.terminal)
    throw Error("cannot use console socket if runc will not detach or allocate tty");
  ContainerSpec spec = state.spec;
  spec.process.args = request.args;
  spec.process.env = request.env_replaces ? request.env : merge_env(spec.process.env, request.env);
  if (request.cwd) spec.process.cwd = *request.cwd;
  if (request.user) spec.process.user = *request.user;
  if (request.capabilities) spec.process.capabilities = *request.capabilities;
  if (request.no_new_privileges) spec.process.no_new_privileges = *request.no_new_privileges;
  if (request.rlimits) spec.process.rlimits = *request.rlimits;
  spec.root.host_devices = false;  // the container's /dev is made already
  StateRoot unused;
  Container container(spec, unused);
  container.detached = true;  // no PDEATHSIG games: we wait for it
  SecurityStep security;
  security.before_clone(container);  // the seccomp profile, read and parsed here

  // Opened now, before any fork; the pid is checked against its start time right after.
  std::vector<ContainerNamespace> namespaces = open_container_namespaces(state.process.pid);
  if (!state.process.alive()) throw Error("cannot exec in a stopped container");
  std::unique_ptr<ch08::Cgroup> cgroup = container_cgroup(state);

  int sockets[2];
  check(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets), "socketpair");
  UniqueFd ours(sockets[0]), theirs(sockets[1]);
  // With a terminal, the master travels over a socket pair to us (we relay it), or to the
  // console socket, connected now: its path is the host's, not the container's.
  UniqueFd terminal_ours, terminal_theirs;
  ExecTerminal terminal;
  if (request.terminal) {
    if (!request.console_socket.empty()) {
      terminal_theirs = ch03::connect_console_socket(request.console_socket);
    } else {
      check(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets), "socketpair", "terminal");
      terminal_ours.reset(sockets[0]);
      terminal_theirs.reset(sockets[1]);
      terminal.size = ch03::host_window_size();
    }
    if (request.console_size)
      terminal.size = winsize{request.console_size->rows, request.console_size->columns, 0, 0};
    terminal.socket = terminal_theirs.get();
  }
  // The command is our grandchild (joining a PID namespace takes effect for children only);
  // its parent exits at once, and we adopt and wait for it as a subreaper (as runc does).
  check(::prctl(PR_SET_CHILD_SUBREAPER, 1), "prctl", "PR_SET_CHILD_SUBREAPER");
  ch00::SignalForwarder forwarder;
  pid_t joiner = ::fork();
  check(joiner, "fork");
  if (joiner == 0) {
    ours.reset();
    terminal_ours.reset();
    try {
      enter_container(namespaces, cgroup.get(), state.process.pid);
      namespaces.clear();
      pid_t command = ::fork();
      check(command, "fork");
      if (command == 0) exec_command(container, security, theirs.get(), terminal);
      std::string pid = std::to_string(command);
      [[maybe_unused]] ssize_t n = ::send(theirs.get(), pid.data(), pid.size(), MSG_NOSIGNAL);
      ::_exit(0);
    } catch (const std::exception& e) {
      std::string text = fmt::format("{}\n{}", kExitRuntimeFailure, e.what());
      [[maybe_unused]] ssize_t n = ::send(theirs.get(), text.data(), text.size(), MSG_NOSIGNAL);
      ::_exit(kExitRuntimeFailure);
    }
  }
  theirs.reset();
  terminal_theirs.reset();
  Child joining(joiner);
  char buffer[4096];
  ssize_t n;
  while ((n = ::recv(ours.get(), buffer, sizeof buffer, 0)) < 0 && errno == EINTR) {
  }
  ch00::wait_for_exit(joiner);
  joining.mark_reaped();
  std::string first(buffer, n > 0 ? static_cast<size_t>(n) : 0);
  if (first.empty() || first.find('\n') != std::string::npos) {
    size_t newline = first.find('\n');
    if (newline == std::string::npos) throw Error("the exec'd process failed before it started");
    throw Error(first.substr(newline + 1), std::stoi(first.substr(0, newline)));
  }
  pid_t command = std::stoi(first);
  forwarder.forward_to(command);
  // Relayed as `oci run` relays a terminal: our terminal raw meanwhile (restored last).
  std::optional<ch03::RawMode> raw;
  std::unique_ptr<ch03::TerminalRelay> relay;
  if (terminal_ours) {
    try {
      UniqueFd master = ch03::receive_fd(terminal_ours.get());
      if (::isatty(STDIN_FILENO)) raw.emplace(STDIN_FILENO);
      relay = std::make_unique<ch03::TerminalRelay>(std::move(master), STDIN_FILENO, STDOUT_FILENO);
    } catch (const Error& e) {
      log::debug("exec: no terminal: {}", e.what());  // it failed before it sent it: its report says why
    }
    terminal_ours.reset();
  }
  // Its end of the socket closes on exec (CLOEXEC), or carries why it could not start.
  while ((n = ::recv(ours.get(), buffer, sizeof buffer, 0)) < 0 && errno == EINTR) {
  }
  if (n > 0) {
    ch00::wait_for_exit(command);
    std::string report(buffer, static_cast<size_t>(n));
    size_t newline = report.find('\n');
    throw Error(report.substr(newline + 1), std::stoi(report.substr(0, newline)));
  }
  if (request.terminal && request.console_socket.empty() && !relay) {
    ::kill(command, SIGKILL);
    ch00::wait_for_exit(command);
    throw Error("the exec'd process did not send its terminal");
  }
  // As runc: the pid, then a rename, so a reader never sees half of it.
  if (!request.pid_file.empty())
    write_file_atomically(std::filesystem::absolute(request.pid_file), std::to_string(command));
  if (request.detach) return 0;  // it runs on; whoever reaps it, not us
  int status = ch00::wait_for_exit(command);
  if (relay) relay->finish();
  return ch00::exit_code_from_status(status);
}

int sealed_runtime_main(const char* name, const char* description, int argc, char** argv, Steps steps) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string_view(argv[i]) == "oci" && std::string_view(argv[i + 1]) == "exec") {
      try {
        reexec_from_sealed_copy(argv);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: %s\n", name, e.what());
        return 125;
      }
      break;
    }
  }
  return runtime_main(name, description, argc, argv, std::move(steps));
}

}  // namespace dockling::ch09
