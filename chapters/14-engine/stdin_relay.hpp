/// @file stdin_relay.hpp
/// @brief A container's stdin (`docker run -i`): its monitor holds the writing end of a pipe
/// whose reading end is the container's fd 0, and listens on a unix socket for the daemon,
/// which hands it each attached client's connection (SCM_RIGHTS). The monitor then reads what
/// the client types straight from that connection into the pipe; the daemon keeps writing the
/// output on it. When the client's input ends (it shuts down its side) the container's stdin is
/// closed too (docker's StdinOnce), as `echo hi | docker run -i busybox cat` needs.
#pragma once

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>

#include "dockling/fd.hpp"
#include "dockling/state.hpp"

namespace dockling::ch14 {

/// ROOT/engine/stdin/ID16.sock: where the monitor of container `id` takes stdin connections.
std::filesystem::path stdin_socket(const StateRoot& root, const std::string& id);

/// Hands the client connection `client` to the monitor of container `id`, which reads the
/// container's stdin from it. @throws Error when the monitor takes no stdin (no -i).
void hand_over_stdin(const StateRoot& root, const std::string& id, int client);

/// The monitor's side.
class StdinRelay {
 public:
  /// Makes the pipe whose reading end becomes the container's stdin (take_container_end()).
  StdinRelay();
  ~StdinRelay();
  StdinRelay(const StdinRelay&) = delete;
  StdinRelay& operator=(const StdinRelay&) = delete;

  /// The pipe's reading end, for the container's fd 0.
  UniqueFd take_container_end() { return std::move(reading_); }
  /// Listens on `socket` and relays each handed-over connection until its input ends.
  void start(const std::filesystem::path& socket);
  /// Stops listening and relaying, and removes the socket (the container has ended).
  void stop() noexcept;

 private:
  void serve();

  UniqueFd reading_, writing_, listener_;
  std::filesystem::path socket_;
  std::atomic<int> client_{-1};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace dockling::ch14
