#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "exec_join.hpp"

namespace dockling::ch09 {

namespace {

/// runc's order: user first (it owns the others), mount last (it hides the host's paths).
constexpr std::pair<const char*, int> kNamespaces[] = {
    {"user", CLONE_NEWUSER}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS}, {"net", CLONE_NEWNET},
    {"pid", CLONE_NEWPID},   {"cgroup", CLONE_NEWCGROUP}, {"mnt", CLONE_NEWNS}};

ino_t inode_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

}  // namespace

std::vector<ContainerNamespace> open_container_namespaces(pid_t pid) {
  std::vector<ContainerNamespace> list;
  for (const auto& [name, type] : kNamespaces) {
    std::string theirs = fmt::format("/proc/{}/ns/{}", pid, name);
    if (inode_of(theirs) == inode_of(fmt::format("/proc/self/ns/{}", name))) continue;  // shared: ours already
    list.push_back({name, type, open_fd(theirs, O_RDONLY | O_CLOEXEC)});
  }
  return list;
}

void enter_container(const std::vector<ContainerNamespace>& namespaces, ch08::Cgroup* cgroup, pid_t pid) {
  if (cgroup) cgroup->join_self();
  for (const auto& ns : namespaces)
    check(::setns(ns.fd.get(), ns.type), "setns", fmt::format("/proc/{}/ns/{}", pid, ns.name));
}

}  // namespace dockling::ch09
