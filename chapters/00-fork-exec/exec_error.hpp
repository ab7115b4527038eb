/// @file exec_error.hpp
/// @brief What docker reports when a command cannot be started.
#pragma once

#include <string>

#include "dockling/error.hpp"

namespace dockling::ch00 {

/// The error for an exec of `command` that failed with `err`, with docker's exit codes:
/// 127 when it is not found (ENOENT), 126 when it exists but cannot be run (EACCES, ...).
Error exec_failure(const std::string& command, int err);

}  // namespace dockling::ch00
