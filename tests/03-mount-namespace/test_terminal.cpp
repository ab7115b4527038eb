// Chapter 03: -t and -i. The runtime runs at a real terminal (a pty the test holds, as a
// terminal emulator would): the command gets a terminal of the container's own devpts, the
// user types at it, window sizes follow, and the user's terminal gets its mode back.
//
// The terminal is not the exercise, but every test that runs a container goes through
// ch03::pivot_into, and fails on its stub: those carry _Exercise, as the chapter's other
// tests that run a container do (scripts/honesty checks both ways).
#include <dirent.h>
#include <signal.h>
#include <termios.h>

#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "dockling/pty_session.hpp"
#include "dockling/testing.hpp"

namespace {

using namespace dockling::testing;
using std::chrono::milliseconds;

/// `ch03-mount-namespace run FLAGS... ROOTFS COMMAND...`
std::vector<std::string> ch03(const std::vector<std::string>& flags, const std::vector<std::string>& command) {
  std::vector<std::string> argv = {bin("ch03-mount-namespace"), "run"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.push_back(rootfs());
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

/// The host's pids whose parent is `parent` (the runtime's child: the container's PID 1).
std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> children;
  DIR* proc = ::opendir("/proc");
  while (dirent* entry = ::readdir(proc)) {
    std::string name = entry->d_name;
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    if (parent_of(name) == parent) children.push_back(std::stoi(name));
  }
  ::closedir(proc);
  return children;
}

/// The shell's prompt as busybox's ash prints it at a terminal.
constexpr const char* kPrompt = "/ # ";

class Terminal : public ::testing::Test {
 protected:
  void SetUp() override { before_ = host_mounts(); }
  void TearDown() override { EXPECT_EQ(host_mounts(), before_) << "a mount leaked out of the container"; }

 private:
  std::string before_;
};

TEST_F(Terminal, InteractiveShellTakesTypedCommandsAndExitsWithTheirCode_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  PtySession user(ch03({"-it"}, {"sh"}));
  termios before = user.mode();
  ASSERT_TRUE(user.expect(kPrompt)) << user.output();
  EXPECT_FALSE(user.mode().c_lflag & ICANON) << "the user's terminal is not in raw mode while the container runs";
  user.type("echo $((6*7))\r");
  EXPECT_TRUE(user.expect("\r\n42\r\n")) << user.output();
  user.type("exit 3\r");
  EXPECT_EQ(user.wait(), 3) << user.output();
  EXPECT_TRUE(same_mode(user.mode(), before)) << "the user's terminal mode was not restored";
}

TEST_F(Terminal, TheCommandsTerminalComesFromTheContainersDevptsAndIsItsControllingTerminal_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  // pts/0 of a devpts with one terminal: the container's own instance, not the host's. `ps`
  // shows the shell's controlling terminal (136,0 is /dev/pts/0), `tty` its stdin's.
  PtySession user(ch03({"-it"}, {"sh", "-c", "tty; ls -1 /dev/pts; ps -o pid,tty,comm; echo err >&2"}));
  EXPECT_EQ(user.wait(), 0) << user.output();
  EXPECT_NE(user.output().find("/dev/pts/0\r\n"), std::string::npos) << user.output();
  EXPECT_NE(user.output().find("\r\n0\r\nptmx\r\n"), std::string::npos) << user.output();
  EXPECT_NE(user.output().find("    1 136,0  sh"), std::string::npos) << user.output();
  EXPECT_NE(user.output().find("err\r\n"), std::string::npos) << "stderr goes to the terminal too:\n" << user.output();
}

TEST_F(Terminal, WindowSizeAtTheStartAndAfterAResize_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  PtySession user(ch03({"-it"}, {"sh"}), 30, 100);
  ASSERT_TRUE(user.expect(kPrompt)) << user.output();
  user.type("stty size\r");
  EXPECT_TRUE(user.expect("\r\n30 100\r\n")) << user.output();
  user.resize(40, 120);  // SIGWINCH to the runtime, which passes the size on
  bool resized = false;
  for (int attempt = 0; attempt < 10 && !resized; ++attempt) {
    user.type("stty size\r");
    resized = user.expect("\r\n40 120\r\n", milliseconds(1000));
  }
  EXPECT_TRUE(resized) << user.output();
  user.type("exit\r");
  EXPECT_EQ(user.wait(), 0) << user.output();
}

TEST_F(Terminal, ModeIsRestoredWhenTheContainerIsKilled_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  PtySession user(ch03({"-it"}, {"sh"}));
  termios before = user.mode();
  ASSERT_TRUE(user.expect(kPrompt)) << user.output();
  ASSERT_FALSE(user.mode().c_lflag & ICANON);
  auto container = children_of(user.pid());
  ASSERT_EQ(container.size(), 1u);
  ::kill(container[0], SIGKILL);
  EXPECT_EQ(user.wait(), 128 + SIGKILL) << user.output();
  EXPECT_TRUE(same_mode(user.mode(), before)) << "the user's terminal stayed raw";
}

TEST_F(Terminal, ModeIsRestoredWhenTheCommandIsNotFound_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  PtySession user(ch03({"-it"}, {"no-such-command"}));
  termios before = user.mode();
  EXPECT_EQ(user.wait(), 127) << user.output();
  EXPECT_TRUE(same_mode(user.mode(), before));
}

TEST_F(Terminal, TtyWithoutInteractiveGivesATerminalButNoInput_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  // Docker's -t alone: the command's stdin is the terminal, TERM is set, but what the user
  // types is not passed on, and the user's terminal stays as it was (Ctrl-C is a signal to the
  // runtime, which forwards it).
  PtySession user(ch03({"-t"}, {"sh", "-c", "test -t 0 && echo stdin-is-a-tty; echo TERM=$TERM; read -t 2 line; echo read=$?"}));
  termios before = user.mode();
  // Not raw: the user's terminal adds its own \r to the container terminal's \r\n.
  ASSERT_TRUE(user.expect("stdin-is-a-tty\r")) << user.output();
  EXPECT_TRUE(user.mode().c_lflag & ICANON) << "-t without -i put the user's terminal in raw mode";
  user.type("typed\r");
  EXPECT_TRUE(user.expect("TERM=xterm\r")) << user.output();
  EXPECT_EQ(user.wait(), 0) << user.output();
  EXPECT_EQ(user.output().find("read=0"), std::string::npos) << "the command read typed input:\n" << user.output();
  EXPECT_TRUE(same_mode(user.mode(), before));
}

TEST_F(Terminal, InteractiveWithInitKeepsTheTerminalForTheCommand_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  PtySession user(ch03({"-it", "--init"}, {"sh"}));
  ASSERT_TRUE(user.expect(kPrompt)) << user.output();
  user.type("echo $((6*7)); ps -o pid,tty,comm\r");
  EXPECT_TRUE(user.expect("\r\n42\r\n")) << user.output();
  EXPECT_TRUE(user.expect("    1 136,0  init")) << user.output();
  user.type("exit 3\r");
  EXPECT_EQ(user.wait(), 3) << user.output();
}

TEST_F(Terminal, WithInitTheCommandIsTheTerminalsForegroundGroup_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  // As tini: the command (PID 2) in a process group of its own, which the terminal serves;
  // ^C reaches it alone, the init does not get it too.
  PtySession user(ch03({"-t", "--init"}, {"sh", "-c", "ps -o pid,pgid,comm; cat /proc/self/stat"}));
  EXPECT_EQ(user.wait(), 0) << user.output();
  EXPECT_TRUE(user.expect("    2     2 sh")) << user.output();
  // /proc/self/stat of cat (sh exec'd it as PID 2): parent 1, group 2, session 1 (the init's),
  // terminal 34816 (136,0: /dev/pts/0), and 2 the terminal's foreground group.
  EXPECT_NE(user.output().find("2 (cat) R 1 2 1 34816 2 "), std::string::npos) << user.output();
}

TEST_F(Terminal, CtrlCReachesTheCommandThroughTheContainersTerminal_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  PtySession user(ch03({"-it"}, {"sh"}));
  ASSERT_TRUE(user.expect(kPrompt)) << user.output();
  user.type("sleep 30; echo not-$((6*7))\r");
  std::this_thread::sleep_for(milliseconds(300));
  user.type("\x03");  // in raw mode a byte like any other; the container's terminal makes it SIGINT
  EXPECT_TRUE(user.expect(kPrompt)) << user.output();
  user.type("exit $?\r");
  EXPECT_EQ(user.wait(milliseconds(10000)), 128 + SIGINT) << "sleep ended by SIGINT:\n" << user.output();
  EXPECT_EQ(user.output().find("not-42"), std::string::npos) << user.output();
}

TEST_F(Terminal, AllOutputArrivesBeforeRunReturns_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  auto r = run(ch03({"-t"}, {"sh", "-c", "seq 1 30000"}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string expected;
  for (int i = 1; i <= 30000; ++i) expected += std::to_string(i) + "\r\n";  // the terminal's ONLCR
  EXPECT_EQ(r.out, expected);
}

TEST_F(Terminal, InteractiveTtyNeedsAUserTerminal) {
  DOCKLING_REQUIRE_ROOT();
  auto r = run(ch03({"-it"}, {"true"}), milliseconds(30000), "echo hi\n");
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_NE(r.err.find("the input device is not a TTY"), std::string::npos) << r;
}

TEST_F(Terminal, InteractiveWithoutTtyPassesStdinAsItIs_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  auto r = run(ch03({"-i"}, {"sh", "-c", "test -t 0 || echo not-a-tty; cat"}), milliseconds(30000), "hello\n");
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "not-a-tty\nhello\n");
}

TEST_F(Terminal, TermFromTheUserWins_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  auto r = run(ch03({"-t", "-e", "TERM=vt100"}, {"sh", "-c", "echo $TERM"}));
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "vt100\r\n");
  auto plain = run(ch03({}, {"sh", "-c", "echo TERM=$TERM"}));
  EXPECT_EQ(plain.out, "TERM=\n") << "TERM without -t";
}

}  // namespace
