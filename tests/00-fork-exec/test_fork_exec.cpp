// Chapter 00: spawn, wait, decode; and the ch00-fork-exec binary's exit codes and signals.
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <random>

#include <gtest/gtest.h>

#include "dockling/fd.hpp"
#include "dockling/testing.hpp"
#include "fork_exec.hpp"

namespace {

using namespace dockling;
using dockling::testing::bin;
using dockling::testing::run;

int random_code() {
  static std::mt19937 rng{std::random_device{}()};
  return std::uniform_int_distribution<int>(1, 120)(rng);
}

/// A real wait status: fork a child that runs `body`, reap it with waitpid.
template <typename Body>
int status_of(Body body) {
  pid_t pid = fork();
  if (pid == 0) {
    body();
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

TEST(ExitCodeFromStatus, PassesTheExitCodeThrough_Exercise) {
  int code = random_code();
  EXPECT_EQ(ch00::exit_code_from_status(status_of([code] { _exit(code); })), code);
  EXPECT_EQ(ch00::exit_code_from_status(status_of([] { _exit(0); })), 0);
}

TEST(ExitCodeFromStatus, KilledBySignalIs128PlusTheSignal_Exercise) {
  EXPECT_EQ(ch00::exit_code_from_status(status_of([] { raise(SIGKILL); })), 128 + SIGKILL);
  EXPECT_EQ(ch00::exit_code_from_status(status_of([] { raise(SIGTERM); })), 128 + SIGTERM);
}

TEST(Spawn, RunsTheCommandAndWaitReturnsItsStatus_Exercise) {
  int code = random_code();
  Pipe errors = make_pipe();
  pid_t pid = ch00::spawn({"sh", "-c", "exit " + std::to_string(code)}, errors.write.get());
  ASSERT_GT(pid, 0);
  errors.write.reset();
  EXPECT_EQ(read_all(errors.read.get()), "") << "exec succeeded, so nothing is reported";
  int status = ch00::wait_for_exit(pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), code);
}

TEST(Spawn, ReportsTheErrnoOfAFailedExec_Exercise) {
  Pipe errors = make_pipe();
  pid_t pid = ch00::spawn({"dockling-no-such-command"}, errors.write.get());
  errors.write.reset();
  std::string report = read_all(errors.read.get());
  int status = ch00::wait_for_exit(pid);
  ASSERT_EQ(report.size(), sizeof(int)) << "the child must write its errno as one int";
  int err = 0;
  report.copy(reinterpret_cast<char*>(&err), sizeof err);
  EXPECT_EQ(err, ENOENT);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 127);
}

void ignore_alarm(int) {}

TEST(WaitForExit, WaitsAgainWhenASignalInterruptsIt_Exercise) {
  // A handler installed without SA_RESTART makes waitpid fail with EINTR when it runs.
  struct sigaction action {}, old {};
  action.sa_handler = ignore_alarm;
  sigaction(SIGALRM, &action, &old);
  Pipe errors = make_pipe();
  pid_t pid = ch00::spawn({"sh", "-c", "sleep 0.4; exit 5"}, errors.write.get());
  itimerval timer{};
  timer.it_value.tv_usec = 50'000;     // first alarm after 50 ms,
  timer.it_interval.tv_usec = 50'000;  // then every 50 ms while we wait
  setitimer(ITIMER_REAL, &timer, nullptr);
  int status = -1;
  EXPECT_NO_THROW(status = ch00::wait_for_exit(pid));
  timer = {};
  setitimer(ITIMER_REAL, &timer, nullptr);
  sigaction(SIGALRM, &old, nullptr);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 5);
}

// ---- the binary ----

TEST(Ch00Binary, ExitCodePassesThrough_Exercise) {
  int code = random_code();
  auto r = run({bin("ch00-fork-exec"), "run", "sh", "-c", "echo out; exit " + std::to_string(code)});
  EXPECT_EQ(r.exit_code, code) << r;
  EXPECT_EQ(r.out, "out\n");
}

TEST(Ch00Binary, NotFoundIs127AndNamesTheCommand_Exercise) {
  auto r = run({bin("ch00-fork-exec"), "run", "dockling-no-such-command"});
  EXPECT_EQ(r.exit_code, 127) << r;
  EXPECT_NE(r.err.find("dockling-no-such-command"), std::string::npos) << r;
  EXPECT_NE(r.err.find("not found"), std::string::npos) << r;
}

TEST(Ch00Binary, NotExecutableIs126_Exercise) {
  auto r = run({bin("ch00-fork-exec"), "run", "/etc/passwd"});
  EXPECT_EQ(r.exit_code, 126) << r;
  EXPECT_NE(r.err.find("/etc/passwd"), std::string::npos) << r;
}

TEST(Ch00Binary, KilledBySignalIs128PlusSignal_Exercise) {
  auto r = run({bin("ch00-fork-exec"), "run", "sh", "-c", "kill -KILL $$"});
  EXPECT_EQ(r.exit_code, 128 + SIGKILL) << r;
}

TEST(Ch00Binary, MissingCommandIsAUsageError125) {
  auto r = run({bin("ch00-fork-exec"), "run"});
  EXPECT_EQ(r.exit_code, 125) << r;
  // CLI11's errors too carry the program's name, in one line, like every other error.
  EXPECT_EQ(r.err, "ch00-fork-exec: COMMAND is required (see 'ch00-fork-exec run --help')\n") << r;
}

class Ch00Forwarding : public ::testing::TestWithParam<int> {};

TEST_P(Ch00Forwarding, SignalToTheRuntimeReachesTheCommand_Exercise) {
  int signal = GetParam();
  int code = random_code();
  std::string script = "trap 'exit " + std::to_string(code) + "' " + std::to_string(signal) +
                       "; echo ready; while :; do sleep 0.05; done";
  dockling::testing::Background runtime({bin("ch00-fork-exec"), "run", "sh", "-c", script});
  ASSERT_EQ(runtime.read_line(), "ready");
  runtime.signal(signal);
  auto r = runtime.wait(dockling::testing::milliseconds(10000));
  EXPECT_EQ(r.exit_code, code) << "the command's trap should have run\n" << r;
}

INSTANTIATE_TEST_SUITE_P(Signals, Ch00Forwarding, ::testing::Values(SIGINT, SIGTERM, SIGHUP),
                         [](const auto& info) { return std::string(sigabbrev_np(info.param)); });

}  // namespace
