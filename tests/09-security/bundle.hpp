// Chapter 09's tests: an OCI bundle in a temporary directory, shared by the test files.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "dockling/fs.hpp"
#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"

namespace dockling::testing {

/// A bundle whose config.json is `runc spec`'s (or ours, without runc), pointed at the test
/// rootfs (read-only, so nothing is written there) and at `args`, with no terminal and a
/// hostname of its own. Edit `config` and call save() for more.
struct Bundle {
  dockling::TempDir dir{"ch09-bundle"};
  nlohmann::json config;

  explicit Bundle(const std::vector<std::string>& args, bool from_runc = true) {
    std::vector<std::string> spec = {"/usr/sbin/runc", "spec", "--bundle", dir.path().string()};
    if (!from_runc) spec = {bin("ch09-security"), "oci", "spec", "--bundle", dir.path().string()};
    auto made = run(spec);
    EXPECT_EQ(made.exit_code, 0) << made;
    config = parse_json(dockling::read_file(dir.path() / "config.json"));
    config["root"] = {{"path", rootfs()}, {"readonly", true}};
    config["process"]["terminal"] = false;
    config["process"]["args"] = args;
    config["hostname"] = unique_name("h");
    save();
  }
  /// A copy of the test rootfs in the bundle (root.path "rootfs"), for tests that make
  /// mount points in it.
  void own_rootfs() {
    auto copied = run({"/bin/cp", "-a", rootfs(), (dir.path() / "rootfs").string()});
    EXPECT_EQ(copied.exit_code, 0) << copied;
    config["root"]["path"] = "rootfs";
    save();
  }
  /// Writes `config` to config.json.
  void save() { std::ofstream(dir.path() / "config.json") << config.dump(2); }
  /// The bundle's directory.
  std::string path() const { return dir.path().string(); }
};

}  // namespace dockling::testing
