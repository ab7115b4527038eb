/// @file pty_session.hpp
/// @brief A command run at a terminal, for tests of `run -it`: a pseudo-terminal pair whose
/// slave is the command's stdin, stdout, stderr and controlling terminal, as a terminal
/// emulator or sshd sets it up, while the test plays the user at the master.
#pragma once

#include <sys/types.h>
#include <termios.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "dockling/fd.hpp"

namespace dockling::testing {

/// True when two terminal modes are the same: flags, line discipline, control characters
/// and speeds.
bool same_mode(const termios& a, const termios& b);

/// A command started in a new session whose controlling terminal is a new pty, of a given
/// window size. The test types at the master and reads what the command prints. The harness
/// keeps its own copy of the slave open, so the terminal outlives the command and its mode
/// can be read after it ended. The destructor kills the session's process group.
class PtySession {
 public:
  /// Starts argv (argv[0] an absolute path) at a new terminal of `rows` × `columns`.
  explicit PtySession(const std::vector<std::string>& argv, unsigned short rows = 24, unsigned short columns = 80);
  ~PtySession();
  PtySession(const PtySession&) = delete;
  PtySession& operator=(const PtySession&) = delete;

  /// Types `keys` at the terminal (a user presses Enter as "\r").
  void type(std::string_view keys);
  /// Reads the command's output until `text` appears after what earlier calls matched;
  /// true when it did, false at the time-out or once the command ended without it
  /// (output() shows what came).
  bool expect(std::string_view text, std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));
  /// Changes the terminal's window size: the kernel sends SIGWINCH to its foreground process group.
  void resize(unsigned short rows, unsigned short columns);
  /// The terminal's mode now (tcgetattr on the harness's copy of the slave).
  termios mode() const;
  /// Waits for the command to end, reading its output meanwhile; returns its exit code
  /// (128+N when killed by signal N), or -1 at the time-out (then the session is killed).
  int wait(std::chrono::milliseconds timeout = std::chrono::milliseconds(30000));
  /// Everything the command printed so far.
  const std::string& output() const { return output_; }
  /// The command's process id (also its session and process group).
  pid_t pid() const { return pid_; }

 private:
  bool read_some(std::chrono::milliseconds timeout);
  bool ended() const;

  UniqueFd master_;
  UniqueFd slave_;
  pid_t pid_ = -1;
  std::string output_;
  size_t matched_ = 0;  ///< output_ before this was matched by expect() already
};

}  // namespace dockling::testing
