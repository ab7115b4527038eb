/// @file exec_join.hpp
/// @brief The heart of join mode (`oci exec`, and so chapter 14's `docker exec`): which
/// namespaces of a running container a new process enters, in which order, and the entering.
///
/// The exercise functions of join mode, defined in exercises/09-security/exec_join.cpp (the
/// stubs) and solutions/09-security/exec_join.cpp.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "cgroup.hpp"
#include "dockling/fd.hpp"

namespace dockling::ch09 {

/// One namespace of a running container, opened: /proc/PID/ns/NAME.
struct ContainerNamespace {
  std::string name;  ///< "user", "ipc", "uts", "net", "pid", "cgroup" or "mnt"
  int type = 0;      ///< its CLONE_NEW* flag, for setns(2)
  UniqueFd fd;       ///< /proc/PID/ns/NAME, opened
};

/// Exercise: opens /proc/PID/ns/NAME of the container's process `pid` for each namespace a
/// joining process must enter, in the order to enter them: "user" first (it owns the others:
/// in it, the joiner holds the capabilities that setns(2) asks for the rest), then "ipc",
/// "uts", "net", "pid", "cgroup", and "mnt" last (once in the container's mount namespace, the
/// host's paths are gone). A namespace the caller shares with the process (the same inode as
/// /proc/self/ns/NAME: the host's user namespace of a rootful container, or its cgroup
/// namespace) is left out: entering one's own user namespace is refused (EINVAL).
/// @throws SysError naming the path that could not be opened (the process is gone: ENOENT).
std::vector<ContainerNamespace> open_container_namespaces(pid_t pid);

/// Exercise: enters the container, in the calling process: first its `cgroup` (when not null,
/// cgroup->join_self(): while the host's cgroup filesystem is still this process's to write),
/// then each of `namespaces`, in their order, with setns(2). Entering a PID namespace takes
/// effect for the children this process forks next, not for itself: the caller forks the
/// command afterwards. `pid` only names the process in errors.
/// @throws SysError naming /proc/PID/ns/NAME of the namespace that could not be entered.
void enter_container(const std::vector<ContainerNamespace>& namespaces, ch08::Cgroup* cgroup, pid_t pid);

}  // namespace dockling::ch09
