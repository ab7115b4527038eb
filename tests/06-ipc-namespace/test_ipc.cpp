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

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <functional>

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

// --- the exercises, called directly --------------------------------------------------

TEST(IpcCloneFlags, ModesFollowDocker_Exercise) {
  EXPECT_EQ(dockling::ch06::ipc_clone_flags("host"), 0);
  EXPECT_EQ(dockling::ch06::ipc_clone_flags("private"), CLONE_NEWIPC);
  EXPECT_EQ(dockling::ch06::ipc_clone_flags("shareable"), CLONE_NEWIPC);
  EXPECT_EQ(dockling::ch06::ipc_clone_flags(""), CLONE_NEWIPC);
}

TEST(IpcCloneFlags, BadModeThrowsAnErrorNamingIt_Exercise) {
  for (std::string bad : {unique_name("bogus-"), std::string("container:") + unique_name("c"), std::string("HOST")}) {
    try {
      dockling::ch06::ipc_clone_flags(bad);
      ADD_FAILURE() << "no error for --ipc " << bad;
    } catch (const dockling::Error& e) {
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
      EXPECT_EQ(e.exit_code(), 125);
    }
  }
}

TEST(MountMqueue, ShowsTheQueuesOfTheCallersIpcNamespace_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  std::string before = host_mounts();
  dockling::TempDir dir("dockling-ch06");
  std::string mount_point = (dir.path() / "mqueue").string();  // does not exist yet
  std::string existing = (dir.path() / "existing").string();
  fs::create_directory(existing);
  std::string queue = random_queue_name();
  int code = run_in_child(CLONE_NEWNS | CLONE_NEWIPC, [&] {
    mqd_t q = ::mq_open(queue.c_str(), O_RDONLY | O_CREAT, 0600, nullptr);
    if (q == static_cast<mqd_t>(-1)) return 90;
    ::mq_close(q);
    dockling::ch06::mount_mqueue(mount_point);
    struct statfs fs {};
    if (::statfs(mount_point.c_str(), &fs) != 0 || fs.f_type != kMqueueMagic) return 1;
    if (!fs::exists(mount_point + queue)) return 2;  // "/dir/mqueue" + "/name"
    dockling::ch06::mount_mqueue(existing);  // an existing directory is fine too
    if (!fs::exists(existing + queue)) return 3;
    return 0;
  });
  EXPECT_EQ(code, 0) << "1: no mqueue file system there, 2 or 3: the queue is not listed, 97: it threw";
  EXPECT_FALSE(host_has_mqueue(queue)) << "the queue was made in another IPC namespace";
  EXPECT_EQ(host_mounts(), before);
}

TEST(MountMqueue, FailureIsASysErrorNamingTheDirectory_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  std::string missing = "/nonexistent-" + dockling::random_hex(4) + "/mqueue";
  int code = run_in_child(CLONE_NEWNS | CLONE_NEWIPC, [&] {
    try {
      dockling::ch06::mount_mqueue(missing);
    } catch (const dockling::SysError& e) {
      return std::string(e.what()).find(missing) != std::string::npos ? 0 : 1;
    }
    return 2;
  });
  EXPECT_EQ(code, 0) << "1: the message lacks the path, 2: nothing thrown, 97: not a SysError";
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

TEST(Ipc, BadIpcModeIs125AndNamesIt_Exercise) {
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
