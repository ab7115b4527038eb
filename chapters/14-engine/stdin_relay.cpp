#include "stdin_relay.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "dockling/log.hpp"
#include "http_server.hpp"
#include "terminal.hpp"

namespace fs = std::filesystem;

namespace dockling::ch14 {

fs::path stdin_socket(const StateRoot& root, const std::string& id) {
  // 16 digits: a socket's path has room for 107 bytes only.
  return root.dir() / "engine" / "stdin" / (id.substr(0, 16) + ".sock");
}

void hand_over_stdin(const StateRoot& root, const std::string& id, int client) {
  fs::path path = stdin_socket(root, id);
  UniqueFd monitor;
  try {
    monitor = ch03::connect_console_socket(path.string());
  } catch (const Error& e) {
    throw Error(fmt::format("container {} takes no input (it was not created with -i): {}", id, e.what()));
  }
  ch03::send_fd(monitor.get(), client, "stdin");
}

StdinRelay::StdinRelay() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw SysError("pipe2", "stdin", errno);
  reading_.reset(fds[0]);
  writing_.reset(fds[1]);
}

StdinRelay::~StdinRelay() { stop(); }

void StdinRelay::start(const fs::path& socket) {
  fs::create_directories(socket.parent_path());
  ch12::http::Listener listener = ch12::http::listen_on("unix:" + socket.string());
  check(::chmod(socket.c_str(), 0600), "chmod", socket.string());
  listener_ = std::move(listener.fd);
  socket_ = socket;
  thread_ = std::thread([this] { serve(); });
}

void StdinRelay::serve() {
  while (!stopping_) {
    UniqueFd connection(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!connection) {
      if (errno == EINTR) continue;
      return;  // stop() shut the listener down
    }
    UniqueFd client;
    try {
      client = ch03::receive_fd(connection.get());
    } catch (const Error& e) {
      log::warning("stdin: {}", e.what());
      continue;
    }
    client_ = client.get();
    char buffer[16384];
    ssize_t n;
    while ((n = ::read(client.get(), buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR)) {
      if (n < 0) continue;
      try {
        write_all(writing_.get(), std::string_view(buffer, static_cast<size_t>(n)));
      } catch (const Error&) {
        break;  // the container closed its stdin
      }
    }
    client_ = -1;
    // The client's input ended: so does the container's (docker's StdinOnce).
    writing_.reset();
    return;
  }
}

void StdinRelay::stop() noexcept {
  if (stopping_.exchange(true)) return;
  if (listener_) ::shutdown(listener_.get(), SHUT_RDWR);
  if (int client = client_; client >= 0) ::shutdown(client, SHUT_RD);
  if (thread_.joinable()) thread_.join();
  if (!socket_.empty()) ::unlink(socket_.c_str());
}

}  // namespace dockling::ch14
