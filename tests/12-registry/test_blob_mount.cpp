// push's cross-repository mount, against our server and docker-registry: an image that has a
// name in another repository of the registry has its blobs mounted from there ("Mounted from
// a"), nothing sent again; when that repository lacks them (202), they are uploaded.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"
#include "registry_fixture.hpp"

namespace dockling::ch12 {
namespace {

using namespace dockling::testing;

class BlobMount : public ::testing::Test {
 protected:
  TempDir tmp{"dockling-ch12-blob-mount"};
  std::string root = (tmp.path() / "root").string();
  std::unique_ptr<RunningRegistry> registry;

  void TearDown() override {
    if (registry) registry->stop();
  }

  RunResult ch12(std::vector<std::string> args) {
    args.insert(args.begin(), {bin("ch12-registry"), "--root", root});
    return run(args, milliseconds(60000));
  }
  /// Imports the test rootfs as `name`.
  void import(const std::string& name) {
    RunResult imported = import_busybox(root, name);
    ASSERT_EQ(imported.exit_code, 0) << imported;
  }

  /// a:1 pushed, then b:1 (the same image) is mounted from a and pulls back.
  void mounts_from_the_other_repository() {
    std::string a = registry->address() + "/a:1";
    std::string b = registry->address() + "/b:1";
    import(a);
    ASSERT_FALSE(HasFatalFailure());
    RunResult first = ch12({"push", a});
    ASSERT_EQ(first.exit_code, 0) << first;
    EXPECT_NE(first.out.find(": Pushed\n"), std::string::npos) << first;
    ASSERT_EQ(ch12({"tag", a, b}).exit_code, 0);
    RunResult second = ch12({"push", b});
    ASSERT_EQ(second.exit_code, 0) << second;
    EXPECT_NE(second.out.find(": Mounted from a\n"), std::string::npos) << second;
    EXPECT_EQ(second.out.find(": Pushed\n"), std::string::npos) << second;
    EXPECT_NE(second.out.find("1: digest: sha256:"), std::string::npos) << second;
    // What was mounted is served from b.
    ASSERT_EQ(ch12({"rmi", a}).exit_code, 0);
    ASSERT_EQ(ch12({"rmi", b}).exit_code, 0);
    RunResult pulled = ch12({"pull", b});
    ASSERT_EQ(pulled.exit_code, 0) << pulled;
    EXPECT_NE(pulled.out.find("Status: Downloaded newer image for " + b), std::string::npos) << pulled;
  }

  /// The image is also named x:1, never pushed: the mount is refused (202) and b's blobs go up.
  void uploads_when_the_other_repository_lacks_the_blobs() {
    std::string x = registry->address() + "/x:1";
    std::string b = registry->address() + "/b:1";
    import(x);
    ASSERT_FALSE(HasFatalFailure());
    ASSERT_EQ(ch12({"tag", x, b}).exit_code, 0);
    RunResult pushed = ch12({"push", b});
    ASSERT_EQ(pushed.exit_code, 0) << pushed;
    EXPECT_NE(pushed.out.find(": Pushed\n"), std::string::npos) << pushed;
    EXPECT_EQ(pushed.out.find("Mounted from"), std::string::npos) << pushed;
  }
};

TEST_F(BlobMount, OurServerMountsFromAnotherRepository) {
  DOCKLING_REQUIRE_ROOT();
  registry = RunningRegistry::dockling(tmp.path() / "registry");
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(registry);
  mounts_from_the_other_repository();
}

TEST_F(BlobMount, OurServerRefusingAMountMeansAnUpload) {
  DOCKLING_REQUIRE_ROOT();
  registry = RunningRegistry::dockling(tmp.path() / "registry");
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(registry);
  uploads_when_the_other_repository_lacks_the_blobs();
}

TEST_F(BlobMount, DockerRegistryMountsFromAnotherRepository) {
  DOCKLING_REQUIRE_ROOT();
  registry = RunningRegistry::cncf(tmp.path() / "registry");
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(registry);
  mounts_from_the_other_repository();
}

TEST_F(BlobMount, DockerRegistryRefusingAMountMeansAnUpload) {
  DOCKLING_REQUIRE_ROOT();
  registry = RunningRegistry::cncf(tmp.path() / "registry");
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(registry);
  uploads_when_the_other_repository_lacks_the_blobs();
}

}  // namespace
}  // namespace dockling::ch12
