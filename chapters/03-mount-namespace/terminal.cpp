#include "terminal.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "dockling/log.hpp"

namespace dockling::ch03 {

namespace {

/// The write end of the running relay's SIGWINCH pipe (a handler can only reach globals).
std::atomic<int> winch_fd{-1};

void on_winch(int) {
  int saved = errno;
  int fd = winch_fd.load();
  if (fd >= 0) {
    [[maybe_unused]] ssize_t n = ::write(fd, "w", 1);
  }
  errno = saved;
}

/// Copies the host terminal's window size to `master`; nothing when there is none.
void copy_window_size(int master) {
  if (auto size = host_window_size()) {
    if (::ioctl(master, TIOCSWINSZ, &*size) < 0) log::debug("parent: TIOCSWINSZ: {}", std::strerror(errno));
  }
}

/// Writes all of `data` to `fd`, waiting when `fd` is non-blocking and full. False on an
/// error (a closed pipe: the reader went away).
bool write_out(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      pollfd wait{fd, POLLOUT, 0};
      ::poll(&wait, 1, -1);
      continue;
    }
    if (n < 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

/// A message of one data buffer and room for one file descriptor (SCM_RIGHTS), as send_fd
/// and receive_fd exchange it: `header` points at `data` and at `control`.
struct FdMessage {
  iovec data;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr header{};

  FdMessage(char* bytes, size_t size) : data{bytes, size} {
    header.msg_iov = &data;
    header.msg_iovlen = 1;
    header.msg_control = control;
    header.msg_controllen = sizeof control;
  }
  FdMessage(const FdMessage&) = delete;  // header points into this object
  FdMessage& operator=(const FdMessage&) = delete;
};

}  // namespace

PtyPair open_pty() {
  PtyPair pair;
  pair.master = UniqueFd(check(::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC), "open", "/dev/ptmx"));
  int unlock = 0;
  check(::ioctl(pair.master.get(), TIOCSPTLCK, &unlock), "ioctl", "TIOCSPTLCK");  // unlockpt(3)
  pair.slave = UniqueFd(check(::ioctl(pair.master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC), "ioctl",
                              "TIOCGPTPEER"));
  return pair;
}

void attach_terminal(int slave) {
  check(::setsid(), "setsid");
  check(::ioctl(slave, TIOCSCTTY, 0), "ioctl", "TIOCSCTTY");
  for (int fd = 0; fd <= 2; ++fd) check(::dup2(slave, fd), "dup2", std::to_string(fd));
}

void send_fd(int socket, int fd, const std::string& name) {
  FdMessage message(const_cast<char*>(name.data()), name.size());
  cmsghdr* header = CMSG_FIRSTHDR(&message.header);
  header->cmsg_level = SOL_SOCKET;
  header->cmsg_type = SCM_RIGHTS;
  header->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(header), &fd, sizeof(int));
  while (::sendmsg(socket, &message.header, MSG_NOSIGNAL) < 0)
    if (errno != EINTR) throw_sys("sendmsg", name);
}

UniqueFd receive_fd(int socket) {
  char name[256];
  FdMessage message(name, sizeof name);
  ssize_t n;
  while ((n = ::recvmsg(socket, &message.header, MSG_CMSG_CLOEXEC)) < 0)
    if (errno != EINTR) throw_sys("recvmsg", "the terminal's master");
  cmsghdr* header = CMSG_FIRSTHDR(&message.header);
  if (n == 0 || header == nullptr || header->cmsg_type != SCM_RIGHTS)
    throw Error("the container did not send its terminal");
  int fd;
  std::memcpy(&fd, CMSG_DATA(header), sizeof(int));
  return UniqueFd(fd);
}

UniqueFd connect_console_socket(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) throw Error(fmt::format("console socket \"{}\": path too long", path));
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  UniqueFd socket(check(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket", "AF_UNIX"));
  check(::connect(socket.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address), "connect", path);
  return socket;
}

std::optional<winsize> host_window_size() {
  for (int fd : {STDIN_FILENO, STDOUT_FILENO}) {
    winsize size{};
    if (::isatty(fd) && ::ioctl(fd, TIOCGWINSZ, &size) == 0) return size;
  }
  return std::nullopt;
}

RawMode::RawMode(int fd) : fd_(fd) {
  check(::tcgetattr(fd, &saved_), "tcgetattr", std::to_string(fd));
  termios raw = saved_;
  ::cfmakeraw(&raw);
  check(::tcsetattr(fd, TCSANOW, &raw), "tcsetattr", std::to_string(fd));
}

RawMode::~RawMode() {
  if (::tcsetattr(fd_, TCSANOW, &saved_) < 0) log::warning("restoring the terminal: tcsetattr: {}", std::strerror(errno));
}

TerminalRelay::TerminalRelay(UniqueFd master, int in, int out)
    : master_(std::move(master)), in_(in), out_(out),
      stop_(check(::eventfd(0, EFD_CLOEXEC), "eventfd")), winch_(make_pipe()) {
  ::fcntl(master_.get(), F_SETFL, ::fcntl(master_.get(), F_GETFL) | O_NONBLOCK);
  ::fcntl(winch_.read.get(), F_SETFL, O_NONBLOCK);
  ::fcntl(winch_.write.get(), F_SETFL, O_NONBLOCK);  // never block in the handler
  winch_fd = winch_.write.get();
  struct sigaction action {};
  action.sa_handler = on_winch;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // the runtime's other waits do not see EINTR for it
  ::sigaction(SIGWINCH, &action, &previous_winch_);
  copy_window_size(master_.get());  // it may have changed since the container got it
  thread_ = std::thread([this] { loop(); });
}

TerminalRelay::~TerminalRelay() { finish(); }

void TerminalRelay::finish(std::chrono::milliseconds quiet) noexcept {
  if (!thread_.joinable()) return;
  quiet_ms_ = quiet.count();
  std::uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(stop_.get(), &one, sizeof one);
  thread_.join();
  ::sigaction(SIGWINCH, &previous_winch_, nullptr);
  winch_fd = -1;
}

void TerminalRelay::loop() noexcept {
  // A reader of our stdout that went away gives EPIPE here rather than killing the runtime.
  sigset_t pipe_signal;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);

  bool reading_input = in_ >= 0, stopping = false, out_ok = true;
  std::string typed;  // read from `in`, not yet written to the master
  char buffer[65536];
  while (true) {
    enum { kMaster, kStop, kWinch, kIn };
    pollfd fds[4] = {{master_.get(), static_cast<short>(POLLIN | (typed.empty() ? 0 : POLLOUT)), 0},
                     {stopping ? -1 : stop_.get(), POLLIN, 0},
                     {winch_.read.get(), POLLIN, 0},
                     {reading_input && typed.size() < sizeof buffer ? in_ : -1, POLLIN, 0}};
    int ready = ::poll(fds, 4, stopping ? static_cast<int>(quiet_ms_.load()) : -1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) {
      log::warning("terminal relay: poll: {}", std::strerror(errno));
      return;
    }
    if (ready == 0) {
      log::debug("parent: terminal: no end of output after {} ms, giving up", quiet_ms_.load());
      return;
    }
    if (fds[kWinch].revents & POLLIN) {
      while (::read(winch_.read.get(), buffer, sizeof buffer) > 0) {
      }
      copy_window_size(master_.get());
    }
    if (fds[kStop].revents & POLLIN) {
      stopping = true;  // the command has ended: no more input, and output until EIO
      reading_input = false;
    }
    if (fds[kMaster].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::read(master_.get(), buffer, sizeof buffer);
      if (n > 0) {
        if (out_ok) out_ok = write_out(out_, buffer, static_cast<size_t>(n));
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        return;  // EIO: every slave is closed, all of the output has been read
      }
    }
    if ((fds[kMaster].revents & POLLOUT) && !typed.empty()) {
      ssize_t n = ::write(master_.get(), typed.data(), typed.size());
      if (n > 0) typed.erase(0, static_cast<size_t>(n));
      else if (n < 0 && errno != EAGAIN && errno != EINTR) typed.clear();
    }
    if (fds[kIn].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::read(in_, buffer, sizeof buffer - typed.size());
      if (n > 0) typed.append(buffer, static_cast<size_t>(n));
      else if (n == 0 || (errno != EAGAIN && errno != EINTR)) reading_input = false;  // end of input
    }
  }
}

}  // namespace dockling::ch03
