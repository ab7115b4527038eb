// `registry gc`: after a manifest is deleted through the API, the blobs only it needed are
// removed; the ones another image shares stay, and that image still pulls and runs.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "dockling/fs.hpp"
#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"
#include "registry_curl.hpp"
#include "registry_fixture.hpp"

namespace dockling::ch12 {
namespace {

using namespace dockling::testing;
namespace fs = std::filesystem;

class RegistryGc : public ::testing::Test {
 protected:
  TempDir tmp{"dockling-ch12-gc"};
  std::string root = (tmp.path() / "root").string();
  fs::path storage = tmp.path() / "registry";
  std::unique_ptr<RunningRegistry> registry;

  RunResult ch12(std::vector<std::string> args, const std::string& in_root = "") {
    args.insert(args.begin(), {bin("ch12-registry"), "--root", in_root.empty() ? root : in_root});
    return run(args, milliseconds(60000));
  }
  std::vector<std::string> blobs() {
    std::vector<std::string> found;
    for (const auto& entry : fs::directory_iterator(storage / "blobs" / "sha256")) found.push_back(entry.path().filename());
    return found;
  }
};

TEST_F(RegistryGc, RemovesWhatOnlyADeletedManifestNeededAndKeepsWhatIsShared) {
  DOCKLING_REQUIRE_ROOT();
  ASSERT_EQ(import_busybox(root, "busybox").exit_code, 0);
  registry = RunningRegistry::dockling(storage);
  ASSERT_FALSE(HasFatalFailure());
  std::string base = registry->address() + "/base:1", extra = registry->address() + "/extra:1";
  ASSERT_EQ(ch12({"tag", "busybox", base}).exit_code, 0);
  ASSERT_EQ(ch12({"push", base}).exit_code, 0);
  // A second image: busybox's layer and one of its own.
  RunResult made = ch12({"run", "--name", "maker", "--network", "none", "busybox", "sh", "-c", "echo unique > /unique"});
  ASSERT_EQ(made.exit_code, 0) << made;
  ASSERT_EQ(ch12({"commit", "maker", extra}).exit_code, 0);
  ASSERT_EQ(ch12({"rm", "maker"}).exit_code, 0);
  ASSERT_EQ(ch12({"push", extra}).exit_code, 0);
  // Stored: busybox's layer, its config and manifest; the extra layer, config and manifest.
  ASSERT_EQ(blobs().size(), 6u);

  CurlAnswer head = curl({"-I", "-H", "Accept: application/vnd.oci.image.manifest.v1+json",
                          registry->url() + "/v2/extra/manifests/1"});
  auto digest = head.header("Docker-Content-Digest");
  ASSERT_TRUE(digest) << head;
  CurlAnswer deleted = curl({"-X", "DELETE", registry->url() + "/v2/extra/manifests/" + *digest});
  ASSERT_EQ(deleted.status, 202) << deleted;
  EXPECT_EQ(blobs().size(), 6u) << "a DELETE unlinks the manifest; its blobs stay until gc";

  RunResult busy = ch12({"registry", "gc", "--root", storage.string()});
  EXPECT_EQ(busy.exit_code, 1) << busy;
  EXPECT_NE(busy.err.find("is being served: stop `registry serve` first"), std::string::npos) << busy;
  ASSERT_EQ(registry->stop().exit_code, 0);

  RunResult dry = ch12({"registry", "gc", "--dry-run", "--root", storage.string()});
  EXPECT_EQ(dry.exit_code, 0) << dry;
  EXPECT_NE(dry.out.find("base: marking manifest sha256:"), std::string::npos) << dry;
  EXPECT_NE(dry.out.find("\n3 blobs marked, 3 blobs and 0 manifests eligible for deletion\n"), std::string::npos) << dry;
  EXPECT_NE(dry.out.find("blob eligible for deletion: " + *digest + "\n"), std::string::npos) << dry;
  EXPECT_EQ(blobs().size(), 6u) << "a dry run removes nothing";

  RunResult swept = ch12({"registry", "gc", "--root", storage.string()});
  EXPECT_EQ(swept.exit_code, 0) << swept;
  EXPECT_NE(swept.out.find("Deleting blob: "), std::string::npos) << swept;
  EXPECT_EQ(blobs().size(), 3u);

  // What stays is whole: base pulls into an empty store and runs.
  registry = RunningRegistry::dockling(storage);
  ASSERT_FALSE(HasFatalFailure());
  std::string elsewhere = (tmp.path() / "elsewhere").string();
  std::string again = registry->address() + "/base:1";
  RunResult pulled = ch12({"pull", again}, elsewhere);
  ASSERT_EQ(pulled.exit_code, 0) << pulled;
  RunResult ran = ch12({"run", "--rm", "--network", "none", again, "/bin/echo", "whole"}, elsewhere);
  EXPECT_EQ(ran.out, "whole\n") << ran;
  EXPECT_EQ(curl({"-I", registry->url() + "/v2/extra/manifests/1"}).status, 404);
  ASSERT_EQ(ch12({"rmi", again}, elsewhere).exit_code, 0);
}

}  // namespace
}  // namespace dockling::ch12
