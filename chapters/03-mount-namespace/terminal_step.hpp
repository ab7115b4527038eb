/// @file terminal_step.hpp
/// @brief The terminal step: `run -t` gives the command a pseudo-terminal of the container's
/// own devpts as its controlling terminal, `-i` connects the user's keyboard to it.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "pipeline.hpp"
#include "step.hpp"
#include "terminal.hpp"

namespace dockling::ch03 {

/// -t/--tty and -i/--interactive, as `docker run -it`.
///
/// With a terminal (spec.process.terminal): before clone, a socket pair; in the child, once
/// /dev and its devpts are mounted, a pty pair from /dev/ptmx, the master sent to the parent
/// over the socket (SCM_RIGHTS, as runc's console socket), the slave made the controlling
/// terminal of a new session and the command's stdin, stdout and stderr. Once the command
/// runs, the parent relays the master to its stdout and, with -i, its stdin to the master,
/// with its own terminal in raw mode; SIGWINCH carries window size changes over. When the
/// container ends, the relay drains the output, and the terminal mode is restored.
///
/// Given a console socket (OCI's `--console-socket PATH`), the master goes to whoever listens
/// there instead, and the runtime relays nothing.
///
/// Without a terminal nothing changes: stdin, stdout and stderr are the runtime's own (docker
/// would give /dev/null as stdin without -i; chapter 00's runtime passes its stdin on).
class TerminalStep : public Step {
 public:
  /// @param console_socket where to send the terminal's master instead of relaying it
  /// (a unix socket's path, as runc's --console-socket); empty: relay it.
  explicit TerminalStep(std::string console_socket = {}) : console_socket_(std::move(console_socket)) {}
  std::string_view name() const override { return "terminal"; }
  Slot slot() const override { return Slot::terminal; }
  void add_flags(CLI::App& run) override;
  /// spec.process.terminal and open_stdin from -t and -i, and TERM=xterm with -t.
  /// @throws Error (exit 1, as docker) for -it when stdin is not a terminal.
  void to_spec(ContainerSpec& spec) override;
  /// The socket the master travels over, and the window size the terminal starts with.
  void before_clone(Container& container) override;
  /// Closes the parent's copy of the child's end.
  void after_clone(Container& container, pid_t child) override;
  /// The pty pair, the master sent, the slave as controlling terminal and stdin/out/err.
  void in_child(Container& container) override;
  /// Receives the master; raw mode (with -i, when stdin is a terminal); starts the relay.
  void after_start(Container& container, pid_t child) noexcept override;
  /// Waits for the relay to drain the output, then restores the terminal's mode.
  void after_exit(Container& container) noexcept override;

 private:
  std::string console_socket_;
  bool tty_ = false;
  bool interactive_ = false;
  UniqueFd parent_end_;              ///< receives the master (relay mode)
  UniqueFd child_end_;               ///< the child sends the master here (or the console socket)
  std::optional<winsize> size_;      ///< process.consoleSize, else the host terminal's size at the start
  std::optional<RawMode> raw_;       ///< the host terminal in raw mode while the container runs
  std::unique_ptr<TerminalRelay> relay_;
};

}  // namespace dockling::ch03
