// Chapter 03: the exercise remount_read_only() called directly, in a forked child of the test
// with a mount namespace of its own (nothing reaches the host), on tmpfs mounts with random
// flags, on bind mounts, under submounts, and in a user namespace where the kernel has
// locked the flags.
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "dockling/error.hpp"
#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"
#include "read_only.hpp"

namespace {

namespace fs = std::filesystem;
using dockling::testing::host_mounts;
using dockling::testing::report_from_child;
using dockling::testing::unique_name;

int random_between(int low, int high) {
  static std::mt19937 engine{std::random_device{}()};
  return std::uniform_int_distribution<int>(low, high)(engine);
}

/// The per-mount flags the contract keeps, as statvfs(3) shows them, with their names.
struct Flag {
  unsigned long st;  ///< ST_*
  unsigned long ms;  ///< MS_*, to mount with
  const char* name;
};
constexpr Flag kFlags[] = {
    {ST_NOSUID, MS_NOSUID, "nosuid"},
    {ST_NODEV, MS_NODEV, "nodev"},
    {ST_NOEXEC, MS_NOEXEC, "noexec"},
    {ST_NODIRATIME, MS_NODIRATIME, "nodiratime"},
};
/// The atime modes: one of them, always.
constexpr Flag kAtimes[] = {
    {ST_NOATIME, MS_NOATIME, "noatime"},
    {ST_RELATIME, MS_RELATIME, "relatime"},
    {0, MS_STRICTATIME, "strictatime"},
};
constexpr unsigned long kKept = ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_NODIRATIME | ST_NOATIME | ST_RELATIME;

/// Random mount flags: a random subset of kFlags and one atime mode.
unsigned long random_flags(std::string& names) {
  unsigned long flags = 0;
  for (const auto& flag : kFlags) {
    if (random_between(0, 1) == 0) continue;
    flags |= flag.ms;
    names += std::string(names.empty() ? "" : ",") + flag.name;
  }
  const auto& atime = kAtimes[random_between(0, 2)];
  flags |= atime.ms;
  names += std::string(names.empty() ? "" : ",") + atime.name;
  return flags;
}

std::string flag_names(unsigned long st_flags) {
  std::string names = (st_flags & ST_RDONLY) ? "ro" : "rw";
  for (const auto& flag : kFlags)
    if (st_flags & flag.st) names += std::string(",") + flag.name;
  for (const auto& atime : kAtimes)
    if (atime.st && (st_flags & atime.st)) names += std::string(",") + atime.name;
  if (!(st_flags & (ST_NOATIME | ST_RELATIME))) names += ",strictatime";
  return names;
}

std::string errno_text(const std::string& call) { return call + ": " + std::strerror(errno); }

/// "" when `dir` can be written to, else why not.
std::string write_problem(const fs::path& dir) {
  fs::path file = dir / unique_name("w-");
  int fd = ::open(file.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) return std::strerror(errno);
  ::close(fd);
  ::unlink(file.c_str());
  return {};
}

/// Calls remount_read_only on `dir` (a mount root), then checks that it is read-only, that
/// writes fail with EROFS, and that its other flags are `before`. "" when all is well.
std::string remount_and_check(const fs::path& dir, const std::string& name) {
  struct statvfs before;
  if (::statvfs(dir.c_str(), &before) != 0) return errno_text("test: statvfs");
  int fd = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_text("test: open");
  dockling::ch03::remount_read_only(fd, name);
  ::close(fd);
  struct statvfs after;
  if (::statvfs(dir.c_str(), &after) != 0) return errno_text("test: statvfs");
  if (!(after.f_flag & ST_RDONLY)) return "the mount is not read-only afterwards (" + flag_names(after.f_flag) + ")";
  if ((after.f_flag & kKept) != (before.f_flag & kKept))
    return "its other flags changed: " + flag_names(before.f_flag) + " before, " + flag_names(after.f_flag) +
           " after. A remount sets every flag: pass back the ones the mount had (mount(2), \"Remounting an "
           "existing mount\")";
  std::string problem = write_problem(dir);
  if (problem != std::strerror(EROFS)) return "creating a file in it gave \"" + problem + "\", not EROFS";
  return {};
}

class RemountReadOnly : public ::testing::Test {
 protected:
  void SetUp() override { before_ = host_mounts(); }
  void TearDown() override {
    EXPECT_EQ(host_mounts(), before_) << "the host's mount table changed: a mount leaked out of the test";
  }
  dockling::TempDir dir_{"dockling-ch03"};

 private:
  std::string before_;
};

TEST_F(RemountReadOnly, KeepsEveryOtherFlagOfTheMount_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  for (int round = 0; round < 6; ++round) {
    std::string names;
    unsigned long flags = random_flags(names);
    fs::path mount_point = dir_.path() / unique_name("m-");
    fs::create_directory(mount_point);
    std::string report = report_from_child(CLONE_NEWNS, [&]() -> std::string {
      if (::mount("tmpfs", mount_point.c_str(), "tmpfs", flags, "size=1m") != 0) return errno_text("test: mount");
      return remount_and_check(mount_point, "/" + mount_point.filename().string());
    });
    EXPECT_EQ(report, "") << "a tmpfs mounted with " << names;
  }
}

TEST_F(RemountReadOnly, ChangesThatMountNotTheFilesystemOrItsOtherMounts_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  fs::path original = dir_.path() / "original", bound = dir_.path() / "bound";
  fs::create_directory(original);
  fs::create_directory(bound);
  std::string report = report_from_child(CLONE_NEWNS, [&]() -> std::string {
    if (::mount("tmpfs", original.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=1m") != 0) return errno_text("test: mount");
    if (::mount(original.c_str(), bound.c_str(), nullptr, MS_BIND, nullptr) != 0) return errno_text("test: bind");
    if (std::string problem = remount_and_check(bound, "/bound"); !problem.empty()) return problem;
    if (std::string problem = write_problem(original); !problem.empty())
      return "the other mount of the same tmpfs became unwritable too (" + problem +
             "): the remount changed the filesystem, not the one mount. See MS_BIND in mount(2)";
    return {};
  });
  EXPECT_EQ(report, "") << "a tmpfs at " << original.string() << ", bound at " << bound.string()
                        << "; remount_read_only on the bind";
}

TEST_F(RemountReadOnly, MountsBelowItStayWritable_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  fs::path top = dir_.path() / "top";
  fs::create_directory(top);
  std::string sub = unique_name("run-");
  std::string report = report_from_child(CLONE_NEWNS, [&]() -> std::string {
    if (::mount("tmpfs", top.c_str(), "tmpfs", MS_NOSUID, "size=1m") != 0) return errno_text("test: mount");
    if (::mkdir((top / sub).c_str(), 0755) != 0) return errno_text("test: mkdir");
    if (::mount("tmpfs", (top / sub).c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=1m") != 0)
      return errno_text("test: mount");
    if (std::string problem = remount_and_check(top, "/"); !problem.empty()) return problem;
    if (std::string problem = write_problem(top / sub); !problem.empty())
      return "the tmpfs mounted below it became unwritable too (" + problem +
             "): only the mount itself changes, as --read-only --tmpfs /run needs";
    return {};
  });
  EXPECT_EQ(report, "") << "a tmpfs at " << top.string() << " with another at " << sub << " under it";
}

/// Writes `text` to /proc/self/`file`.
bool write_proc_self(const char* file, const std::string& text) {
  std::ofstream out(std::string("/proc/self/") + file);
  out << text;
  out.flush();
  return static_cast<bool>(out);
}

TEST_F(RemountReadOnly, WorksWhereTheKernelLockedTheFlags_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  std::string names;
  unsigned long flags = random_flags(names) | MS_NOSUID;  // at least one flag to lock
  names = "nosuid," + names;
  fs::path mount_point = dir_.path() / "locked";
  fs::create_directory(mount_point);
  std::string report = report_from_child(CLONE_NEWNS, [&]() -> std::string {
    if (::mount("tmpfs", mount_point.c_str(), "tmpfs", flags, "size=1m") != 0) return errno_text("test: mount");
    // A user namespace and, owned by it, a new mount namespace: the copied mounts come with
    // their flags locked (mount_namespaces(7)), as a rootless container's do (chapter 07).
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) return errno_text("test: unshare(CLONE_NEWUSER)");
    if (!write_proc_self("setgroups", "deny") || !write_proc_self("uid_map", "0 0 1") ||
        !write_proc_self("gid_map", "0 0 1"))
      return "test: writing the id maps failed";
    try {
      return remount_and_check(mount_point, "/locked");
    } catch (const dockling::SysError& e) {
      if (e.error_number() == EPERM)
        return std::string("EPERM: ") + e.what() +
               ". The kernel refuses to clear a flag it locked (pass back every flag the mount has), and to "
               "reconfigure a filesystem this user namespace does not own (remount the mount, not the filesystem)";
      throw;
    }
  });
  EXPECT_EQ(report, "") << "a tmpfs mounted with " << names << ", seen from a user namespace";
}

TEST_F(RemountReadOnly, NotAMountRootIsASysErrorNamingIt_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  fs::path mount_point = dir_.path() / "m";
  fs::create_directory(mount_point);
  std::string name = "/" + unique_name("not-a-mount-");
  std::string report = report_from_child(CLONE_NEWNS, [&]() -> std::string {
    if (::mount("tmpfs", mount_point.c_str(), "tmpfs", MS_NOSUID, "size=1m") != 0) return errno_text("test: mount");
    fs::path inner = mount_point / "inner";
    if (::mkdir(inner.c_str(), 0755) != 0) return errno_text("test: mkdir");
    int fd = ::open(inner.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno_text("test: open");
    try {
      dockling::ch03::remount_read_only(fd, name);
      return "remount_read_only returned for a directory that is not the root of a mount; expected a SysError "
             "(EINVAL)";
    } catch (const dockling::SysError& e) {
      if (std::string(e.what()).find(name) == std::string::npos)
        return std::string("the SysError does not name \"") + name + "\": " + e.what();
      if (e.error_number() != EINVAL) return std::string("expected EINVAL: ") + e.what();
    } catch (const std::exception& e) {
      return std::string("threw, but not a SysError (use check() or throw_sys()): ") + e.what();
    }
    if (write_problem(mount_point) != "") return "the mount it is in became read-only";
    return {};
  });
  EXPECT_EQ(report, "") << "remount_read_only on a directory inside a tmpfs, named " << name;
}

}  // namespace
