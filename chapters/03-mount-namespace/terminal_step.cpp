#include "terminal_step.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "dockling/log.hpp"

namespace dockling::ch03 {

namespace {

bool has_variable(const std::vector<std::string>& env, const std::string& key) {
  return std::any_of(env.begin(), env.end(), [&](const std::string& entry) { return entry.rfind(key + "=", 0) == 0; });
}

}  // namespace

void TerminalStep::add_flags(CLI::App& run) {
  run.add_flag("-i,--interactive", interactive_, "Keep STDIN open and connected to the command");
  run.add_flag("-t,--tty", tty_, "Allocate a pseudo-TTY from the container's devpts");
}

void TerminalStep::to_spec(ContainerSpec& spec) {
  spec.process.terminal = tty_;
  spec.process.open_stdin = interactive_;
  if (!tty_) return;
  if (interactive_ && !::isatty(STDIN_FILENO)) throw Error("the input device is not a TTY", 1);  // docker's words and code
  // Docker's order: PATH, HOSTNAME, TERM; a TERM the user set (-e) wins.
  auto& env = spec.process.env;
  if (has_variable(env, "TERM")) return;
  auto after = env.begin();
  for (auto it = env.begin(); it != env.end(); ++it)
    if (it->rfind("PATH=", 0) == 0 || it->rfind("HOSTNAME=", 0) == 0) after = it + 1;
  env.insert(after, "TERM=xterm");
}

void TerminalStep::before_clone(Container& container) {
  const ProcessSpec& process = container.spec.process;
  if (!process.terminal) return;
  // OCI's process.consoleSize, as runc: the size the terminal is made with. Relayed, the
  // host terminal's size then replaces it (TerminalRelay), as runc's does in the foreground.
  if (process.console_size) size_ = winsize{process.console_size->rows, process.console_size->columns, 0, 0};
  if (!console_socket_.empty()) {
    log::debug("parent: terminal: the master goes to the console socket {}", console_socket_);
    child_end_ = connect_console_socket(console_socket_);
    return;
  }
  int sockets[2];
  check(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets), "socketpair", "terminal");
  parent_end_.reset(sockets[0]);
  child_end_.reset(sockets[1]);
  if (!size_) size_ = host_window_size();
}

void TerminalStep::after_clone(Container&, pid_t) { child_end_.reset(); }

void TerminalStep::in_child(Container& container) {
  if (!container.spec.process.terminal) return;
  parent_end_.reset();  // the parent's end, copied into the child by clone
  PtyPair pty = open_pty();  // from the container's /dev/ptmx: its own devpts
  if (size_) check(::ioctl(pty.master.get(), TIOCSWINSZ, &*size_), "ioctl", "TIOCSWINSZ");
  log::debug("child: terminal: sending the master, the slave becomes the controlling terminal");
  send_fd(child_end_.get(), pty.master.get(), "/dev/ptmx");
  child_end_.reset();
  pty.master.reset();
  attach_terminal(pty.slave.get());
}

void TerminalStep::after_start(Container& container, pid_t child) noexcept {
  if (!parent_end_) return;
  try {
    UniqueFd master = receive_fd(parent_end_.get());
    parent_end_.reset();
    bool input = container.spec.process.open_stdin;
    if (input && ::isatty(STDIN_FILENO)) raw_.emplace(STDIN_FILENO);
    relay_ = std::make_unique<TerminalRelay>(std::move(master), input ? STDIN_FILENO : -1, STDOUT_FILENO);
  } catch (const std::exception& e) {
    // Nobody would read the container's output: it would hang once the terminal is full.
    log::error("terminal: {}; stopping the container", e.what());
    ::kill(child, SIGKILL);
  }
}

void TerminalStep::after_exit(Container&) noexcept {
  if (relay_) relay_->finish();
  relay_.reset();
  raw_.reset();  // the host terminal as it was, whatever happened
  parent_end_.reset();
  child_end_.reset();
}

}  // namespace dockling::ch03
