/// @file ipc.hpp
/// @brief Chapter 06's exercise functions: the IPC namespace a container gets, and the
/// mqueue file system that shows its POSIX message queues.
///
/// Defined in exercises/06-ipc-namespace/ipc.cpp (the stubs you fill in) or
/// solutions/06-ipc-namespace/ipc.cpp.
#pragma once

#include <string>

namespace dockling::ch06 {

/// Exercise: the clone(2) flags for docker's `--ipc MODE`.
///
/// "host" shares the host's IPC namespace: 0. "private", "shareable" and "" (the default)
/// give the container a new one: CLONE_NEWIPC.
/// @throws Error naming `mode` for anything else, e.g. `invalid IPC mode "bogus": use private, shareable or host`.
int ipc_clone_flags(const std::string& mode);

/// Exercise: mounts a new mqueue file system on `dir`, creating `dir` (mode 0755) if it
/// does not exist. The mount shows the POSIX message queues of the IPC namespace of the
/// calling process, as files; mounted with nosuid, nodev, noexec like docker's /dev/mqueue.
///
/// Call it only in a mount namespace of your own: on the host's the mount would stay.
/// @throws SysError naming the failing call and `dir`, e.g. mount("/dev/mqueue").
void mount_mqueue(const std::string& dir);

}  // namespace dockling::ch06
