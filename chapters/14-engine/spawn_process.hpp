/// @file spawn_process.hpp
/// @brief How the daemon starts its helpers (a container's monitor, an exec's `oci exec`):
/// posix_spawn(2) with chosen file descriptors and the default signal dispositions, not the
/// daemon's (it blocks SIGTERM and SIGINT for its signalfd, and ignores SIGPIPE).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace dockling::ch14 {

/// Starts `args` (args[0] an absolute path) with `fds[i]` as its file descriptor i (0, 1, 2 ...),
/// no signal blocked, SIGPIPE, SIGINT, SIGTERM and SIGHUP at their defaults; in a session of
/// its own when `new_session` (a monitor outlives the daemon's). Returns its pid.
/// @throws SysError naming args[0].
pid_t spawn_process(const std::vector<std::string>& args, const std::vector<int>& fds, bool new_session);

}  // namespace dockling::ch14
