/// @file stalling_proxy.hpp
/// @brief A TCP relay for tests: forwards what clients send to a server until a budget of
/// bytes is spent, then holds the rest. A push through it stops at a known point, where the
/// test can kill the client or the server while a blob is half uploaded.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "dockling/fd.hpp"

namespace dockling::ch12 {

/// Listens on 127.0.0.1 (a port the kernel picks) and relays each connection to `target`.
class StallingProxy {
 public:
  /// Relays to `target` ("127.0.0.1:PORT"); client-to-server bytes stop after `budget`.
  StallingProxy(const std::string& target, std::uint64_t budget);
  /// Closes every connection (both sides) and joins the threads.
  ~StallingProxy();
  StallingProxy(const StallingProxy&) = delete;
  StallingProxy& operator=(const StallingProxy&) = delete;

  /// "127.0.0.1:PORT" to give clients.
  const std::string& address() const { return address_; }
  /// True once the budget is spent: the server got exactly `budget` bytes from clients.
  bool stalled() const { return forwarded_.load() >= budget_; }

 private:
  void accept_loop();
  void relay(UniqueFd client);

  std::string target_;
  std::uint64_t budget_;
  std::atomic<std::uint64_t> forwarded_{0};
  std::string address_;
  UniqueFd listener_;
  UniqueFd stop_;  ///< an eventfd: readable once the proxy closes
  std::mutex threads_mutex_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

}  // namespace dockling::ch12
