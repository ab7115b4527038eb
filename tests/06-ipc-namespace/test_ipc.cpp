// Chapter 06: System V IPC objects and POSIX message queues, isolated by the IPC namespace.
#include <fcntl.h>
#include <mqueue.h>
#include <sched.h>
#include <sys/ipc.h>
#include <sys/mount.h>
#include <sys/msg.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dockling/error.hpp"
#include "dockling/fs.hpp"
#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"
#include "ipc.hpp"

namespace {

namespace fs = std::filesystem;
using namespace dockling::testing;

constexpr long kMqueueMagic = 0x19800202;  // statfs f_type of an mqueue mount

std::vector<std::string> ch06(std::vector<std::string> flags, std::vector<std::string> command) {
  // --network none: these tests are not about networking, and must never touch the default
  // dockling0 bridge or /var/lib/dockling (chapter 04's tests use their own).
  std::vector<std::string> argv = {bin("ch06-ipc-namespace"), "run", "--network", "none"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.push_back(rootfs());
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

/// A random SysV key (never IPC_PRIVATE) and a random POSIX queue name, so that parallel
/// tests, and a hard-coded answer, never meet.
key_t random_key() {
  return static_cast<key_t>((std::stoul(dockling::random_hex(4), nullptr, 16) & 0x7ffffffe) | 1);
}
std::string random_queue_name() { return "/" + unique_name("dockling-test-"); }

bool host_has_msg(key_t key) { return ::msgget(key, 0) >= 0; }
bool host_has_shm(key_t key) { return ::shmget(key, 0, 0) >= 0; }
bool host_has_mqueue(const std::string& name) {
  mqd_t queue = ::mq_open(name.c_str(), O_RDONLY);
  if (queue == static_cast<mqd_t>(-1)) return false;
  ::mq_close(queue);
  return true;
}

/// Removes, on destruction, whatever the host holds under `key` and `queue`: objects a test
/// (or a container sharing the host's IPC namespace) made. Even when the test fails.
struct RemoveFromHost {
  key_t key;
  std::string queue;
  ~RemoveFromHost() {
    if (int id = ::msgget(key, 0); id >= 0) ::msgctl(id, IPC_RMID, nullptr);
    if (int id = ::shmget(key, 0, 0); id >= 0) ::shmctl(id, IPC_RMID, nullptr);
    ::mq_unlink(queue.c_str());
  }
};

/// A message queue, a shared-memory segment and a POSIX queue made on the host.
struct HostIpcObjects {
  key_t key = random_key();
  std::string queue = random_queue_name();
  RemoveFromHost cleanup{key, queue};

  HostIpcObjects() {
    dockling::check(::msgget(key, IPC_CREAT | IPC_EXCL | 0600), "msgget");
    dockling::check(::shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600), "shmget");
    mqd_t q = ::mq_open(queue.c_str(), O_RDONLY | O_CREAT | O_EXCL, 0600, nullptr);
    if (q == static_cast<mqd_t>(-1)) dockling::throw_sys("mq_open", queue);
    ::mq_close(q);
  }
};

/// The last JSON line of the output.
nlohmann::json last_json(const std::string& out) {
  std::string text = out;
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return parse_json(text.substr(text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1));
}

// --- the flags (chapter code) ------------------------------------------------------

TEST(IpcCloneFlags, ModesFollowDocker) {
  EXPECT_EQ(dockling::ch06::ipc_clone_flags("host"), 0);
  EXPECT_EQ(dockling::ch06::ipc_clone_flags("private"), CLONE_NEWIPC);
  EXPECT_EQ(dockling::ch06::ipc_clone_flags("shareable"), CLONE_NEWIPC);
  EXPECT_EQ(dockling::ch06::ipc_clone_flags(""), CLONE_NEWIPC);
}

TEST(IpcCloneFlags, BadModeThrowsAnErrorNamingIt) {
  std::string bad = unique_name("bogus-");
  try {
    dockling::ch06::ipc_clone_flags(bad);
    ADD_FAILURE() << "no error for " << bad;
  } catch (const dockling::Error& e) {
    EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
  }
}

// --- the exercise, called directly ----------------------------------------------------

/// Makes the POSIX queue `name` in the caller's IPC namespace; "" or what failed.
std::string make_queue(const std::string& name) {
  mqd_t q = ::mq_open(name.c_str(), O_RDONLY | O_CREAT | O_EXCL, 0600, nullptr);
  if (q == static_cast<mqd_t>(-1)) return "test: mq_open(" + name + "): " + std::strerror(errno);
  ::mq_close(q);
  return {};
}

/// The files in `dir`, sorted, as one string: "a b c".
std::string listing(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir, error)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : " ") + name;
  return text;
}

/// How many mounts /proc/self/mountinfo has on `dir`.
int mounts_on(const std::string& dir) {
  std::ifstream info("/proc/self/mountinfo");
  std::string line;
  int count = 0;
  while (std::getline(info, line)) {
    std::istringstream fields(line);
    std::string id, parent, device, root, mount_point;
    fields >> id >> parent >> device >> root >> mount_point;
    if (mount_point == dir) ++count;
  }
  return count;
}

/// Checks `dir` after ensure_own_mqueue: an mqueue, no queue left by the function, and a
/// queue made now by the caller listed there. "" or what is wrong.
std::string check_shows_ours(const std::string& dir, const std::string& before) {
  struct statfs fs {};
  if (::statfs(dir.c_str(), &fs) != 0 || fs.f_type != kMqueueMagic) return dir + " is not an mqueue file system";
  if (std::string now = listing(dir); now != before)
    return "it lists \"" + now + "\" where \"" + before + "\" was expected: a queue of another IPC namespace, "
           "or one left behind by ensure_own_mqueue";
  std::string mine = random_queue_name();
  if (std::string problem = make_queue(mine); !problem.empty()) return problem;
  bool listed = fs::exists(dir + mine);
  ::mq_unlink(mine.c_str());
  if (!listed) return "a queue made now in the caller's IPC namespace (" + mine + ") is not listed in " + dir;
  return {};
}

class EnsureOwnMqueue : public ::testing::Test {
 protected:
  void SetUp() override { before_ = host_mounts(); }
  void TearDown() override { EXPECT_EQ(host_mounts(), before_) << "the host's mount table changed"; }
  dockling::TempDir dir_{"dockling-ch06"};

 private:
  std::string before_;
};

TEST_F(EnsureOwnMqueue, MountsOneWhereThereIsNone_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  // Missing, an empty directory, a directory with files, or a tmpfs mount.
  int shape = static_cast<int>(std::stoul(dockling::random_hex(1), nullptr, 16) % 4);
  const char* shapes[] = {"a missing directory", "an empty directory", "a directory with files", "a tmpfs mount"};
  std::string dir = (dir_.path() / unique_name("mq-")).string();
  if (shape > 0) fs::create_directory(dir);
  if (shape == 2) std::ofstream(dir + "/" + unique_name("file-")) << "x";
  std::string report = report_from_child(CLONE_NEWNS | CLONE_NEWIPC, [&]() -> std::string {
    if (shape == 3 && ::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=1m") != 0) return "test: mount tmpfs failed";
    dockling::ch06::ensure_own_mqueue(dir);
    return check_shows_ours(dir, "");
  });
  EXPECT_EQ(report, "") << "ensure_own_mqueue(\"" << dir << "\") on " << shapes[shape];
  EXPECT_FALSE(fs::exists(dir + "/dockling")) << "a file leaked into the host's directory";
}

TEST_F(EnsureOwnMqueue, ReplacesAnMqueueOfAnotherIpcNamespace_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  std::string dir = (dir_.path() / "mqueue").string();
  fs::create_directory(dir);
  std::string theirs = random_queue_name();
  std::string report = report_from_child(CLONE_NEWNS | CLONE_NEWIPC, [&]() -> std::string {
    // An mqueue mounted in this first namespace, with a queue in it...
    if (::mount("mqueue", dir.c_str(), "mqueue", 0, nullptr) != 0) return "test: mount mqueue failed";
    if (std::string problem = make_queue(theirs); !problem.empty()) return problem;
    // ... and then a new IPC namespace: the mount still shows the first one's queues.
    if (::unshare(CLONE_NEWIPC) != 0) return "test: unshare(CLONE_NEWIPC) failed";
    dockling::ch06::ensure_own_mqueue(dir);
    std::string problem = check_shows_ours(dir, "");
    if (!problem.empty() && fs::exists(dir + theirs))
      problem += ". " + theirs.substr(1) + " belongs to the IPC namespace the mount was made in, not the caller's: "
                 "an mqueue shows its mounter's namespace (mq_overview(7)); statfs(2) says \"mqueue\" either way";
    return problem;
  });
  EXPECT_EQ(report, "") << "an mqueue of another IPC namespace on " << dir;
}

TEST_F(EnsureOwnMqueue, LeavesItsOwnMqueueAsItIs_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  std::string dir = (dir_.path() / "mqueue").string();
  fs::create_directory(dir);
  std::string existing = random_queue_name();
  std::string report = report_from_child(CLONE_NEWNS | CLONE_NEWIPC, [&]() -> std::string {
    if (::mount("mqueue", dir.c_str(), "mqueue", 0, nullptr) != 0) return "test: mount mqueue failed";
    if (std::string problem = make_queue(existing); !problem.empty()) return problem;
    try {
      dockling::ch06::ensure_own_mqueue(dir);
    } catch (const dockling::SysError& e) {
      if (e.error_number() == EBUSY)
        return std::string(e.what()) + ": it is already the right mount; the same mqueue on the same place twice "
                                       "is refused";
      throw;
    }
    if (int mounts = mounts_on(dir); mounts != 1)
      return std::to_string(mounts) + " mounts on " + dir + " afterwards: the one that was right should have stayed alone";
    if (!fs::exists(dir + existing)) return "the queue that was there, " + existing + ", is gone";
    return check_shows_ours(dir, existing.substr(1));
  });
  EXPECT_EQ(report, "") << "an mqueue of the caller's own IPC namespace on " << dir << ", holding " << existing;
}

TEST_F(EnsureOwnMqueue, FailureIsASysErrorNamingTheDirectory_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  std::string missing = (dir_.path() / unique_name("no-parent-") / "mqueue").string();
  std::string report = report_from_child(CLONE_NEWNS | CLONE_NEWIPC, [&]() -> std::string {
    try {
      dockling::ch06::ensure_own_mqueue(missing);
      return "it returned; " + missing + " cannot exist (its parent does not)";
    } catch (const dockling::SysError& e) {
      if (std::string(e.what()).find(missing) == std::string::npos) return std::string("the message lacks the path: ") + e.what();
    } catch (const std::exception& e) {
      return std::string("threw, but not a SysError: ") + e.what();
    }
    return {};
  });
  EXPECT_EQ(report, "") << "ensure_own_mqueue(\"" << missing << "\")";
}

// --- the binary ----------------------------------------------------------------------

TEST(Ipc, ContainerHasItsOwnIpcNamespaceUnlessIpcHost_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  ino_t host = namespace_inode("self", "ipc");
  {
    // Both alive at once: a freed namespace's inode number goes to the next one made.
    WaitingContainer first(ch06({}, {})), second(ch06({"--ipc", "shareable"}, {}));
    ino_t by_default = first.namespace_inode("ipc"), shareable = second.namespace_inode("ipc");
    EXPECT_NE(by_default, 0u);
    EXPECT_NE(by_default, host);
    EXPECT_NE(shareable, host);
    EXPECT_NE(shareable, by_default) << "each container gets a namespace of its own";
  }
  EXPECT_EQ(container_namespace(ch06({"--ipc", "host"}, {}), "ipc"), host);
  // Where the container has a /proc of its own (chapter 03), the probe sees the same.
  auto r = run(ch06({}, {"/bin/probe"}));
  ASSERT_EQ(r.exit_code, 0) << r;
  auto seen = parse_json(r.out)["ns"]["ipc"];
  if (!seen.is_null()) {
    EXPECT_NE(seen.get<ino_t>(), host);
  }
}

TEST(Ipc, HostObjectsAreInvisibleInside_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  HostIpcObjects host;
  for (std::vector<std::string> flags : {std::vector<std::string>{}, {"--ipc", "private"}, {"--ipc", "shareable"}}) {
    auto r = run(ch06(flags, {"/bin/probe", "ipc", std::to_string(host.key), host.queue}));
    ASSERT_EQ(r.exit_code, 0) << r;
    auto seen = parse_json(r.out);
    EXPECT_EQ(seen["msg"], false) << r;
    EXPECT_EQ(seen["shm"], false) << r;
    EXPECT_EQ(seen["mqueue"], false) << r;
  }
}

TEST(Ipc, IpcHostSeesTheHostObjects_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  HostIpcObjects host;
  auto r = run(ch06({"--ipc", "host"}, {"/bin/probe", "ipc", std::to_string(host.key), host.queue}));
  ASSERT_EQ(r.exit_code, 0) << r;
  auto seen = parse_json(r.out);
  EXPECT_EQ(seen["msg"], true) << r;
  EXPECT_EQ(seen["shm"], true) << r;
  EXPECT_EQ(seen["mqueue"], true) << r;
}

TEST(Ipc, ObjectsMadeInsideNeverReachTheHost_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  key_t key = random_key();
  std::string queue = random_queue_name();
  RemoveFromHost cleanup{key, queue};  // only does something if the isolation is broken
  std::string make = "/bin/probe ipc-create " + std::to_string(key) + " " + queue;
  Background container(ch06({}, {"/bin/sh", "-c", make + " && exec sleep 60"}));
  auto line = container.read_line();
  ASSERT_TRUE(line.has_value()) << container.wait();
  auto made = parse_json(*line);
  EXPECT_EQ(made["msg"], true) << *line;
  EXPECT_EQ(made["mqueue"], true) << *line;
  // While the container runs, with its objects alive:
  EXPECT_FALSE(host_has_msg(key));
  EXPECT_FALSE(host_has_shm(key));
  EXPECT_FALSE(host_has_mqueue(queue));
  container.signal(SIGKILL);
  container.wait();
  // And after: the namespace, and everything in it, is gone.
  EXPECT_FALSE(host_has_msg(key));
  EXPECT_FALSE(host_has_shm(key));
  EXPECT_FALSE(host_has_mqueue(queue));
}

// The contrast: in the host's namespace, SysV objects and POSIX queues outlive the process
// that made them. Only the end of an IPC namespace frees what it holds.
TEST(Ipc, WithIpcHostObjectsMadeInsideStayOnTheHost_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  key_t key = random_key();
  std::string queue = random_queue_name();
  RemoveFromHost cleanup{key, queue};
  auto r = run(ch06({"--ipc", "host"}, {"/bin/probe", "ipc-create", std::to_string(key), queue}));
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_TRUE(host_has_msg(key));
  EXPECT_TRUE(host_has_shm(key));
  EXPECT_TRUE(host_has_mqueue(queue));
}

TEST(Ipc, BadIpcModeIs125AndNamesIt) {
  std::string bad = unique_name("sharable-");
  auto r = run(ch06({"--ipc", bad}, {"/bin/true"}));
  EXPECT_EQ(r.exit_code, 125) << r;
  EXPECT_NE(r.err.find(bad), std::string::npos) << r;
}

// /dev/mqueue is mounted only in a mount namespace of the container's own (chapter 03 on);
// in a plain chroot it is left alone. Either way the host's mount table never changes.
TEST(Ipc, DevMqueueIsTheContainersOwnAndNeverMountedOnTheHost_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  std::string before = host_mounts();
  HostIpcObjects host;
  key_t key = random_key();
  std::string queue = random_queue_name();
  RemoveFromHost cleanup{key, queue};
  auto r = run(ch06({}, {"/bin/probe", "ipc-create", std::to_string(key), queue}));
  ASSERT_EQ(r.exit_code, 0) << r;
  auto seen = last_json(r.out);
  EXPECT_EQ(host_mounts(), before) << "a mount leaked onto the host";

  if (container_namespace(ch06({}, {}), "mnt") != namespace_inode("self", "mnt")) {
    ASSERT_TRUE(seen["dev_mqueue"].is_array()) << r << "\n/dev/mqueue should be an mqueue mount";
    std::vector<std::string> names = seen["dev_mqueue"];
    EXPECT_NE(std::find(names.begin(), names.end(), queue.substr(1)), names.end()) << r;
    EXPECT_EQ(std::find(names.begin(), names.end(), host.queue.substr(1)), names.end()) << r;
  }
}

}  // namespace
