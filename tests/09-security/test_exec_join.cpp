// The exercise of join mode (exec_join.hpp): the namespaces of a running process, opened in
// runc's order, and entered, with the cgroup, by a forked child. Real namespaces and a real
// cgroup: a process made here in namespaces of its own stands for the container.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "cgroup.hpp"
#include "dockling/error.hpp"
#include "dockling/fs.hpp"
#include "dockling/testing.hpp"
#include "exec_join.hpp"

namespace dockling::ch09 {
namespace {

using namespace dockling::testing;

/// A process in new namespaces (`flags` for unshare(2)), with CLONE_NEWPID the first of its
/// own PID namespace; killed when the test ends.
class Target {
 public:
  explicit Target(int flags) {
    int ready[2];
    if (::pipe2(ready, O_CLOEXEC) != 0) throw SysError("pipe2", "", errno);
    middle_ = ::fork();
    if (middle_ == 0) {
      ::close(ready[0]);
      if (::unshare(flags) != 0) ::_exit(1);
      pid_t inner = ::fork();  // in the new PID namespace: its PID 1
      if (inner == 0) {
        ::pause();
        ::_exit(0);
      }
      [[maybe_unused]] ssize_t n = ::write(ready[1], &inner, sizeof inner);
      ::waitpid(inner, nullptr, 0);
      ::_exit(0);
    }
    ::close(ready[1]);
    if (::read(ready[0], &pid_, sizeof pid_) != sizeof pid_) pid_ = 0;
    ::close(ready[0]);
  }
  ~Target() {
    if (pid_ > 0) ::kill(pid_, SIGKILL);
    if (middle_ > 0) ::waitpid(middle_, nullptr, 0);
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t middle_ = -1;
  pid_t pid_ = 0;
};

std::vector<std::string> names_of(const std::vector<ContainerNamespace>& list) {
  std::vector<std::string> names;
  for (const auto& ns : list) names.push_back(ns.name);
  return names;
}

void expect_opened_right(const std::vector<ContainerNamespace>& list, pid_t pid) {
  static const std::map<std::string, int> types = {{"user", CLONE_NEWUSER}, {"ipc", CLONE_NEWIPC},
                                                   {"uts", CLONE_NEWUTS},   {"net", CLONE_NEWNET},
                                                   {"pid", CLONE_NEWPID},   {"cgroup", CLONE_NEWCGROUP},
                                                   {"mnt", CLONE_NEWNS}};
  for (const auto& ns : list) {
    struct stat st {};
    ASSERT_EQ(::fstat(ns.fd.get(), &st), 0) << ns.name;
    EXPECT_EQ(st.st_ino, namespace_inode(std::to_string(pid), ns.name)) << ns.name << ": its own file";
    EXPECT_EQ(ns.type, types.at(ns.name)) << ns.name;
  }
}

TEST(ExecJoin, OpensWhatTheCallerDoesNotShareUserFirstMountLast_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  Target plain(CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID);
  ASSERT_GT(plain.pid(), 0);
  std::vector<ContainerNamespace> list = open_container_namespaces(plain.pid());
  EXPECT_EQ(names_of(list), (std::vector<std::string>{"ipc", "uts", "net", "pid", "mnt"}))
      << "the host's user and cgroup namespaces are the caller's: left out";
  expect_opened_right(list, plain.pid());

  Target owned(CLONE_NEWUSER | CLONE_NEWUTS | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWCGROUP);
  ASSERT_GT(owned.pid(), 0);
  list = open_container_namespaces(owned.pid());
  EXPECT_EQ(names_of(list), (std::vector<std::string>{"user", "uts", "pid", "cgroup", "mnt"}));
  expect_opened_right(list, owned.pid());
}

TEST(ExecJoin, AProcessThatIsGoneIsAnErrorNamingItsFiles_Exercise) {
  pid_t gone = ::fork();
  if (gone == 0) ::_exit(0);
  ::waitpid(gone, nullptr, 0);
  try {
    open_container_namespaces(gone);
    ADD_FAILURE() << "no error for a process that is gone";
  } catch (const SysError& e) {
    EXPECT_NE(std::string(e.what()).find("/proc/" + std::to_string(gone) + "/ns/"), std::string::npos) << e.what();
  }
}

TEST(ExecJoin, EntersTheCgroupThenEveryNamespaceInOrder_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  // A user namespace without id maps: once in it, the child is nobody to the host's cgroup
  // filesystem. Only a child that joins the cgroup first gets there.
  Target target(CLONE_NEWUSER | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID);
  ASSERT_GT(target.pid(), 0);
  std::map<std::string, ino_t> expected;
  for (const char* name : {"user", "uts", "ipc", "net", "mnt", "pid"})
    expected[name] = namespace_inode(std::to_string(target.pid()), name);
  std::vector<ContainerNamespace> list = open_container_namespaces(target.pid());
  std::string id = unique_name("execjoin");
  std::string root = ch08::cgroup_root();
  std::unique_ptr<ch08::Cgroup> cgroup = ch08::make_cgroup(ch08::version_of(ch08::detect_layout(root)), id, root);
  cgroup->create();

  int report[2];
  ASSERT_EQ(::pipe2(report, O_CLOEXEC), 0);
  pid_t child = ::fork();
  if (child == 0) {
    std::string result;
    try {
      enter_container(list, cgroup.get(), target.pid());
      for (const auto& [name, inode] : expected) {
        std::string mine = name == "pid" ? "pid_for_children" : name;
        if (namespace_inode("self", mine) != inode) result += "not in its " + name + " namespace; ";
      }
      if (read_file("/proc/self/cgroup").find("/dockling/" + id) == std::string::npos)
        result += "not in its cgroup: " + read_file("/proc/self/cgroup");
    } catch (const std::exception& e) {
      result = e.what();
    }
    if (result.empty()) result = "entered";
    [[maybe_unused]] ssize_t n = ::write(report[1], result.data(), result.size());
    ::_exit(0);
  }
  ::close(report[1]);
  std::string result;
  char buffer[4096];
  for (ssize_t n; (n = ::read(report[0], buffer, sizeof buffer)) > 0;) result.append(buffer, static_cast<size_t>(n));
  ::close(report[0]);
  ::waitpid(child, nullptr, 0);
  cgroup->remove();
  EXPECT_EQ(result, "entered");
}

}  // namespace
}  // namespace dockling::ch09
