// Our client against our server: an image pushed, removed and pulled back is the same image
// and runs; what skopeo copies in we pull. Crashes halfway through an upload: a push killed
// while a big layer streams, and the server killed while it receives one. A stalling proxy
// between the two holds the upload at a known point, so the kill never races the transfer.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "digest.hpp"
#include "dockling/fs.hpp"
#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"
#include "registry_curl.hpp"
#include "registry_fixture.hpp"
#include "stalling_proxy.hpp"

namespace dockling::ch12 {
namespace {

using namespace dockling::testing;
namespace fs = std::filesystem;

constexpr const char* kSkopeo = "/usr/bin/skopeo";
/// What the proxy lets through before it holds a push: well inside the big layer.
constexpr std::uint64_t kStallAfter = 4 << 20;

/// The blob files under the server's ROOT/blobs/sha256 that are not a whole blob: a name that
/// is not 64 hex digits (a temporary) or content whose sha256 is not the name.
std::vector<std::string> bad_blobs(const fs::path& server_root) {
  std::vector<std::string> bad;
  for (const auto& entry : fs::directory_iterator(server_root / "blobs" / "sha256")) {
    std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || !ch10::is_sha256_digest("sha256:" + name) ||
        ch10::sha256_digest(read_file(entry.path().string())) != "sha256:" + name)
      bad.push_back(name);
  }
  return bad;
}

/// The number of files under ROOT/blobs/sha256.
std::size_t blob_count(const fs::path& server_root) {
  std::size_t count = 0;
  for (const auto& entry : fs::directory_iterator(server_root / "blobs" / "sha256")) count += entry.is_regular_file();
  return count;
}

/// Bytes held by upload sessions under ROOT/uploads (what a half upload left).
std::uintmax_t upload_bytes(const fs::path& server_root) {
  std::uintmax_t bytes = 0;
  std::error_code error;
  for (auto it = fs::recursive_directory_iterator(server_root / "uploads", error);
       !error && it != fs::recursive_directory_iterator(); it.increment(error))
    if (it->path().filename() == "data") bytes += fs::file_size(it->path(), error);
  return bytes;
}

/// Waits up to 20 s for `done`.
bool eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 2000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

class DocklingPair : public ::testing::Test {
 protected:
  TempDir tmp{"dockling-ch12-pair"};
  std::string root = (tmp.path() / "store").string();
  fs::path server_root = tmp.path() / "registry";
  std::unique_ptr<RunningRegistry> registry;

  void SetUp() override {
    DOCKLING_REQUIRE_ROOT();
    registry = RunningRegistry::dockling(server_root);
    ASSERT_TRUE(registry);
  }
  void TearDown() override {
    if (registry) registry->stop();
  }

  std::vector<std::string> ch12_argv(std::vector<std::string> args, const std::string& in_root = "") {
    args.insert(args.begin(), {bin("ch12-registry"), "--root", in_root.empty() ? root : in_root});
    return args;
  }
  RunResult ch12(std::vector<std::string> args, const std::string& in_root = "") {
    return run(ch12_argv(std::move(args), in_root), milliseconds(60000));
  }
  /// A tar of `dir` imported as `name`; @returns the image id.
  std::string import_dir(const std::string& dir, const std::string& name, const std::string& in_root = "") {
    std::string tarball = (tmp.path() / unique_name("layer-")).string() + ".tar";
    RunResult tar = run({"/bin/tar", "-C", dir, "-cf", tarball, "."});
    EXPECT_EQ(tar.exit_code, 0) << tar;
    RunResult imported = ch12({"import", tarball, name}, in_root);
    EXPECT_EQ(imported.exit_code, 0) << imported;
    return imported.out.substr(0, imported.out.find('\n'));
  }
  /// A layer of 20 MB of random bytes imported as `name`; @returns its layer's digest.
  std::string import_big(const std::string& name) {
    fs::path dir = tmp.path() / "big";
    fs::create_directories(dir);
    RunResult made = run({"/bin/sh", "-c", "head -c 20000000 /dev/urandom > \"$0\"/random.bin", dir.string()});
    EXPECT_EQ(made.exit_code, 0) << made;
    import_dir(dir.string(), name);
    return inspect(name, "{{index .RootFS.Layers 0}}");  // a plain tar: its digest is its diff id
  }
  std::string inspect(const std::string& name, const std::string& format, const std::string& in_root = "") {
    RunResult inspected = ch12({"inspect", "--type", "image", "--format", format, name}, in_root);
    EXPECT_EQ(inspected.exit_code, 0) << inspected;
    return inspected.out.substr(0, inspected.out.find('\n'));
  }
  std::string manifest_digest(const std::string& name, const std::string& in_root = "") {
    RunResult listed = ch12({"images", "--digests", "--format", "{{.Digest}}", name}, in_root);
    EXPECT_EQ(listed.exit_code, 0) << listed;
    return listed.out.substr(0, listed.out.find('\n'));
  }
  /// Starts `push NAME` through `proxy` and waits until the proxy holds it (the server has
  /// part of the layer). @returns the running push.
  std::unique_ptr<Background> push_until_stalled(StallingProxy& proxy, const std::string& name) {
    auto push = std::make_unique<Background>(ch12_argv({"push", name}));
    EXPECT_TRUE(eventually([&] { return proxy.stalled(); })) << "the push never reached the proxy's limit";
    // Everything the proxy let through has reached the session's data file.
    EXPECT_TRUE(eventually([&] { return upload_bytes(server_root) > kStallAfter / 2; })) << upload_bytes(server_root);
    std::uintmax_t before = 0;
    EXPECT_TRUE(eventually([&] {
      std::uintmax_t now = upload_bytes(server_root);
      bool steady = now == before;
      before = now;
      return steady;
    }));
    return push;
  }
};

TEST_F(DocklingPair, PushedRemovedAndPulledBackItIsTheSameImageAndRuns) {
  std::string image = registry->address() + "/busybox:latest";
  std::string id = import_dir(rootfs(), image);
  std::string digest = manifest_digest(image);
  std::string layer = inspect(image, "{{index .RootFS.Layers 0}}").substr(7, 12);
  ASSERT_FALSE(HasFailure());

  RunResult pushed = ch12({"push", image});
  ASSERT_EQ(pushed.exit_code, 0) << pushed << registry->log();
  EXPECT_NE(pushed.out.find(layer + ": Pushed\n"), std::string::npos) << pushed;
  EXPECT_NE(pushed.out.find("latest: digest: " + digest + " size: "), std::string::npos) << pushed;
  RunResult again = ch12({"push", image});
  ASSERT_EQ(again.exit_code, 0) << again;
  EXPECT_NE(again.out.find(layer + ": Layer already exists\n"), std::string::npos) << again;

  ASSERT_EQ(ch12({"rmi", image}).exit_code, 0);
  RunResult pulled = ch12({"pull", image});
  ASSERT_EQ(pulled.exit_code, 0) << pulled << registry->log();
  EXPECT_NE(pulled.out.find("Digest: " + digest + "\nStatus: Downloaded newer image for " + image + "\n"), std::string::npos)
      << pulled;
  EXPECT_EQ(inspect(image, "{{.Id}}"), id);
  EXPECT_EQ(manifest_digest(image), digest);
  RunResult ran = ch12({"run", "--rm", "--network", "none", image, "/bin/echo", "hi"});
  EXPECT_EQ(ran.out, "hi\n") << ran;
  EXPECT_EQ(bad_blobs(server_root), std::vector<std::string>{});
}

TEST_F(DocklingPair, PullsWhatSkopeoCopiedIn) {
  ASSERT_TRUE(fs::exists(kSkopeo)) << "skopeo is not installed: run sudo scripts/setup-deps";
  std::string source = (tmp.path() / "source").string();
  std::string id = import_dir(rootfs(), "copied:1", source);
  ASSERT_FALSE(HasFailure());
  std::string name = registry->address() + "/from-skopeo:1";
  RunResult copied = run({kSkopeo, "copy", "-q", "--dest-tls-verify=false",
                          "oci:" + source + "/images:docker.io/library/copied:1", "docker://" + name});
  ASSERT_EQ(copied.exit_code, 0) << copied << registry->log();

  RunResult pulled = ch12({"pull", name});
  ASSERT_EQ(pulled.exit_code, 0) << pulled << registry->log();
  EXPECT_EQ(inspect(name, "{{.Id}}"), id) << "the config went through unchanged";
  RunResult ran = ch12({"run", "--rm", "--network", "none", name, "/bin/echo", "hi"});
  EXPECT_EQ(ran.out, "hi\n") << ran;
}

TEST_F(DocklingPair, APushKilledHalfwayLeavesNoHalfBlobAndTheNextOneCompletes) {
  auto proxy = std::make_unique<StallingProxy>(registry->address(), kStallAfter);
  std::string through_proxy = proxy->address() + "/big:1";
  std::string layer = import_big(through_proxy);
  ASSERT_FALSE(HasFailure());

  std::unique_ptr<Background> push = push_until_stalled(*proxy, through_proxy);
  ASSERT_FALSE(HasFailure());
  push->signal(SIGKILL);
  RunResult killed = push->wait(milliseconds(10000));
  EXPECT_NE(killed.exit_code, 0) << killed;
  proxy.reset();  // the server sees the connection end in the middle of the body
  EXPECT_EQ(blob_count(server_root), 0u);

  std::string direct = registry->address() + "/big:1";
  ASSERT_EQ(ch12({"tag", through_proxy, direct}).exit_code, 0);
  RunResult pushed = ch12({"push", direct});
  ASSERT_EQ(pushed.exit_code, 0) << pushed << registry->log();
  EXPECT_NE(pushed.out.find(layer.substr(7, 12) + ": Pushed\n"), std::string::npos) << pushed;
  EXPECT_EQ(bad_blobs(server_root), std::vector<std::string>{});
  EXPECT_EQ(blob_count(server_root), 3u) << "the layer, the config and the manifest";
  CurlAnswer head = curl({"-I", registry->url() + "/v2/big/blobs/" + layer});
  EXPECT_EQ(head.status, 200) << head;
}

TEST_F(DocklingPair, AServerKilledDuringAnUploadServesEveryCompletedBlobAndNoPartialOne) {
  std::string image = registry->address() + "/busybox:1";
  std::string id = import_dir(rootfs(), image);
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(ch12({"push", image}).exit_code, 0);

  auto proxy = std::make_unique<StallingProxy>(registry->address(), kStallAfter);
  std::string layer = import_big(proxy->address() + "/big:1");
  ASSERT_FALSE(HasFailure());
  std::unique_ptr<Background> push = push_until_stalled(*proxy, proxy->address() + "/big:1");
  ASSERT_FALSE(HasFailure());
  registry->kill();
  registry.reset();
  RunResult failed = push->wait(milliseconds(20000));
  EXPECT_NE(failed.exit_code, 0) << failed;
  proxy.reset();

  registry = RunningRegistry::dockling(server_root);
  ASSERT_TRUE(registry);
  EXPECT_EQ(bad_blobs(server_root), std::vector<std::string>{});
  EXPECT_EQ(blob_count(server_root), 3u) << "busybox's layer, config and manifest";
  CurlAnswer head = curl({"-I", registry->url() + "/v2/big/blobs/" + layer});
  EXPECT_EQ(head.status, 404) << head;

  // Everything that was complete comes back: busybox pulls whole into another store.
  std::string other = (tmp.path() / "other").string();
  std::string again = registry->address() + "/busybox:1";
  RunResult pulled = ch12({"pull", again}, other);
  ASSERT_EQ(pulled.exit_code, 0) << pulled << registry->log();
  EXPECT_EQ(inspect(again, "{{.Id}}", other), id);
}

}  // namespace
}  // namespace dockling::ch12
