// Chapter 01: a command in a chroot, docker's exit codes, bad input, and why chroot is no jail.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include "dockling/fs.hpp"
#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"

namespace {

namespace fs = std::filesystem;
using namespace dockling::testing;

std::vector<std::string> ch01(std::vector<std::string> args) {
  std::vector<std::string> argv = {bin("ch01-chroot"), "run", rootfs()};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

std::set<std::string> entries_of(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.insert(entry.path().filename());
  return names;
}

TEST(Chroot, CommandSeesTheRootfsAsItsRoot_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  auto r = run(ch01({"/bin/probe"}));
  ASSERT_EQ(r.exit_code, 0) << r;
  auto report = parse_json(r.out);
  EXPECT_EQ(report["cwd"], "/");
  std::set<std::string> seen;
  for (const auto& name : report["root_entries"]) seen.insert(name.get<std::string>());
  EXPECT_EQ(seen, entries_of(rootfs()));
  EXPECT_NE(seen, entries_of("/")) << "the host's / must not be what the command sees";
}

TEST(Chroot, HostFilesOutsideTheRootAreNotAtTheirPaths_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  dockling::TempDir outside("dockling-ch01");
  auto marker = outside.path() / "marker";
  std::ofstream(marker) << "host";
  auto r = run(ch01({"/bin/sh", "-c", "test -e " + marker.string() + " && echo visible || echo hidden"}));
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "hidden\n");
}

TEST(Chroot, DefaultCommandIsShell_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  auto r = run(ch01({}), milliseconds(20000), "echo in-shell; exit 4\n");
  EXPECT_EQ(r.exit_code, 4) << r;
  EXPECT_EQ(r.out, "in-shell\n");
}

TEST(Chroot, EnvironmentIsTheContainersNotTheHosts_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  std::string name = unique_name("DOCKLING_LEAK_");
  setenv(name.c_str(), "yes", 1);
  auto r = run(ch01({"env"}));
  unsetenv(name.c_str());
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"), std::string::npos) << r;
  EXPECT_NE(r.out.find("HOME=/root\n"), std::string::npos) << r;
  EXPECT_EQ(r.out.find(name), std::string::npos) << "a host variable leaked in\n" << r;
}

TEST(Chroot, CommandIsLookedUpInTheContainersPath_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  // `probe` exists only inside the rootfs, so the lookup must happen after the chroot.
  auto r = run(ch01({"probe"}));
  EXPECT_EQ(r.exit_code, 0) << r;
}

TEST(Chroot, ExitCodesFollowDocker_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  EXPECT_EQ(run(ch01({"/bin/sh", "-c", "exit 9"})).exit_code, 9);
  EXPECT_EQ(run(ch01({"/bin/sh", "-c", "kill -KILL $$"})).exit_code, 137);

  auto missing = run(ch01({"dockling-no-such-command"}));
  EXPECT_EQ(missing.exit_code, 127) << missing;
  EXPECT_NE(missing.err.find("dockling-no-such-command"), std::string::npos) << missing;

  auto not_executable = run(ch01({"/etc/passwd"}));
  EXPECT_EQ(not_executable.exit_code, 126) << not_executable;
  EXPECT_NE(not_executable.err.find("/etc/passwd"), std::string::npos) << not_executable;
}

TEST(Chroot, MissingRootfsIs125AndNamesIt) {
  std::string missing = "/nonexistent/" + unique_name("rootfs-");
  auto r = run({bin("ch01-chroot"), "run", missing, "/bin/true"});
  EXPECT_EQ(r.exit_code, 125) << r;
  EXPECT_NE(r.err.find(missing), std::string::npos) << r;
  EXPECT_NE(r.err.find("No such file or directory"), std::string::npos) << r;
}

TEST(Chroot, RootfsThatIsAFileIs125AndNamesIt) {
  dockling::TempDir dir("dockling-ch01");
  auto file = dir.path() / "not-a-dir";
  std::ofstream(file) << "x";
  auto r = run({bin("ch01-chroot"), "run", file.string(), "/bin/true"});
  EXPECT_EQ(r.exit_code, 125) << r;
  EXPECT_NE(r.err.find(file.string()), std::string::npos) << r;
  EXPECT_NE(r.err.find("not a directory"), std::string::npos) << r;
}

TEST(Chroot, VerboseShowsTheSteps_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  auto r = run({bin("ch01-chroot"), "-v", "run", rootfs(), "/bin/true"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find("rootfs " + rootfs()), std::string::npos) << r;
  EXPECT_NE(r.err.find("child: chroot"), std::string::npos) << r;
  EXPECT_NE(r.err.find("exec /bin/true"), std::string::npos) << r;
}

// This test PASSES when the escape SUCCEEDS. It demonstrates the weakness of chroot that
// chapter 03 removes; it is not a bug. See chapters/01-chroot/README.md.
TEST(ChrootIsNoJail, ClassicEscapeReachesTheHostRoot_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  dockling::TempDir outside("dockling-ch01");
  auto marker = outside.path() / unique_name("escape-marker-");
  std::ofstream(marker) << "host";
  auto r = run(ch01({"/bin/probe", "escape", marker.string()}));
  ASSERT_EQ(r.exit_code, 0) << r;
  auto report = parse_json(r.out);
  EXPECT_EQ(report["escaped"], true) << "the probe should have climbed out of the chroot\n" << r;
}

}  // namespace
