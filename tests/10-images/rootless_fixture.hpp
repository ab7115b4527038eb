// Rootless runs in the tests: a throwaway user with subordinate id ranges of its own, a state
// root it owns, and a cgroup delegated to it. Chapter 10's tests and the later chapters'
// (13: volumes) share them.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dockling/fs.hpp"
#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"
#include "newidmap.hpp"

namespace dockling::ch10::testing {

/// A throwaway user with subordinate ranges of its own, and a state root it owns.
class RootlessTest : public ::testing::Test {
 protected:
  static constexpr unsigned long kCount = 65536;
  std::optional<dockling::testing::HostUser> user;
  std::optional<dockling::testing::SubordinateIds> ranges;
  std::optional<TempDir> state;
  unsigned long uid_start = 0, gid_start = 0;

  void SetUp() override {
    DOCKLING_REQUIRE_ROOT();
    if (!ch07::find_idmap_helpers(std::getenv("PATH")))
      GTEST_SKIP() << "newuidmap/newgidmap not in PATH: install the uidmap package (scripts/setup-deps does)";
    user.emplace();
    // Far from chapter 07's test ranges (300000 + 2 * 65536 * 0..999).
    uid_start = 400000000 + std::stoul(random_hex(2), nullptr, 16) % 1000 * 2 * kCount;
    gid_start = uid_start + kCount;
    ranges.emplace(user->name + ":" + std::to_string(uid_start) + ":" + std::to_string(kCount),
                   user->name + ":" + std::to_string(gid_start) + ":" + std::to_string(kCount));
    state.emplace("dockling-rootless");
  }
  void TearDown() override {
    state.reset();  // as root: the layers hold the user's subordinate ids
    ranges.reset();
    user.reset();
  }
};

/// A cgroup the user may create its containers' cgroups in, with the runtime started inside
/// it (a rootless runtime may only move processes between cgroups it owns, as under systemd's
/// user delegation). Removed, with what the runs left in it, on destruction.
struct DelegatedCgroup {
  std::filesystem::path dir;
  explicit DelegatedCgroup(const dockling::testing::HostUser& user) {
    namespace fs = std::filesystem;
    fs::path base = fs::exists("/sys/fs/cgroup/unified/cgroup.procs") ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup";
    dir = base / ("dockling-test-" + random_hex(4));
    fs::create_directories(dir / "runtime");
    for (const fs::path& path : {dir, dir / "runtime", dir / "cgroup.procs", dir / "runtime" / "cgroup.procs",
                                 dir / "cgroup.subtree_control"})
      if (::chown(path.c_str(), user.uid, user.gid) != 0) throw std::runtime_error("chown " + path.string());
  }
  ~DelegatedCgroup() { remove(dir); }
  DelegatedCgroup(const DelegatedCgroup&) = delete;
  DelegatedCgroup& operator=(const DelegatedCgroup&) = delete;
  static void remove(const std::filesystem::path& cgroup) {
    std::error_code ignored;
    for (const auto& entry : std::filesystem::directory_iterator(cgroup, ignored))
      if (entry.is_directory()) remove(entry.path());
    ::rmdir(cgroup.c_str());
  }
  /// `argv` (as_user's) started inside DIR/runtime, with DIR as the runtime's cgroup root.
  std::vector<std::string> wrap(std::vector<std::string> argv) const {
    auto root = std::find_if(argv.begin(), argv.end(),
                             [](const std::string& arg) { return arg.rfind("DOCKLING_ROOT=", 0) == 0; });
    argv.insert(root + 1, "DOCKLING_CGROUP_ROOT=" + dir.string());
    std::vector<std::string> with = {"/bin/sh", "-c", "echo $$ > " + (dir / "runtime" / "cgroup.procs").string() +
                                                          " && exec \"$@\"",
                                     "sh"};
    with.insert(with.end(), argv.begin(), argv.end());
    return with;
  }
};

}  // namespace dockling::ch10::testing
