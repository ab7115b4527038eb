/// @file registry_fixture.hpp
/// @brief Registries that run for one test, on a port of 127.0.0.1 the kernel picks: ours
/// (`ch12-registry registry serve`) and the CNCF one (Debian's docker-registry, the peer).
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "dockling/testing.hpp"

namespace dockling::ch12 {

/// A registry process; killed (its process group) when destroyed.
class RunningRegistry {
 public:
  /// `ch12-registry registry serve --addr 127.0.0.1:0 --root ROOT` plus `extra`, started and
  /// waited for until it says where it listens. Fails the test (gtest ASSERT) otherwise:
  /// check HasFatalFailure() after. Its stderr (the access log) goes to ROOT's sibling file
  /// ROOT.log, not to a pipe: a test that makes many requests never fills one and blocks it.
  static std::unique_ptr<RunningRegistry> dockling(const std::filesystem::path& root,
                                                   const std::vector<std::string>& extra = {});
  /// docker-registry with a config written into `dir` (storage in dir/data, deletes on), and
  /// HTTP Basic auth from `htpasswd` (a file of bcrypt entries) when it is not empty.
  static std::unique_ptr<RunningRegistry> cncf(const std::filesystem::path& dir, const std::string& htpasswd = "");

  /// "127.0.0.1:PORT".
  const std::string& address() const { return address_; }
  /// "http://127.0.0.1:PORT".
  std::string url() const { return "http://" + address_; }
  /// SIGTERM, then waits: the rest of its output (stdout; docker-registry's log is there too;
  /// ours's stderr, the log file, is in `err`).
  testing::RunResult stop();
  /// SIGKILL, then waits: a crash, nothing cleaned up (a later start on the same root recovers).
  testing::RunResult kill();
  /// Our registry's stderr so far (its access log); empty for docker-registry.
  std::string log() const;
  /// Whether `text` reaches the log within `limit`: a request's access line is written after
  /// its answer, so the client may be done before the line is there.
  bool log_has(const std::string& text, std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) const;

 private:
  RunningRegistry(std::unique_ptr<testing::Background> process, std::string address, std::filesystem::path log = {})
      : process_(std::move(process)), address_(std::move(address)), log_(std::move(log)) {}
  std::unique_ptr<testing::Background> process_;
  std::string address_;
  std::filesystem::path log_;  ///< where our registry's stderr goes; empty for docker-registry
};

/// Imports the test rootfs (busybox) into the state root `root` as image `name`
/// (`ch12-registry --root ROOT import - NAME`, the tar streamed in).
testing::RunResult import_busybox(const std::string& root, const std::string& name);

}  // namespace dockling::ch12
