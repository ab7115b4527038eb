// Chapter 09: an OCI bundle's process.terminal, in the foreground beside runc, and with
// --console-socket: the test is the console socket's receiver, as containerd's shim is.
// The tests that start a container reach ch09::drop_capabilities (runc spec's capabilities)
// and fail on its stub: they carry _Exercise; the refusals come before it.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "dockling/error.hpp"
#include "dockling/fs.hpp"
#include "dockling/pty_session.hpp"
#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"
#include "bundle.hpp"
#include "oci_spec.hpp"

namespace {

using namespace dockling::testing;
using nlohmann::json;
using std::chrono::milliseconds;

/// Sets the bundle's process.terminal.
void set_terminal(Bundle& bundle, bool terminal) {
  bundle.config["process"]["terminal"] = terminal;
  bundle.save();
}

/// A listening unix socket in a temporary directory: the console socket's other side.
struct ConsoleSocket {
  dockling::TempDir dir{"ch09-console"};
  std::string path = (dir.path() / "console.sock").string();
  dockling::UniqueFd listening;
  ConsoleSocket() {
    listening.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    EXPECT_EQ(::bind(listening.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0) << std::strerror(errno);
    EXPECT_EQ(::listen(listening.get(), 1), 0);
  }
  /// Accepts the runtime's connection and receives the fd it sends; `name` gets the message.
  dockling::UniqueFd receive(std::string& name) {
    pollfd wait{listening.get(), POLLIN, 0};
    if (::poll(&wait, 1, 10000) != 1) return {};
    dockling::UniqueFd connection(::accept4(listening.get(), nullptr, nullptr, SOCK_CLOEXEC));
    char data[256];
    iovec io{data, sizeof data};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr message{};
    message.msg_iov = &io;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    ssize_t n = ::recvmsg(connection.get(), &message, MSG_CMSG_CLOEXEC);
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    if (n <= 0 || header == nullptr || header->cmsg_type != SCM_RIGHTS) return {};
    name.assign(data, static_cast<size_t>(n));
    int fd;
    std::memcpy(&fd, CMSG_DATA(header), sizeof fd);
    return dockling::UniqueFd(fd);
  }
};

/// Reads `fd` until `text` has come (true) or 10 seconds passed; appends to `seen`.
bool read_until(int fd, const std::string& text, std::string& seen) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (seen.find(text) == std::string::npos) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    pollfd wait{fd, POLLIN, 0};
    if (::poll(&wait, 1, 200) != 1) continue;
    char buffer[4096];
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) return false;
    seen.append(buffer, static_cast<size_t>(n));
  }
  return true;
}

/// A bundle of `sleep 60`, created and started by a runtime (dockling's `oci` or runc) as
/// `id`; deleted at the end. Its stdio is /dev/null: a created container keeps its creator's.
struct Started {
  Bundle bundle{{"/bin/sleep", "60"}};
  dockling::TempDir runc_root{"runc-root"};
  std::vector<std::string> prefix;
  std::string id;
  explicit Started(bool runc)
      : prefix(runc ? std::vector<std::string>{"/usr/sbin/runc", "--root", runc_root.path().string()}
                    : std::vector<std::string>{bin("ch09-security"), "oci"}),
        id(unique_name(runc ? "runc" : "oci")) {
    EXPECT_EQ(quiet({"create", "--bundle", bundle.path(), id}), 0);
    EXPECT_EQ(quiet({"start", id}), 0);
  }
  ~Started() { quiet({"delete", "-f", id}); }
  std::vector<std::string> with(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = prefix;
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  int quiet(const std::vector<std::string>& args) const {
    std::string command;
    for (const auto& part : with(args)) command += "'" + part + "' ";
    return run({"/bin/sh", "-c", command + "</dev/null >/dev/null 2>&1"}).exit_code;
  }
};

TEST(OciTerminal, ExecTtyRelaysATerminalAsRuncs_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  ASSERT_EQ(::access("/usr/sbin/runc", X_OK), 0) << "runc is missing: apt-get install runc";
  Started ours(false), runc(true);
  // No `stty size` here: runc sizes the terminal after the command has started (a race it
  // sometimes loses); ours is sized before, checked below.
  const std::vector<std::string> command = {"sh", "-c", "tty; echo $TERM; echo err >&2"};
  auto exec = [&](const Started& container) {
    std::vector<std::string> args = {"exec", "-t", container.id};
    args.insert(args.end(), command.begin(), command.end());
    return container.with(args);
  };
  PtySession mine(exec(ours), 30, 100);
  PtySession theirs(exec(runc), 30, 100);
  EXPECT_EQ(mine.wait(), 0) << mine.output();
  EXPECT_EQ(theirs.wait(), 0) << theirs.output();
  EXPECT_EQ(mine.output(), "/dev/pts/0\r\nxterm\r\nerr\r\n");
  EXPECT_EQ(mine.output(), theirs.output());

  // Typed at the user's terminal, raw: the container's terminal does the line editing.
  PtySession shell(ours.with({"exec", "-t", ours.id, "sh"}), 30, 100);
  shell.type("stty size\r");
  EXPECT_TRUE(shell.expect("30 100\r\n")) << "the user's terminal's size from the start\n" << shell.output();
  shell.type("echo $((6*7))\r");
  EXPECT_TRUE(shell.expect("42\r\n")) << shell.output();
  termios during = shell.mode();
  EXPECT_EQ(during.c_lflag & ECHO, 0u) << "the user's terminal is raw while the process runs";
  shell.resize(20, 60);
  shell.type("stty size\r");
  EXPECT_TRUE(shell.expect("20 60\r\n")) << shell.output();
  shell.type("exit 3\r");
  EXPECT_EQ(shell.wait(), 3) << shell.output();
  EXPECT_NE(shell.mode().c_lflag & ECHO, 0u) << "the mode is restored";
}

TEST(OciTerminal, ExecTtyWithAConsoleSocketDetached_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  Started ours(false);
  ConsoleSocket console;
  auto detached = run(ours.with({"exec", "-d", "-t", "--console-socket", console.path, ours.id, "sh", "-c",
                                 "tty; read line; echo got-$line; exit 4"}));
  EXPECT_EQ(detached.exit_code, 0) << detached;
  EXPECT_EQ(detached.out, "");
  std::string name;
  dockling::UniqueFd master = console.receive(name);
  ASSERT_TRUE(master);
  EXPECT_EQ(name, "/dev/ptmx");
  std::string seen;
  EXPECT_TRUE(read_until(master.get(), "/dev/pts/0\r\n", seen)) << seen;
  ASSERT_EQ(::write(master.get(), "hello\r", 6), 6);
  EXPECT_TRUE(read_until(master.get(), "got-hello\r\n", seen)) << seen;

  // runc's refusals, in runc's words.
  auto no_socket = run(ours.with({"exec", "-d", "-t", ours.id, "true"}));
  EXPECT_EQ(no_socket.exit_code, 125);
  EXPECT_NE(no_socket.err.find("cannot allocate tty if runc will detach without setting console socket"),
            std::string::npos) << no_socket;
  auto no_tty = run(ours.with({"exec", "--console-socket", console.path, ours.id, "true"}));
  EXPECT_EQ(no_tty.exit_code, 125);
  EXPECT_NE(no_tty.err.find("cannot use console socket if runc will not detach or allocate tty"), std::string::npos)
      << no_tty;
}

TEST(OciTerminal, ConsoleSocketReceivesTheTerminalsMaster_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  Bundle bundle({"sh", "-c", "tty; read line; echo got-$line; exit 4"});
  set_terminal(bundle, true);
  ConsoleSocket console;
  Background runtime({bin("ch09-security"), "oci", "run", "--console-socket", console.path, "--bundle", bundle.path(),
                      unique_name("oci")});
  std::string name;
  dockling::UniqueFd master = console.receive(name);
  ASSERT_TRUE(master) << runtime.wait(milliseconds(5000));
  EXPECT_EQ(name, "/dev/ptmx");  // runc's message: the name of the file sent
  std::string seen;
  EXPECT_TRUE(read_until(master.get(), "/dev/pts/0\r\n", seen)) << seen;
  ASSERT_EQ(::write(master.get(), "hello\r", 6), 6);
  EXPECT_TRUE(read_until(master.get(), "got-hello\r\n", seen)) << seen;
  auto result = runtime.wait();
  EXPECT_EQ(result.exit_code, 4) << result;
  EXPECT_EQ(result.out, "") << "the runtime relays nothing when a console socket takes the terminal";
}

/// Runs argv with /dev/null as its stdio (a created container keeps its creator's); its exit code.
int quietly(const std::vector<std::string>& argv) {
  std::string command;
  for (const auto& part : argv) command += "'" + part + "' ";
  return run({"/bin/sh", "-c", command + "</dev/null >/dev/null 2>&1"}).exit_code;
}

/// process.consoleSize: the terminal is made with that size, as runc makes it (the console
/// socket's receiver sees it; nobody resizes it).
TEST(OciTerminal, ConsoleSizeIsTheTerminalsSizeAsRuncs_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  ASSERT_EQ(::access("/usr/sbin/runc", X_OK), 0) << "runc is missing: apt-get install runc";
  Bundle bundle({"sh", "-c", "stty size"});
  set_terminal(bundle, true);
  bundle.config["process"]["consoleSize"] = {{"height", 33}, {"width", 111}};
  bundle.save();
  std::string name;
  {
    ConsoleSocket console;
    Background ours({bin("ch09-security"), "oci", "run", "--console-socket", console.path, "--bundle", bundle.path(),
                     unique_name("oci")});
    dockling::UniqueFd master = console.receive(name);
    ASSERT_TRUE(master) << ours.wait(milliseconds(5000));
    std::string seen;
    EXPECT_TRUE(read_until(master.get(), "33 111\r\n", seen)) << "dockling: " << seen;
    EXPECT_EQ(ours.wait().exit_code, 0);
  }
  {
    // runc takes a console socket with create (or run -d) only.
    dockling::TempDir runc_root("runc-root");
    std::vector<std::string> runc = {"/usr/sbin/runc", "--root", runc_root.path().string()};
    std::string id = unique_name("runc");
    ConsoleSocket console;
    auto with = [&](std::vector<std::string> args) {
      args.insert(args.begin(), runc.begin(), runc.end());
      return args;
    };
    struct Delete {  // also when an assertion ends the test early
      std::vector<std::string> argv;
      ~Delete() { quietly(argv); }
    } remove{with({"delete", "-f", id})};
    ASSERT_EQ(quietly(with({"create", "--console-socket", console.path, "--bundle", bundle.path(), id})), 0);
    dockling::UniqueFd master = console.receive(name);
    ASSERT_TRUE(master);
    EXPECT_EQ(quietly(with({"start", id})), 0);
    std::string seen;
    EXPECT_TRUE(read_until(master.get(), "33 111\r\n", seen)) << "runc: " << seen;
  }
  {
    // exec --process: the process.json's consoleSize.
    Started container(false);
    dockling::TempDir files("ch09-process");
    std::string file = (files.path() / "process.json").string();
    std::ofstream(file) << json{{"args", {"sh", "-c", "stty size"}},
                                {"cwd", "/"},
                                {"terminal", true},
                                {"consoleSize", {{"height", 44}, {"width", 55}}}}
                               .dump();
    ConsoleSocket console;
    auto exec = run(container.with({"exec", "-d", "--console-socket", console.path, "-p", file, container.id}));
    EXPECT_EQ(exec.exit_code, 0) << exec;
    dockling::UniqueFd master = console.receive(name);
    ASSERT_TRUE(master);
    std::string seen;
    EXPECT_TRUE(read_until(master.get(), "44 55\r\n", seen)) << "exec: " << seen;
  }
}

TEST(OciTerminal, ConsoleSizeIsReadAndABadOneIsNamed) {
  json config = dockling::ch09::default_spec();
  config["process"]["consoleSize"] = {{"height", 33}, {"width", 111}};
  auto bundle = dockling::ch09::parse_bundle(json::parse(config.dump()), "/tmp");
  ASSERT_TRUE(bundle.spec.process.console_size.has_value());
  EXPECT_EQ(bundle.spec.process.console_size->rows, 33);
  EXPECT_EQ(bundle.spec.process.console_size->columns, 111);
  for (const json& bad : {json{{"height", 33}}, json{{"height", "33"}, {"width", 1}}, json{{"height", 70000}, {"width", 1}}}) {
    config["process"]["consoleSize"] = bad;
    try {
      dockling::ch09::parse_bundle(json::parse(config.dump()), "/tmp");
      ADD_FAILURE() << bad << " was accepted";
    } catch (const dockling::Error& e) {
      EXPECT_NE(std::string(e.what()).find("config.json: process.consoleSize."), std::string::npos) << e.what();
    }
  }
}

TEST(OciTerminal, ConsoleSocketWithoutATerminalIsRefused) {
  DOCKLING_REQUIRE_ROOT();
  Bundle bundle({"true"});
  set_terminal(bundle, false);
  ConsoleSocket console;
  auto result = run({bin("ch09-security"), "oci", "run", "--console-socket", console.path, "--bundle", bundle.path(),
                     unique_name("oci")});
  EXPECT_EQ(result.exit_code, 125) << result;
  EXPECT_NE(result.err.find("cannot use console socket"), std::string::npos) << result;
}

TEST(OciTerminal, ForegroundTerminalAsRuncGivesIt_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  // Without a console socket, `runc run` relays the terminal itself, sized as its own.
  Bundle bundle({"sh", "-c", "tty; stty size; echo $TERM; echo err >&2"});
  set_terminal(bundle, true);
  PtySession ours({bin("ch09-security"), "oci", "run", "--bundle", bundle.path(), unique_name("oci")}, 30, 100);
  EXPECT_EQ(ours.wait(), 0) << ours.output();
  EXPECT_EQ(ours.output(), "/dev/pts/0\r\n30 100\r\nxterm\r\nerr\r\n");
  // runc sizes its terminal while the command already runs: now and then `stty size` comes
  // first and fails ("No child processes"). That is runc's race; such a run is tried again.
  std::string theirs_output;
  for (int attempt = 0; attempt < 3; ++attempt) {
    PtySession theirs({"/usr/sbin/runc", "run", "--bundle", bundle.path(), unique_name("runc")}, 30, 100);
    EXPECT_EQ(theirs.wait(), 0) << theirs.output();
    theirs_output = theirs.output();
    if (theirs_output.find("stty: ") == std::string::npos) break;
  }
  EXPECT_EQ(ours.output(), theirs_output);
}

TEST(OciTerminal, TerminalMustBeABoolean) {
  DOCKLING_REQUIRE_ROOT();
  Bundle bundle({"true"});
  set_terminal(bundle, true);
  bundle.config["process"]["terminal"] = "yes";
  bundle.save();
  auto result = run({bin("ch09-security"), "oci", "run", "--bundle", bundle.path(), unique_name("oci")});
  EXPECT_EQ(result.exit_code, 125) << result;
  EXPECT_NE(result.err.find("process.terminal"), std::string::npos) << result;
}

}  // namespace
