#include "rootless_store.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "dockling/fd.hpp"
#include "dockling/fs.hpp"
#include "dockling/log.hpp"
#include "idmapped_root.hpp"
#include "user_step.hpp"
#include "userns_check.hpp"

namespace dockling::ch10 {

bool in_user_namespace() {
  std::istringstream map(read_file("/proc/self/uid_map"));
  unsigned long inside = 0, outside = 0, count = 0;
  if (!(map >> inside >> outside >> count)) return true;  // an empty map: nobody is mapped
  bool identity = inside == 0 && outside == 0 && count == 4294967295UL;
  std::string more;
  return !identity || static_cast<bool>(map >> more);
}

LayerForm layer_form() {
  static const LayerForm form = in_user_namespace() ? LayerForm::rootless : LayerForm::root;
  return form;
}

void enter_rootless_namespace() {
  if (::geteuid() == 0) return;
  std::string problem = ch07::userns_problem(ch07::read_userns_settings(), false);
  if (!problem.empty()) throw Error(problem, 1);
  std::optional<ch07::IdMapHelpers> helpers;
  ch07::IdMaps maps = ch07::rootless_maps(helpers);
  UniqueFd userns = ch07::make_user_namespace(maps, helpers);
  check(::setns(userns.get(), CLONE_NEWUSER), "setns", "the rootless store's user namespace");
  log::debug("images: in a user namespace with the user's maps ({} uid ranges): layers keep the image's owners, "
             "shifted into the user's ids",
             maps.uids.size());
}

namespace {

/// Forks; the child runs `body` and exits 0, or writes what went wrong into a pipe and exits 1.
/// Returns "" when it exited 0, else its message.
std::string in_child(const std::function<std::string()>& body) {
  Pipe pipe = make_pipe();
  pid_t pid = ::fork();
  if (pid < 0) throw_sys("fork");
  if (pid == 0) {
    pipe.read.reset();
    std::string problem;
    try {
      problem = body();
    } catch (const std::exception& e) {
      problem = e.what();
    }
    if (!problem.empty()) {
      [[maybe_unused]] ssize_t n = ::write(pipe.write.get(), problem.data(), problem.size());
    }
    ::_exit(problem.empty() ? 0 : 1);
  }
  pipe.write.reset();
  std::string message;
  char buffer[512];
  ssize_t n;
  while ((n = ::read(pipe.read.get(), buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) message.append(buffer, static_cast<size_t>(n));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw_sys("waitpid");
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
  return message.empty() ? "the helper process failed" : message;
}

/// Writes `text` into `path` (a /proc/self file of a new user namespace).
void write_proc(const std::string& path, const std::string& text) {
  UniqueFd fd = open_fd(path, O_WRONLY);
  write_all(fd.get(), text);
}

}  // namespace

void in_rootless_namespace(const std::function<void()>& body) {
  std::string problem = in_child([&] {
    enter_rootless_namespace();
    body();
    return std::string();
  });
  if (!problem.empty()) throw Error(problem);
}

std::string rootless_overlay_problem(const std::filesystem::path& scratch) {
  const char* refused = std::getenv("DOCKLING_NO_ROOTLESS_OVERLAY");
  if (refused != nullptr && std::string(refused) == "1") return "DOCKLING_NO_ROOTLESS_OVERLAY=1 plays a kernel that refuses it";
  uid_t uid = ::geteuid();
  gid_t gid = ::getegid();
  std::string problem = in_child([&]() -> std::string {
    for (const char* name : {"", "/lower", "/upper", "/work", "/merged"})
      check(::mkdir((scratch.string() + name).c_str(), 0700), "mkdir", scratch.string() + name);
    check(::unshare(CLONE_NEWUSER | CLONE_NEWNS), "unshare", "CLONE_NEWUSER|CLONE_NEWNS");
    // The one map a process may write for itself: its own ids.
    write_proc("/proc/self/uid_map", fmt::format("0 {} 1\n", uid));
    write_proc("/proc/self/setgroups", "deny");
    write_proc("/proc/self/gid_map", fmt::format("0 {} 1\n", gid));
    std::string options = fmt::format("lowerdir={0}/lower,upperdir={0}/upper,workdir={0}/work,userxattr", scratch.string());
    if (::mount("overlay", (scratch / "merged").c_str(), "overlay", 0, options.c_str()) != 0)
      return fmt::format("mount(overlay, userxattr) in a user namespace: {}", std::strerror(errno));
    check(::umount2((scratch / "merged").c_str(), 0), "umount2", (scratch / "merged").string());
    // overlay's work/work (mode 0) goes too: this namespace's root may remove it.
    std::filesystem::remove_all(scratch);
    return "";
  });
  std::error_code ignored;
  std::filesystem::remove_all(scratch, ignored);  // the mount went with the child's namespace
  return problem;
}

}  // namespace dockling::ch10
