/// @file run_command.hpp
/// @brief `ch00-fork-exec run`: run a command and report its end as docker does.
#pragma once

#include <string>
#include <vector>

namespace dockling::ch00 {

/// Runs `argv` as a child process, forwards signals to it while it runs, and returns
/// docker's exit code for it (its own code, 126/127 when it cannot be started, 128+N when
/// killed by signal N). @throws Error (exit 126/127) when the command cannot be started.
int run_command(const std::vector<std::string>& argv);

}  // namespace dockling::ch00
