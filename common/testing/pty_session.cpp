#include "dockling/pty_session.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <gtest/gtest.h>

#include "dockling/error.hpp"

namespace dockling::testing {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

bool same_mode(const termios& a, const termios& b) {
  return a.c_iflag == b.c_iflag && a.c_oflag == b.c_oflag && a.c_cflag == b.c_cflag && a.c_lflag == b.c_lflag &&
         a.c_line == b.c_line && std::memcmp(a.c_cc, b.c_cc, sizeof a.c_cc) == 0 &&
         ::cfgetispeed(&a) == ::cfgetispeed(&b) && ::cfgetospeed(&a) == ::cfgetospeed(&b);
}

PtySession::PtySession(const std::vector<std::string>& argv, unsigned short rows, unsigned short columns) {
  int master = -1, slave = -1;
  winsize size{rows, columns, 0, 0};
  check(::openpty(&master, &slave, nullptr, nullptr, &size), "openpty");
  master_.reset(master);
  slave_.reset(slave);
  ::fcntl(master, F_SETFD, FD_CLOEXEC);
  ::fcntl(slave, F_SETFD, FD_CLOEXEC);
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_ = check(::fork(), "fork");
  if (pid_ == 0) {
    // A login's set-up: a new session, the terminal as its controlling terminal and stdio.
    if (::setsid() < 0 || ::ioctl(slave, TIOCSCTTY, 0) < 0) ::_exit(96);
    for (int fd = 0; fd <= 2; ++fd) ::dup2(slave, fd);
    ::execv(args[0], args.data());
    ::_exit(95);
  }
}

PtySession::~PtySession() {
  if (pid_ > 0) {
    ::kill(-pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

void PtySession::type(std::string_view keys) {
  while (!keys.empty()) {
    ssize_t n = ::write(master_.get(), keys.data(), keys.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_sys("write", "the terminal's master");
    keys.remove_prefix(static_cast<size_t>(n));
  }
}

bool PtySession::read_some(milliseconds timeout) {
  pollfd fd{master_.get(), POLLIN, 0};
  if (::poll(&fd, 1, static_cast<int>(timeout.count())) <= 0) return false;
  char buffer[4096];
  ssize_t n = ::read(master_.get(), buffer, sizeof buffer);
  if (n <= 0) return false;
  output_.append(buffer, static_cast<size_t>(n));
  return true;
}

bool PtySession::expect(std::string_view text, milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (bool last_look = false;; ) {
    size_t at = output_.find(text, matched_);
    if (at != std::string::npos) {
      matched_ = at + text.size();
      return true;
    }
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0 || last_look) return false;
    if (!read_some(std::min(left, milliseconds(100))) && ended()) {
      while (read_some(milliseconds(0))) {
      }
      last_look = true;  // the command is gone: what it printed is all there will be
    }
  }
}

bool PtySession::ended() const {
  siginfo_t info{};
  // WNOWAIT: look without reaping, wait() still gets the status.
  return pid_ > 0 && ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == pid_;
}

void PtySession::resize(unsigned short rows, unsigned short columns) {
  winsize size{rows, columns, 0, 0};
  check(::ioctl(master_.get(), TIOCSWINSZ, &size), "ioctl", "TIOCSWINSZ");
}

termios PtySession::mode() const {
  termios mode{};
  check(::tcgetattr(slave_.get(), &mode), "tcgetattr", "the terminal's slave");
  return mode;
}

int PtySession::wait(milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  int status = 0;
  for (;;) {
    pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) break;
    if (Clock::now() >= deadline) {
      ::kill(-pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
      return -1;
    }
    read_some(milliseconds(50));
  }
  pid_ = -1;
  while (read_some(milliseconds(0))) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace dockling::testing
