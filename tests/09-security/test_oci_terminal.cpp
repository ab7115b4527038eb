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

#include "dockling/fs.hpp"
#include "dockling/pty_session.hpp"
#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"
#include "bundle.hpp"

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
