// Chapter 06 exercise, solved.
#include "ipc.hpp"

#include <fcntl.h>
#include <mqueue.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "dockling/error.hpp"
#include "dockling/fs.hpp"

namespace dockling::ch06 {

namespace {

constexpr long kMqueueMagic = 0x19800202;  // statfs(2) f_type of an mqueue file system

/// True when `dir` lists the queues of our IPC namespace: a queue of our own, made with a
/// name no one else uses, shows up there. statfs alone cannot tell: every mqueue mount has
/// the same type, whichever namespace it shows.
bool shows_our_queues(const std::string& dir) {
  struct statfs fs {};
  if (::statfs(dir.c_str(), &fs) != 0 || fs.f_type != kMqueueMagic) return false;
  std::string name = "/dockling-probe-" + random_hex(8);
  mq_attr attributes{};
  attributes.mq_maxmsg = 1;  // as small as a queue gets: within every limit
  attributes.mq_msgsize = 1;
  mqd_t queue = ::mq_open(name.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &attributes);
  if (queue == static_cast<mqd_t>(-1)) throw_sys("mq_open", name);
  ::mq_close(queue);
  struct stat st;
  bool listed = ::stat((dir + name).c_str(), &st) == 0;
  ::mq_unlink(name.c_str());  // ours, made above: never leave it
  return listed;
}

}  // namespace

void ensure_own_mqueue(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) throw_sys("mkdir", dir);
  if (shows_our_queues(dir)) return;
  // A new mount on top: ours, whatever was there (another namespace's queues, a tmpfs, ...).
  check(::mount("mqueue", dir.c_str(), "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr), "mount", dir);
}

}  // namespace dockling::ch06
