// Chapter 01: the exercise enter_root() called directly, in a forked child of the test (the
// chroot changes that process only), from working directories outside the new root, with
// relative paths, bad paths and leaked directory descriptors. Random names everywhere, so a
// hard-coded answer fails.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "chroot.hpp"
#include "dockling/error.hpp"
#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"

namespace {

namespace fs = std::filesystem;
using dockling::testing::report_from_child;
using dockling::testing::unique_name;

int random_between(int low, int high) {
  static std::mt19937 engine{std::random_device{}()};
  return std::uniform_int_distribution<int>(low, high)(engine);
}

/// A directory tree for one test, under /tmp:
///   OUTER/outside-XXXXXXXX        a file that only the host's root can reach
///   OUTER/root-XXXXXXXX/          the new root
///   OUTER/root-XXXXXXXX/inside-XXXXXXXX
struct Tree {
  dockling::TempDir outer{"dockling-ch01"};
  fs::path rootfs = outer.path() / unique_name("root-");
  std::string inside = unique_name("inside-");
  fs::path outside = outer.path() / unique_name("outside-");

  Tree() {
    fs::create_directory(rootfs);
    std::ofstream(rootfs / inside) << "in the new root";
    std::ofstream(outside) << "on the host";
  }

  /// "" when "/" is the new root (its marker is at the top, the host's file is not at its
  /// path), else what is wrong.
  std::string check_root() const {
    if (::access(("/" + inside).c_str(), F_OK) != 0)
      return "/" + inside + " (a file at the top of rootfs) is not at \"/\": \"/\" is not rootfs (chroot(2))";
    if (::access(outside.c_str(), F_OK) == 0)
      return outside.string() + " (a host file outside rootfs) is still at its path: \"/\" is still the host's";
    return {};
  }

  /// "" when the working directory is the new "/", else what is wrong.
  static std::string check_working_directory() {
    char buffer[4096];
    if (::getcwd(buffer, sizeof buffer) == nullptr)
      return std::string("getcwd(3) failed (") + std::strerror(errno) +
             "): the working directory is outside the root. chroot(2) changes \"/\", not the working "
             "directory (see the NOTES of chroot(2))";
    if (std::string(buffer) != "/")
      return std::string("the working directory is \"") + buffer + "\", not \"/\" of the new root";
    return {};
  }
};

TEST(EnterRoot, MakesRootfsTheRootAndTheWorkingDirectory_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  Tree tree;
  std::string report = report_from_child(0, [&] {
    // The caller's working directory is outside the new root, as the runtime's is.
    if (::chdir(tree.outer.path().c_str()) != 0) return std::string("test set-up: chdir failed");
    dockling::ch01::enter_root(tree.rootfs.string());
    if (std::string problem = tree.check_root(); !problem.empty()) return problem;
    return Tree::check_working_directory();
  });
  EXPECT_EQ(report, "") << "after enter_root(\"" << tree.rootfs.string() << "\") called from "
                        << tree.outer.path().string();
}

TEST(EnterRoot, DotDotFromTheWorkingDirectoryNeverLeavesTheRoot_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  Tree tree;
  // Start deep in a directory of the host, outside the new root.
  fs::path start = tree.outer.path();
  int depth = random_between(1, 6);
  for (int i = 0; i < depth; ++i) start /= unique_name("d");
  fs::create_directories(start);
  int climbs = depth + random_between(5, 40);
  std::string report = report_from_child(0, [&] {
    if (::chdir(start.c_str()) != 0) return std::string("test set-up: chdir failed");
    dockling::ch01::enter_root(tree.rootfs.string());
    for (int i = 0; i < climbs; ++i) {
      if (::chdir("..") != 0) return std::string("chdir(\"..\") failed: ") + std::strerror(errno);
    }
    // Where are we? The host's file, named relative to ".", is there only on the host's "/".
    std::string relative = tree.outside.string().substr(1);
    if (::access(relative.c_str(), F_OK) == 0)
      return "after " + std::to_string(climbs) + " chdir(\"..\") the working directory is the host's \"/\" (" +
             relative + " is there): the classic chroot escape. chroot(2) left the working directory outside the "
             "new root, where \"..\" is not stopped";
    if (::access(tree.inside.c_str(), F_OK) != 0)
      return "after " + std::to_string(climbs) + " chdir(\"..\") the working directory is not the new root (" +
             tree.inside + " is not there)";
    return std::string();
  });
  EXPECT_EQ(report, "") << "enter_root called with the working directory " << start.string();
}

TEST(EnterRoot, RelativeRootfsIsRelativeToTheCallersWorkingDirectory_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  Tree tree;
  std::string name = tree.rootfs.filename().string();
  const std::string forms[] = {name, "./" + name, name + "/", "../" + tree.outer.path().filename().string() + "/" + name};
  std::string relative = forms[random_between(0, 3)];
  std::string report = report_from_child(0, [&] {
    if (::chdir(tree.outer.path().c_str()) != 0) return std::string("test set-up: chdir failed");
    dockling::ch01::enter_root(relative);
    if (std::string problem = tree.check_root(); !problem.empty()) return problem;
    return Tree::check_working_directory();
  });
  EXPECT_EQ(report, "") << "enter_root(\"" << relative << "\") called from " << tree.outer.path().string();
}

TEST(EnterRoot, ABadRootfsIsASysErrorNamingItAndChangesNothing_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  Tree tree;
  bool missing = random_between(0, 1) == 0;
  fs::path bad = missing ? tree.outer.path() / unique_name("missing-") : tree.outside;
  int expected = missing ? ENOENT : ENOTDIR;
  std::string report = report_from_child(0, [&]() -> std::string {
    if (::chdir(tree.outer.path().c_str()) != 0) return "test set-up: chdir failed";
    try {
      dockling::ch01::enter_root(bad.string());
      return "enter_root returned: it should have thrown";
    } catch (const dockling::SysError& e) {
      if (e.error_number() != expected)
        return std::string("SysError with errno ") + std::strerror(e.error_number()) + ", expected " +
               std::strerror(expected) + ": " + e.what();
      if (std::string(e.what()).find(bad.string()) == std::string::npos)
        return std::string("the message does not name the path: ") + e.what();
    } catch (const std::exception& e) {
      return std::string("threw, but not a SysError (use check() or throw_sys()): ") + e.what();
    }
    if (::access(tree.outside.c_str(), F_OK) != 0) return "after the failure \"/\" is no longer the host's";
    return "";
  });
  EXPECT_EQ(report, "") << "enter_root(\"" << bad.string() << "\"), " << (missing ? "which does not exist" : "a file");
}

/// Opens `path` as a directory at a random descriptor number >= 20, close-on-exec or not.
int open_directory_at_random_fd(const fs::path& path, bool cloexec, bool o_path) {
  int fd = ::open(path.c_str(), (o_path ? O_PATH : O_RDONLY) | O_DIRECTORY | (cloexec ? O_CLOEXEC : 0));
  if (fd < 0) return -1;
  int wanted = random_between(20, 200);
  int moved = cloexec ? ::dup3(fd, wanted, O_CLOEXEC) : ::dup2(fd, wanted);
  ::close(fd);
  return moved;
}

TEST(EnterRoot, RefusesADirectoryDescriptorTheCommandWouldInherit_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  Tree tree;
  bool o_path = random_between(0, 1) == 0;  // fchdir(2) works on O_PATH descriptors too
  int fd = -1;
  std::string report = report_from_child(0, [&]() -> std::string {
    fd = open_directory_at_random_fd(tree.outer.path(), false, o_path);
    if (fd < 0) return "test set-up: open failed";
    try {
      dockling::ch01::enter_root(tree.rootfs.string());
      // It went through: show what the command could do with the descriptor.
      bool out = ::fchdir(fd) == 0;
      for (int i = 0; out && i < 64; ++i) out = ::chdir("..") == 0;
      if (out && ::chroot(".") == 0 && ::access(tree.outside.c_str(), F_OK) == 0)
        return "enter_root accepted fd " + std::to_string(fd) + " (a directory outside the root, not close-on-exec); "
               "with it, fchdir(fd), chdir(\"..\") and chroot(\".\") took the test back to the host's \"/\"";
      return "enter_root accepted fd " + std::to_string(fd) + ", a directory the command would inherit";
    } catch (const dockling::NotImplemented& e) {
      return std::string("threw NotImplemented: ") + e.what();
    } catch (const dockling::Error& e) {
      std::string message = e.what();
      if (message.find("fd " + std::to_string(fd)) == std::string::npos)
        return "the message does not name the descriptor (\"fd " + std::to_string(fd) + "\"): " + message;
    }
    if (::access(tree.outside.c_str(), F_OK) != 0)
      return "enter_root threw, but after the chroot: \"/\" changed before the check";
    return "";
  });
  EXPECT_EQ(report, "") << "a directory open without O_CLOEXEC" << (o_path ? " (O_PATH)" : "")
                        << " at enter_root: see fcntl(2) FD_CLOEXEC, and runc's CVE-2024-21626";
}

TEST(EnterRoot, LeavesFilesPipesAndCloseOnExecDirectoriesAlone_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  Tree tree;
  std::string report = report_from_child(0, [&]() -> std::string {
    int directory = open_directory_at_random_fd(tree.outer.path(), true, random_between(0, 1) == 0);
    int file = ::open(tree.outside.c_str(), O_RDONLY);
    int pipe_ends[2];
    if (directory < 0 || file < 0 || ::pipe(pipe_ends) != 0) return "test set-up: open failed";
    dockling::ch01::enter_root(tree.rootfs.string());
    for (int fd : {directory, file, pipe_ends[0], pipe_ends[1]}) {
      if (::fcntl(fd, F_GETFD) < 0) return "fd " + std::to_string(fd) + " was closed: it belongs to the caller";
    }
    if (std::string problem = tree.check_root(); !problem.empty()) return problem;
    return Tree::check_working_directory();
  });
  EXPECT_EQ(report, "") << "a close-on-exec directory, a file and a pipe open at enter_root";
}

}  // namespace
