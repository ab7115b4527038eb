// Chapter 06 exercises, solved.
#include "ipc.hpp"

#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>

#include <fmt/format.h>

#include "dockling/error.hpp"

namespace dockling::ch06 {

int ipc_clone_flags(const std::string& mode) {
  if (mode == "host") return 0;
  if (mode.empty() || mode == "private" || mode == "shareable") return CLONE_NEWIPC;
  throw Error(fmt::format("invalid IPC mode \"{}\": use private, shareable or host", mode));
}

void mount_mqueue(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) throw_sys("mkdir", dir);
  check(::mount("mqueue", dir.c_str(), "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr), "mount", dir);
}

}  // namespace dockling::ch06
