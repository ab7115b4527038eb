/// @file error.hpp
/// @brief The error types of dockling: one for bad input, one for failed system calls.
#pragma once

#include <cerrno>
#include <stdexcept>
#include <string>
#include <string_view>

namespace dockling {

/// Docker's exit code when the runtime itself fails (bad flag, failed setup).
inline constexpr int kExitRuntimeFailure = 125;
/// Docker's exit code when the command exists but cannot be run.
inline constexpr int kExitCannotRun = 126;
/// Docker's exit code when the command is not found.
inline constexpr int kExitNotFound = 127;

/// An error that ends a dockling command: a message for the user and the exit code to use.
/// Thrown anywhere, caught once in main, printed as `chNN-topic: MESSAGE`.
class Error : public std::runtime_error {
 public:
  /// @param message what went wrong, naming the input that caused it.
  /// @param exit_code the process exit code main returns (125 unless said otherwise).
  explicit Error(const std::string& message, int exit_code = kExitRuntimeFailure)
      : std::runtime_error(message), exit_code_(exit_code) {}

  /// The exit code main returns for this error.
  int exit_code() const noexcept { return exit_code_; }

 private:
  int exit_code_;
};

/// A failed system call: carries errno, the call and the argument it was called on.
/// Its message reads `chroot("/nope"): No such file or directory`.
class SysError : public Error {
 public:
  /// @param call the system call or library function that failed, e.g. "chroot".
  /// @param argument what it was called on (a path, a name); empty for none.
  /// @param err the errno value.
  SysError(std::string call, std::string argument, int err);

  /// The errno value of the failed call.
  int error_number() const noexcept { return errno_; }
  /// The name of the failed call.
  const std::string& call() const noexcept { return call_; }
  /// The argument the call was made with.
  const std::string& argument() const noexcept { return argument_; }

 private:
  std::string call_;
  std::string argument_;
  int errno_;
};

/// Throws SysError for `call(argument)` with the current errno.
[[noreturn]] void throw_sys(std::string_view call, std::string_view argument = {});

/// Returns `result`, or throws SysError with the current errno when it is -1.
/// Usage: `check(chroot(path), "chroot", path)`.
template <typename T>
T check(T result, std::string_view call, std::string_view argument = {}) {
  if (result == static_cast<T>(-1)) throw_sys(call, argument);
  return result;
}

/// Thrown by the untouched exercise stubs: names the function the student has to write.
class NotImplemented : public Error {
 public:
  /// @param function the exercise function, e.g. "ch01::enter_root".
  /// @param file where it lives, e.g. "exercises/01-chroot/chroot.cpp".
  NotImplemented(std::string_view function, std::string_view file);
};

}  // namespace dockling
