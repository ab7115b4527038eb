// Chapter 08: DOCKLING_CGROUP_PARENT, the cgroup that holds the containers' cgroups instead of
// `dockling` (scripts/lab gives each of its hosts one, so that a host's containers are found
// apart from the others'). The drivers follow it when they create, list and sweep: checked on
// layouts in temporary directories (as test_layout.cpp does), then, as root, with a real run.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cgroup.hpp"
#include "dockling/error.hpp"
#include "dockling/fs.hpp"
#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"

namespace {

namespace fs = std::filesystem;
using namespace dockling::ch08;

/// DOCKLING_CGROUP_PARENT set (or unset) for the life of the object, then as it was.
class ParentVariable {
 public:
  explicit ParentVariable(const std::optional<std::string>& value) {
    if (const char* old = std::getenv(kName)) old_ = old;
    if (value) ::setenv(kName, value->c_str(), 1);
    else ::unsetenv(kName);
  }
  ~ParentVariable() {
    if (old_) ::setenv(kName, old_->c_str(), 1);
    else ::unsetenv(kName);
  }
  ParentVariable(const ParentVariable&) = delete;
  ParentVariable& operator=(const ParentVariable&) = delete;

 private:
  static constexpr const char* kName = "DOCKLING_CGROUP_PARENT";
  std::optional<std::string> old_;
};

void touch(const fs::path& file, const std::string& content = "") {
  fs::create_directories(file.parent_path());
  std::ofstream(file) << content;
}

std::string contents(const fs::path& file) {
  std::string text = dockling::read_file(file.string());
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

std::string random_id() { return dockling::random_hex(32); }

TEST(CgroupParent, IsDocklingWithoutTheVariable) {
  ParentVariable unset(std::nullopt);
  EXPECT_EQ(cgroup_parent(), "dockling");
  ParentVariable empty(std::string{});
  EXPECT_EQ(cgroup_parent(), "dockling") << "an empty value is no value";
}

TEST(CgroupParent, ComesFromTheEnvironmentAsOneNameOrAPath) {
  for (const char* value : {"dockling-lab-t1-host2", "dockling-lab/t1/host2", "machine.slice/dockling@2:x_y"}) {
    ParentVariable parent(std::string{value});
    EXPECT_EQ(cgroup_parent(), value);
  }
}

TEST(CgroupParent, PathsThatLeaveTheHierarchyOrAreNotNamesAreRefused) {
  for (const char* value : {"/dockling", "..", "a/../../b", ".", "a/./b", "a//b", "a/", "a b", "a\nb", "a*"}) {
    ParentVariable parent(std::string{value});
    EXPECT_THROW(cgroup_parent(), dockling::Error) << "DOCKLING_CGROUP_PARENT=\"" << value << "\"";
  }
}

/// The files a kernel shows in a v2 cgroup directory, for `dir`.
void v2_directory(const fs::path& dir) {
  touch(dir / "cgroup.controllers");
  touch(dir / "cgroup.subtree_control");
  touch(dir / "cgroup.procs");
}

TEST(CgroupParent, OnV2EveryLevelIsMadeAndDelegatesTheControllers) {
  ParentVariable parent(std::string{"lab/t1/host2"});
  dockling::TempDir root("dockling-ch08-parent");
  std::string id = random_id();
  v2_directory(root.path());
  touch(root.path() / "cgroup.controllers", "cpuset cpu io memory pids\n");
  // A plain directory does not grow the interface files: make them where the kernel would.
  for (const fs::path& dir : {root.path() / "lab", root.path() / "lab/t1", root.path() / "lab/t1/host2"})
    v2_directory(dir);
  auto cgroup = make_cgroup(CgroupVersion::v2, id, root.path());
  cgroup->create();
  EXPECT_EQ(cgroup->directories(), (std::vector<std::string>{(root.path() / "lab/t1/host2" / id).string()}));
  EXPECT_TRUE(fs::is_directory(root.path() / "lab/t1/host2" / id));
  for (const fs::path& dir : {root.path(), root.path() / "lab", root.path() / "lab/t1", root.path() / "lab/t1/host2"})
    EXPECT_NE(contents(dir / "cgroup.subtree_control").find("+pids"), std::string::npos) << dir;
  EXPECT_FALSE(fs::exists(root.path() / "dockling")) << "nothing under the default parent";
}

TEST(CgroupParent, OnV1EveryHierarchyGetsEveryLevelWithItsParentsCpus) {
  ParentVariable parent(std::string{"lab/host2"});
  dockling::TempDir root("dockling-ch08-parent");
  std::string id = random_id();
  for (const char* hierarchy : {"blkio", "cpu,cpuacct", "cpuset", "memory", "pids"}) {
    touch(root.path() / hierarchy / "cgroup.procs");
    for (const char* level : {"lab", "lab/host2"}) touch(root.path() / hierarchy / level / "cgroup.procs");
    touch(root.path() / hierarchy / "lab/host2" / id / "cgroup.procs");
  }
  // A new cpuset has no CPUs and no memory nodes until it is given its parent's.
  touch(root.path() / "cpuset/cpuset.cpus", "0-3\n");
  touch(root.path() / "cpuset/cpuset.mems", "0\n");
  fs::path cpuset = root.path() / "cpuset";
  for (const fs::path& dir : {cpuset / "lab", cpuset / "lab/host2", cpuset / "lab/host2" / id}) {
    touch(dir / "cpuset.cpus");
    touch(dir / "cpuset.mems");
  }
  auto cgroup = make_cgroup(CgroupVersion::v1, id, root.path());
  cgroup->create();
  std::vector<std::string> expected;
  for (const char* hierarchy : {"blkio", "cpu,cpuacct", "cpuset", "memory", "pids"})
    expected.push_back((fs::canonical(root.path()) / hierarchy / "lab/host2" / id).string());
  auto dirs = cgroup->directories();
  std::sort(dirs.begin(), dirs.end());
  EXPECT_EQ(dirs, expected);
  EXPECT_EQ(contents(root.path() / "cpuset/lab/cpuset.cpus"), "0-3");
  EXPECT_EQ(contents(root.path() / "cpuset/lab/host2/cpuset.cpus"), "0-3");
  EXPECT_EQ(contents(root.path() / "cpuset/lab/host2" / id / "cpuset.cpus"), "0-3");
  EXPECT_EQ(contents(root.path() / "cpuset/lab/host2" / id / "cpuset.mems"), "0");
}

TEST(CgroupParent, TheSweepLooksUnderTheParentAndNowhereElse) {
  dockling::TempDir root("dockling-ch08-parent");
  std::string ours = random_id(), theirs = random_id();
  fs::create_directories(root.path() / "lab-host2" / ours);  // stale, under our parent
  fs::create_directories(root.path() / "dockling" / theirs);  // another parent's: not ours to judge
  {
    ParentVariable parent(std::string{"lab-host2"});
    remove_stale_cgroups(CgroupVersion::v2, root.path());
  }
  EXPECT_FALSE(fs::exists(root.path() / "lab-host2" / ours)) << "a stale cgroup under the parent is swept";
  EXPECT_TRUE(fs::exists(root.path() / "dockling" / theirs)) << "the default parent is left alone";
}

// As root, on this machine's cgroups: a container's cgroup, and its --pids-limit, land under
// the parent in every hierarchy. (A parent of one name, as scripts/lab gives: on v1, the
// cgroup mount inside the container still takes the hierarchy's name two levels above the
// container's cgroup, see hierarchy_of in cgroup_mount.cpp.)
TEST(CgroupParent, ARunsCgroupIsMadeUnderTheParent) {
  DOCKLING_REQUIRE_ROOT();
  using namespace dockling::testing;
  std::string parent_name = "dockling-test-" + dockling::random_hex(4);
  std::string root = cgroup_root();
  CgroupVersion version = version_of(detect_layout(root));
  dockling::TempDir dir("dockling-ch08-parent");
  std::string cidfile = (dir.path() / "cid").string();
  std::string limit = std::to_string(100 + ::getpid() % 400);
  Background container({"/usr/bin/env", "DOCKLING_CGROUP_PARENT=" + parent_name, bin("ch08-cgroups"), "run",
                        "--network", "none", "--cidfile", cidfile, "--pids-limit", limit, rootfs(), "sh", "-c",
                        "echo ready; exec sleep 1"});
  EXPECT_EQ(container.read_line(), "ready");
  std::string id = fs::exists(cidfile) ? dockling::read_file(cidfile) : "";
  while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
  ASSERT_EQ(id.size(), 64u) << "no --cidfile";
  std::vector<std::string> dirs;
  {
    ParentVariable parent(parent_name);
    dirs = make_cgroup(version, id, root)->directories();
  }
  ASSERT_FALSE(dirs.empty());
  bool limited = false;
  for (const auto& cgroup : dirs) {
    EXPECT_NE(cgroup.find("/" + parent_name + "/" + id), std::string::npos) << cgroup;
    EXPECT_TRUE(fs::is_directory(cgroup)) << cgroup;
    if (fs::exists(cgroup + "/pids.max")) limited = contents(cgroup + "/pids.max") == limit;
  }
  EXPECT_TRUE(limited) << "--pids-limit " << limit << " is in the cgroup under the parent";
  {
    ParentVariable parent(std::nullopt);
    for (const auto& cgroup : make_cgroup(version, id, root)->directories())
      EXPECT_FALSE(fs::exists(cgroup)) << cgroup << ": nothing under the default parent";
  }
  RunResult finished = container.wait();
  EXPECT_EQ(finished.exit_code, 0) << finished;
  // The run removed its own cgroup; the parent it made stays, as `dockling` does.
  for (const auto& cgroup : dirs) {
    EXPECT_FALSE(fs::exists(cgroup)) << cgroup << " was left behind";
    ::rmdir(fs::path(cgroup).parent_path().c_str());
  }
}

}  // namespace
