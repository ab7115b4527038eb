/// @file process.hpp
/// @brief RAII for child processes: a child that is not waited for is killed and reaped.
#pragma once

#include <sys/types.h>

#include <utility>

namespace dockling {

/// Owns a child process. If it has not been marked reaped when the owner goes away (an
/// exception unwinds, a test fails), it is killed with SIGKILL and reaped, so no process
/// outlives its owner.
class Child {
 public:
  Child() = default;
  /// Takes ownership of the child `pid` (-1 means none).
  explicit Child(pid_t pid) noexcept : pid_(pid) {}
  /// Takes over `other`'s child.
  Child(Child&& other) noexcept : pid_(std::exchange(other.pid_, -1)) {}
  /// Kills and reaps the held child, then takes over `other`'s.
  Child& operator=(Child&& other) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() { kill_and_reap(); }

  /// The child's pid, or -1.
  pid_t pid() const noexcept { return pid_; }
  /// Call once the child has been waited for elsewhere: the destructor then leaves it alone.
  void mark_reaped() noexcept { pid_ = -1; }
  /// Sends SIGKILL and waits for the child, if one is held. Never throws.
  void kill_and_reap() noexcept;

 private:
  pid_t pid_ = -1;
};

}  // namespace dockling
