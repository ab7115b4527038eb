// Chapter 02: the exercise run_init() tested directly, in a forked process of the test that
// plays PID 1. It is made a child subreaper (PR_SET_CHILD_SUBREAPER): the orphans of its
// children come to it, as they come to PID 1 in a PID namespace, without needing root.
#include <poll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <functional>
#include <random>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "dockling/fd.hpp"
#include "dockling/process.hpp"
#include "init.hpp"
#include "init_loop.hpp"
#include "signal_forwarder.hpp"

namespace {

using namespace std::chrono_literals;
using dockling::Child;

constexpr int kInitThrew = 200;  ///< the init's exit code when run_init threw

int random_between(int low, int high) {
  static std::mt19937 engine{std::random_device{}()};
  return std::uniform_int_distribution<int>(low, high)(engine);
}

/// Forks the process under test, "the init": a child subreaper that blocks init_signals(),
/// forks `command` (which runs with default signal handling and returns its exit code) and
/// ends with run_init's result, or kInitThrew. `before` runs in the init before the fork.
Child start_init_process(const std::function<int()>& command,
                         const std::function<void()>& before = {}) {
  pid_t test = getpid();
  pid_t init = fork();
  if (init < 0) throw std::runtime_error("fork failed");
  if (init > 0) return Child(init);

  // Dies with the test. (If the parent is already gone, no signal will come: leave now.)
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != test) ::_exit(kInitThrew);
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  ::signal(SIGCHLD, SIG_DFL);
  if (before) before();
  sigset_t signals = dockling::ch02::init_signals();
  sigset_t previous;
  ::sigprocmask(SIG_BLOCK, &signals, &previous);
  pid_t self = getpid();
  pid_t child = fork();
  if (child == 0) {
    // Dies with the init; a stub's init may already be gone, and a command left running
    // would hold the test's pipes open.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != self) ::_exit(kInitThrew);
    ::sigprocmask(SIG_SETMASK, &previous, nullptr);
    ::_exit(command());
  }
  int code = kInitThrew;
  try {
    code = dockling::ch02::run_init(child);
  } catch (...) {
    ::kill(child, SIGKILL);  // the stub threw: end the command, and reap it below
  }
  // Reap what is left before leaving, so that nothing is handed to the host's init.
  while (::waitpid(-1, nullptr, code == kInitThrew ? 0 : WNOHANG) > 0) {
  }
  ::_exit(code);
}

/// Waits at most `timeout` for `process` to end; its docker exit code, or -1 on time-out
/// (the Child then kills it).
int wait_exit_code(Child& process, std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    pid_t pid = ::waitpid(process.pid(), &status, WNOHANG);
    if (pid == process.pid()) {
      process.mark_reaped();
      return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
    }
    std::this_thread::sleep_for(5ms);
  }
  return -1;
}

/// Reads one int from `fd`, waiting at most `timeout`; -1 on time-out or end of file.
int read_int(int fd, std::chrono::milliseconds timeout = 5s) {
  pollfd ready{fd, POLLIN, 0};
  if (::poll(&ready, 1, static_cast<int>(timeout.count())) != 1) return -1;
  int value = -1;
  if (::read(fd, &value, sizeof value) != sizeof value) return -1;
  return value;
}

void write_int(int fd, int value) { [[maybe_unused]] ssize_t n = ::write(fd, &value, sizeof value); }

TEST(RunInit, ReturnsTheCommandsExitCode_Exercise) {
  int code = random_between(1, 120);
  Child init = start_init_process([code] { return code; });
  EXPECT_EQ(wait_exit_code(init), code);
}

TEST(RunInit, GivesOneHundredTwentyEightPlusTheSignalThatKilledTheCommand_Exercise) {
  const int choices[] = {SIGKILL, SIGALRM, SIGPIPE, SIGUSR1};
  int signal = choices[random_between(0, 3)];
  Child init = start_init_process([signal] {
    ::kill(getpid(), signal);
    ::pause();
    return 0;
  });
  EXPECT_EQ(wait_exit_code(init), 128 + signal) << "killed by signal " << signal;
}

TEST(RunInit, WaitsForTheCommandNotForTheFirstChildThatEnds_Exercise) {
  int code = random_between(1, 120);
  // Another child of the init ends first, with another code; only the command's counts.
  Child init = start_init_process(
      [code] {
        std::this_thread::sleep_for(200ms);
        return code;
      },
      [code] {
        if (fork() == 0) ::_exit(code + 1);
      });
  EXPECT_EQ(wait_exit_code(init), code);
}

TEST(RunInit, ReapsOrphansWhileTheCommandRuns_Exercise) {
  int code = random_between(1, 120);
  // The command makes an orphan (a grandchild whose parent has ended) that ends at once: it
  // becomes the init's child and a zombie. The command watches /proc/ORPHAN, which exists as
  // long as the zombie is not reaped, and ends with `code` once it is gone, 251 if it stays.
  Child init = start_init_process([code] {
    dockling::Pipe pipe = dockling::make_pipe();
    pid_t middle = fork();
    if (middle == 0) {
      pid_t orphan = fork();
      if (orphan == 0) ::_exit(0);
      write_int(pipe.write.get(), orphan);
      ::_exit(0);
    }
    ::waitpid(middle, nullptr, 0);
    int orphan = read_int(pipe.read.get());
    if (orphan <= 0) return 250;
    std::string path = "/proc/" + std::to_string(orphan);
    auto deadline = std::chrono::steady_clock::now() + 5s;
    struct stat st;
    while (::stat(path.c_str(), &st) == 0) {
      if (std::chrono::steady_clock::now() > deadline) return 251;  // still a zombie
      std::this_thread::sleep_for(10ms);
    }
    return code;
  });
  int result = wait_exit_code(init);
  EXPECT_NE(result, 251) << "the orphan stayed a zombie: reap every child (waitpid(-1)), not only the command";
  EXPECT_EQ(result, code);
}

// The command reports each signal it gets on a pipe; SIGTERM, sent last, also ends it.
int report_fd = -1;
int code_on_sigterm = 0;

void report_signal(int signal) {
  write_int(report_fd, signal);
  if (signal == SIGTERM) ::_exit(code_on_sigterm);
}

TEST(RunInit, ForwardsTheSixSignalsToTheCommand_Exercise) {
  code_on_sigterm = random_between(1, 120);
  dockling::Pipe pipe = dockling::make_pipe();
  report_fd = pipe.write.get();
  Child init = start_init_process([]() -> int {
    struct sigaction action {};
    action.sa_handler = report_signal;
    sigemptyset(&action.sa_mask);
    for (int signal : dockling::ch00::SignalForwarder::signals()) ::sigaction(signal, &action, nullptr);
    write_int(report_fd, 0);  // ready
    for (;;) ::pause();
  });
  pipe.write.reset();
  ASSERT_EQ(read_int(pipe.read.get()), 0) << "the command did not start";
  for (int signal : {SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGTERM}) {
    ::kill(init.pid(), signal);  // to the init, which must pass it on
    EXPECT_EQ(read_int(pipe.read.get()), signal) << "signal " << signal << " did not reach the command";
  }
  EXPECT_EQ(wait_exit_code(init), code_on_sigterm);
}

}  // namespace
