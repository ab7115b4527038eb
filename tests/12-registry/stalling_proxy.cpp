#include "stalling_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "dockling/error.hpp"

namespace dockling::ch12 {

namespace {

sockaddr_in ipv4(const std::string& address) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  std::size_t colon = address.rfind(':');
  if (colon == std::string::npos || inet_pton(AF_INET, address.substr(0, colon).c_str(), &addr.sin_addr) != 1)
    throw Error("stalling proxy: not IPV4:PORT: " + address);
  addr.sin_port = htons(static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1))));
  return addr;
}

/// Writes all of `size` bytes; false when the peer is gone.
bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

StallingProxy::StallingProxy(const std::string& target, std::uint64_t budget) : target_(target), budget_(budget) {
  listener_ = UniqueFd(check(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket"));
  sockaddr_in addr = ipv4("127.0.0.1:0");
  check(bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), "bind");
  check(listen(listener_.get(), 16), "listen");
  socklen_t length = sizeof addr;
  check(getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&addr), &length), "getsockname");
  address_ = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  stop_ = UniqueFd(check(eventfd(0, EFD_CLOEXEC), "eventfd"));
  acceptor_ = std::thread([this] { accept_loop(); });
}

StallingProxy::~StallingProxy() {
  std::uint64_t one = 1;
  [[maybe_unused]] ssize_t ignored = write(stop_.get(), &one, sizeof one);
  acceptor_.join();
  std::lock_guard lock(threads_mutex_);
  for (std::thread& thread : threads_) thread.join();
}

void StallingProxy::accept_loop() {
  for (;;) {
    pollfd fds[2] = {{listener_.get(), POLLIN, 0}, {stop_.get(), POLLIN, 0}};
    if (poll(fds, 2, -1) < 0 && errno != EINTR) return;
    if (fds[1].revents) return;
    if (!(fds[0].revents & POLLIN)) continue;
    int client = accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    std::lock_guard lock(threads_mutex_);
    threads_.emplace_back([this, fd = UniqueFd(client)]() mutable { relay(std::move(fd)); });
  }
}

void StallingProxy::relay(UniqueFd client) {
  UniqueFd server(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr = ipv4(target_);
  if (!server || connect(server.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return;
  char buffer[64 * 1024];
  for (;;) {
    bool open = forwarded_.load() < budget_;
    // Once the budget is spent the client's bytes stay in its socket: the upload hangs there.
    pollfd fds[3] = {{client.get(), static_cast<short>(open ? POLLIN : 0), 0}, {server.get(), POLLIN, 0}, {stop_.get(), POLLIN, 0}};
    if (poll(fds, 3, 100) < 0 && errno != EINTR) return;
    if (fds[2].revents) return;
    if (fds[1].revents) {
      ssize_t got = recv(server.get(), buffer, sizeof buffer, 0);
      if (got <= 0 || !write_all(client.get(), buffer, static_cast<std::size_t>(got))) return;
    }
    if (open && fds[0].revents) {
      std::uint64_t left = budget_ - forwarded_.load();
      ssize_t got = recv(client.get(), buffer, static_cast<std::size_t>(std::min<std::uint64_t>(sizeof buffer, left)), 0);
      if (got <= 0) return;
      forwarded_ += static_cast<std::uint64_t>(got);
      if (!write_all(server.get(), buffer, static_cast<std::size_t>(got))) return;
    }
  }
}

}  // namespace dockling::ch12
