/// @file command_output.hpp
/// @brief Runs a host command and collects what it prints (the daemon's `top` runs ps(1)).
#pragma once

#include <string>
#include <vector>

namespace dockling::ch14 {

/// How a command ended and what it printed.
struct CommandOutput {
  int exit_code = -1;  ///< its exit status, or 128+N for signal N
  std::string out;     ///< its stdout
  std::string err;     ///< its stderr
};

/// Runs `argv` (argv[0] an absolute path) with stdin from /dev/null and waits for it.
/// @throws SysError when it cannot be started.
CommandOutput command_output(const std::vector<std::string>& argv);

}  // namespace dockling::ch14
