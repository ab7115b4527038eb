/// @file ipc.hpp
/// @brief The IPC namespace a container gets (`--ipc`), and chapter 06's exercise: a
/// /dev/mqueue that shows the container's own POSIX message queues.
///
/// The exercise function ensure_own_mqueue() is defined in exercises/06-ipc-namespace/ipc.cpp
/// (the stub you fill in) or solutions/06-ipc-namespace/ipc.cpp; ipc_clone_flags() in the
/// chapter's ipc_step.cpp.
#pragma once

#include <string>

namespace dockling::ch06 {

/// The clone(2) flags for docker's `--ipc MODE`.
///
/// "host" shares the host's IPC namespace: 0. "private", "shareable" and "" (the default)
/// give the container a new one: CLONE_NEWIPC.
/// @throws Error naming `mode` for anything else, e.g. `invalid IPC mode "bogus": use private, shareable or host`.
int ipc_clone_flags(const std::string& mode);

/// Exercise: makes the directory `dir` show the POSIX message queues of the caller's IPC
/// namespace — and only those — and makes sure of it.
///
/// An mqueue file system lists the queues of the IPC namespace *of the process that mounted
/// it, when it mounted it* (mq_overview(7), ipc_namespaces(7)), not of whoever looks. So the
/// state of `dir` on entry may be any of:
/// - missing: create it (mode 0755, its parent must exist) and mount an mqueue on it;
/// - a directory, or a mount of something else: mount an mqueue on it;
/// - an mqueue mount that shows another IPC namespace's queues (mounted before the caller
///   moved to a new namespace, or a bind of the host's /dev/mqueue): mount a new one on it;
/// - an mqueue mount that already shows the caller's namespace: leave it as it is (it is
///   what is wanted, and mounting the same one on the same place again fails with EBUSY).
///
/// When it returns, a queue the caller makes with mq_open(3) appears in `dir` as a file of
/// the same name (without the leading '/'), and no queue of any other IPC namespace does.
/// Whatever it does to find out, it leaves no queue behind, and never touches a queue it did
/// not make. New mounts are nosuid, nodev, noexec, like docker's /dev/mqueue.
///
/// Call it only in a mount namespace of your own: on the host's the mount would stay.
/// @throws SysError naming the failing call and `dir`, e.g. `mkdir("/x/mqueue"): No such
///         file or directory`.
void ensure_own_mqueue(const std::string& dir);

}  // namespace dockling::ch06
