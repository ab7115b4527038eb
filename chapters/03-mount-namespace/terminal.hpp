/// @file terminal.hpp
/// @brief Pseudo-terminals for `run -t`: a pty pair from the container's own devpts, a file
/// descriptor handed over a unix socket (SCM_RIGHTS), the host terminal in raw mode, and the
/// relay that copies between the host's terminal and the container's.
#pragma once

#include <sys/ioctl.h>
#include <termios.h>

#include <csignal>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "dockling/fd.hpp"

namespace dockling::ch03 {

/// Both ends of a pseudo-terminal pair. See pty(7).
struct PtyPair {
  UniqueFd master;  ///< the runtime's end: what it writes is typed, what it reads was printed
  UniqueFd slave;   ///< the command's end: its stdin, stdout, stderr and controlling terminal
};

/// Opens a new pair from the devpts instance that /dev/ptmx of the current root leads to (in
/// the container: its own, mounted by mount_dev). The master comes from /dev/ptmx; unlockpt;
/// the slave is opened with ioctl(TIOCGPTPEER), from the master itself, so no path in the
/// container's /dev/pts can steer it elsewhere. Both ends are O_NOCTTY and O_CLOEXEC.
/// @throws SysError naming the call.
PtyPair open_pty();

/// In the child: a new session (setsid(2)) whose controlling terminal is `slave`
/// (ioctl TIOCSCTTY), and `slave` as file descriptors 0, 1 and 2.
/// @throws SysError naming the call.
void attach_terminal(int slave);

/// Sends `fd` over the connected unix socket `socket` (SCM_RIGHTS), with `name` as the
/// message's bytes, as runc hands a console to its --console-socket ("/dev/ptmx").
/// @throws SysError for a failed sendmsg(2).
void send_fd(int socket, int fd, const std::string& name);

/// Receives one file descriptor that send_fd sent (O_CLOEXEC set on it).
/// @throws Error when the peer closed the socket without one, SysError for recvmsg(2).
UniqueFd receive_fd(int socket);

/// Connects to the unix socket at `path`, a stream as runc's --console-socket is: send_fd
/// then hands it the terminal's master.
/// @throws Error for a path too long for a socket address, SysError for socket(2) or connect(2).
UniqueFd connect_console_socket(const std::string& path);

/// The window size of the runtime's terminal: its stdin's, else its stdout's; nullopt when
/// neither is a terminal.
std::optional<winsize> host_window_size();

/// While alive, the terminal `fd` in raw mode (cfmakeraw(3)): no echo, no line editing, no
/// signals from ^C or ^Z and no output processing. Every byte a user types goes as it is to
/// the container's terminal, whose own line discipline does all of that. The destructor
/// restores the mode found at construction.
class RawMode {
 public:
  /// Saves the mode of `fd` and makes it raw.
  /// @throws SysError when `fd` is not a terminal.
  explicit RawMode(int fd);
  RawMode(const RawMode&) = delete;
  RawMode& operator=(const RawMode&) = delete;
  ~RawMode();

 private:
  int fd_;
  termios saved_{};
};

/// A thread that copies what the container prints (its terminal's master) to `out`, and with
/// `in` set what the user types to the master; on SIGWINCH it copies the host terminal's
/// window size to the master (the kernel then signals the container's foreground process).
///
/// The output ends when reading the master fails with EIO: every copy of the slave is closed,
/// so every process of the container is gone. finish() waits for that, so that all the
/// output is written before `run` returns.
class TerminalRelay {
 public:
  /// Starts the thread. `in` is -1 without -i. Installs a SIGWINCH handler (the previous
  /// one comes back in finish()).
  /// @param master the container's terminal master, owned by the relay from now on
  /// @param in where typed input comes from (the runtime's stdin), or -1
  /// @param out where the container's output goes (the runtime's stdout)
  TerminalRelay(UniqueFd master, int in, int out);
  TerminalRelay(const TerminalRelay&) = delete;
  TerminalRelay& operator=(const TerminalRelay&) = delete;
  /// Calls finish().
  ~TerminalRelay();

  /// Stops reading input, waits until the master reports the end of output (or until no output
  /// came for `quiet`, when some process still holds the slave), then joins the thread and
  /// restores the SIGWINCH handler. Safe to call twice.
  void finish(std::chrono::milliseconds quiet = std::chrono::milliseconds(2000)) noexcept;

 private:
  void loop() noexcept;

  UniqueFd master_;
  int in_;
  int out_;
  UniqueFd stop_;  ///< an eventfd: finish() asks the loop to wind down
  Pipe winch_;     ///< the SIGWINCH handler writes a byte here, the loop reads it
  std::atomic<long> quiet_ms_{2000};
  struct sigaction previous_winch_ {};
  std::thread thread_;
};

}  // namespace dockling::ch03
