// `pull` and `push` against the CNCF registry (docker-registry 2.8, the peer): an image pushed,
// removed and pulled back is the same image and runs; what skopeo puts in the registry we
// pull, what we push skopeo reads; a blob the registry altered is refused and leaves nothing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "digest.hpp"
#include "dockling/fs.hpp"
#include "image_store.hpp"
#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"
#include "registry_fixture.hpp"

namespace dockling::ch12 {
namespace {

using namespace dockling::testing;
namespace fs = std::filesystem;

std::string which(const std::string& program) {
  for (const char* dir : {"/usr/local/bin", "/usr/bin", "/bin"}) {
    std::string path = std::string(dir) + "/" + program;
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  return "";
}

/// Every file name under `dir` (relative), sorted; empty when it does not exist.
std::vector<std::string> files_under(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code error;
  for (auto it = fs::recursive_directory_iterator(dir, error); !error && it != fs::recursive_directory_iterator();
       it.increment(error))
    names.push_back(fs::relative(it->path(), dir).string());
  std::sort(names.begin(), names.end());
  return names;
}

class PullPush : public ::testing::Test {
 protected:
  TempDir tmp{"dockling-ch12-client"};
  std::string root = (tmp.path() / "root").string();
  std::string tarball = (tmp.path() / "busybox.tar").string();
  std::unique_ptr<RunningRegistry> registry;
  std::string image;  ///< 127.0.0.1:PORT/busybox:latest

  void SetUp() override {
    DOCKLING_REQUIRE_ROOT();
    registry = RunningRegistry::cncf(tmp.path() / "registry");
    ASSERT_TRUE(registry);
    image = registry->address() + "/busybox:latest";
    RunResult tar = run({"/bin/tar", "-C", rootfs(), "-cf", tarball, "."});
    ASSERT_EQ(tar.exit_code, 0) << tar;
  }
  void TearDown() override {
    if (registry) registry->stop();
  }

  RunResult ch12(std::vector<std::string> args, const std::string& in_root = "") {
    args.insert(args.begin(), {bin("ch12-registry"), "--root", in_root.empty() ? root : in_root});
    return run(args, milliseconds(60000));
  }
  /// The busybox rootfs imported as `name` into `in_root`; @returns its image id.
  std::string import(const std::string& name, const std::string& in_root = "") {
    RunResult imported = ch12({"import", tarball, name}, in_root);
    EXPECT_EQ(imported.exit_code, 0) << imported;
    return imported.out.substr(0, imported.out.find('\n'));
  }
  /// A Go template of `inspect` on `name`, one line.
  std::string inspect(const std::string& name, const std::string& format, const std::string& in_root = "") {
    RunResult inspected = ch12({"inspect", "--type", "image", "--format", format, name}, in_root);
    EXPECT_EQ(inspected.exit_code, 0) << inspected;
    return inspected.out.substr(0, inspected.out.find('\n'));
  }
  std::string manifest_digest(const std::string& name) {
    RunResult listed = ch12({"images", "--digests", "--format", "{{.Digest}}", name});
    EXPECT_EQ(listed.exit_code, 0) << listed;
    return listed.out.substr(0, listed.out.find('\n'));
  }
  /// The registry's file of a blob (distribution's storage layout).
  fs::path registry_blob(const std::string& digest) {
    std::string hex = digest.substr(7);
    return tmp.path() / "registry" / "data" / "docker" / "registry" / "v2" / "blobs" / "sha256" / hex.substr(0, 2) / hex /
           "data";
  }
};

TEST_F(PullPush, PushedRemovedAndPulledBackItIsTheSameImageAndRuns) {
  std::string id = import(image);
  std::string digest = manifest_digest(image);
  std::string layer = inspect(image, "{{index .RootFS.Layers 0}}").substr(7, 12);
  ASSERT_FALSE(HasFailure());

  RunResult pushed = ch12({"push", image});
  ASSERT_EQ(pushed.exit_code, 0) << pushed;
  std::string manifest_size = std::to_string(read_file(root + "/images/blobs/sha256/" + digest.substr(7)).size());
  EXPECT_EQ(pushed.out, "The push refers to repository [" + registry->address() + "/busybox]\n" + layer +
                            ": Preparing\n" + layer + ": Pushed\nlatest: digest: " + digest + " size: " + manifest_size +
                            "\n")
      << pushed;

  RunResult removed = ch12({"rmi", image});
  ASSERT_EQ(removed.exit_code, 0) << removed;
  RunResult pulled = ch12({"pull", registry->address() + "/busybox"});
  ASSERT_EQ(pulled.exit_code, 0) << pulled;
  // The layer is a plain tar (import): its digest is its diff id.
  EXPECT_EQ(pulled.out, "Using default tag: latest\nlatest: Pulling from busybox\n" + layer + ": Pulling fs layer\n" +
                            layer + ": Verifying Checksum\n" + layer + ": Download complete\n" + layer +
                            ": Pull complete\nDigest: " + digest + "\nStatus: Downloaded newer image for " + image +
                            "\n" + image + "\n")
      << pulled;
  EXPECT_EQ(inspect(image, "{{.Id}}"), id);
  EXPECT_EQ(manifest_digest(image), digest);

  RunResult ran = ch12({"run", "--rm", "--network", "none", image, "/bin/echo", "hi"});
  EXPECT_EQ(ran.exit_code, 0) << ran;
  EXPECT_EQ(ran.out, "hi\n") << ran;
}

TEST_F(PullPush, APushOrPullOfWhatIsThereAlreadyMovesNoLayer) {
  import(image);
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(ch12({"push", image}).exit_code, 0);
  RunResult again = ch12({"push", image});
  ASSERT_EQ(again.exit_code, 0) << again;
  EXPECT_NE(again.out.find(": Layer already exists\n"), std::string::npos) << again;
  EXPECT_EQ(again.out.find(": Pushed"), std::string::npos) << again;

  RunResult pulled = ch12({"pull", image});
  ASSERT_EQ(pulled.exit_code, 0) << pulled;
  EXPECT_NE(pulled.out.find(": Already exists\n"), std::string::npos) << pulled;
  EXPECT_NE(pulled.out.find("Status: Image is up to date for " + image + "\n"), std::string::npos) << pulled;
  EXPECT_EQ(pulled.out.find("Pulling fs layer"), std::string::npos) << pulled;

  RunResult quiet = ch12({"pull", "-q", image});
  EXPECT_EQ(quiet.out, image + "\n") << quiet;
  RunResult quiet_push = ch12({"push", "-q", image});
  EXPECT_EQ(quiet_push.out, image + "\n") << quiet_push;
}

TEST_F(PullPush, PullsByDigestIntoAnotherStore) {
  std::string id = import(image);
  std::string digest = manifest_digest(image);
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(ch12({"push", image}).exit_code, 0);

  std::string other = (tmp.path() / "other").string();
  std::string by_digest = registry->address() + "/busybox@" + digest;
  RunResult pulled = ch12({"pull", by_digest}, other);
  ASSERT_EQ(pulled.exit_code, 0) << pulled;
  EXPECT_EQ(pulled.out.rfind(digest + ": Pulling from busybox\n", 0), 0u) << pulled;
  EXPECT_NE(pulled.out.find("Status: Downloaded newer image for " + by_digest + "\n" + by_digest + "\n"),
            std::string::npos)
      << pulled;
  EXPECT_EQ(inspect(by_digest, "{{.Id}}", other), id);
}

TEST_F(PullPush, AnUnknownTagIsNotFoundInDockersWords) {
  std::string name = registry->address() + "/busybox:nope";
  RunResult pulled = ch12({"pull", name});
  EXPECT_EQ(pulled.exit_code, 1) << pulled;
  EXPECT_EQ(pulled.err, "ch12-registry: manifest for " + name + " not found: manifest unknown: manifest unknown\n")
      << pulled;
  RunResult pushed = ch12({"push", registry->address() + "/nothing:1"});
  EXPECT_EQ(pushed.exit_code, 1) << pushed;
  EXPECT_EQ(pushed.err, "ch12-registry: An image does not exist locally with the tag: " + registry->address() +
                            "/nothing\n")
      << pushed;
}

TEST_F(PullPush, PullsWhatSkopeoCopiedIntoTheRegistry) {
  std::string skopeo = which("skopeo");
  ASSERT_FALSE(skopeo.empty()) << "skopeo is not installed: run sudo scripts/setup-deps";
  std::string source = (tmp.path() / "source").string();
  import("copied:1", source);
  ASSERT_FALSE(HasFailure());
  std::string name = registry->address() + "/from-skopeo:1";
  RunResult copied = run({skopeo, "copy", "-q", "--dest-tls-verify=false", "oci:" + source + "/images:docker.io/library/copied:1",
                          "docker://" + name});
  ASSERT_EQ(copied.exit_code, 0) << copied;
  RunResult inspected = run({skopeo, "inspect", "--raw", "--tls-verify=false", "docker://" + name});
  ASSERT_EQ(inspected.exit_code, 0) << inspected;

  RunResult pulled = ch12({"pull", name});
  ASSERT_EQ(pulled.exit_code, 0) << pulled;
  // skopeo compressed the layer on its way: a digest of its own, gzip, that we unpack.
  EXPECT_NE(inspected.out.find("tar+gzip"), std::string::npos) << inspected;
  EXPECT_EQ(inspect(name, "{{.Id}}"), inspect("copied:1", "{{.Id}}", source));
  RunResult ran = ch12({"run", "--rm", "--network", "none", name, "/bin/echo", "hi"});
  EXPECT_EQ(ran.out, "hi\n") << ran;
}

TEST_F(PullPush, DockersManifestFormatRoundTripsUnchanged) {
  std::string skopeo = which("skopeo");
  ASSERT_FALSE(skopeo.empty()) << "skopeo is not installed: run sudo scripts/setup-deps";
  std::string source = (tmp.path() / "source").string();
  import("copied:1", source);
  ASSERT_FALSE(HasFailure());
  // skopeo writes Docker's schema 2 (its media types for manifest, config and layers).
  std::string name = registry->address() + "/docker-format:1";
  RunResult copied = run({skopeo, "copy", "-q", "--format", "v2s2", "--dest-tls-verify=false",
                          "oci:" + source + "/images:docker.io/library/copied:1", "docker://" + name});
  ASSERT_EQ(copied.exit_code, 0) << copied;
  RunResult pulled = ch12({"pull", name});
  ASSERT_EQ(pulled.exit_code, 0) << pulled;
  std::string digest = manifest_digest(name);
  EXPECT_NE(pulled.out.find("Digest: " + digest + "\n"), std::string::npos) << pulled;
  RunResult ran = ch12({"run", "--rm", "--network", "none", name, "/bin/echo", "hi"});
  EXPECT_EQ(ran.out, "hi\n") << ran;

  // Pushed elsewhere, the manifest keeps its bytes, so its digest and its media type.
  std::string again = registry->address() + "/again:1";
  ASSERT_EQ(ch12({"tag", name, again}).exit_code, 0);
  RunResult pushed = ch12({"push", again});
  ASSERT_EQ(pushed.exit_code, 0) << pushed;
  EXPECT_NE(pushed.out.find("1: digest: " + digest + " size: "), std::string::npos) << pushed;
  RunResult raw = run({skopeo, "inspect", "--raw", "--tls-verify=false", "docker://" + again});
  ASSERT_EQ(raw.exit_code, 0) << raw;
  EXPECT_EQ(ch10::sha256_digest(raw.out), digest);
  EXPECT_EQ(parse_json(raw.out)["mediaType"], "application/vnd.docker.distribution.manifest.v2+json");
}

TEST_F(PullPush, SkopeoReadsWhatWePushed) {
  std::string skopeo = which("skopeo");
  ASSERT_FALSE(skopeo.empty()) << "skopeo is not installed: run sudo scripts/setup-deps";
  import(image);
  std::string digest = manifest_digest(image);
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(ch12({"push", image}).exit_code, 0);
  RunResult inspected = run({skopeo, "inspect", "--tls-verify=false", "docker://" + image});
  ASSERT_EQ(inspected.exit_code, 0) << inspected;
  nlohmann::json json = parse_json(inspected.out);
  EXPECT_EQ(json["Digest"], digest);
  EXPECT_EQ(json["Layers"].size(), 1u);
  EXPECT_EQ(json["Os"], "linux");
}

TEST_F(PullPush, AnIndexGivesTheManifestOfThisPlatform) {
  // Two images pushed, then an index of them PUT by hand: ours listed second, under this
  // machine's architecture; the other under one it is not.
  std::string mine = import(registry->address() + "/busybox:mine");
  std::string tiny = (tmp.path() / "tiny.tar").string();
  ASSERT_EQ(run({"/bin/tar", "-C", rootfs(), "-cf", tiny, "./etc/passwd"}).exit_code, 0);
  ASSERT_EQ(ch12({"import", tiny, registry->address() + "/busybox:other"}).exit_code, 0);
  ASSERT_FALSE(HasFailure());
  std::string architecture = ch10::oci_architecture();
  std::string foreign = architecture == "s390x" ? "riscv64" : "s390x";
  nlohmann::json index = {{"schemaVersion", 2}, {"mediaType", "application/vnd.oci.image.index.v1+json"}};
  for (const auto& [tag, arch] : {std::pair{"other", foreign}, std::pair{"mine", architecture}}) {
    std::string name = registry->address() + "/busybox:" + tag;
    ASSERT_EQ(ch12({"push", name}).exit_code, 0);
    std::string digest = manifest_digest(name);
    index["manifests"].push_back({{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                                  {"digest", digest},
                                  {"size", read_file(root + "/images/blobs/sha256/" + digest.substr(7)).size()},
                                  {"platform", {{"os", "linux"}, {"architecture", arch}}}});
    ASSERT_EQ(ch12({"rmi", name}).exit_code, 0);
  }
  auto put_index = [&](const nlohmann::json& json, const std::string& tag) {
    std::string file = (tmp.path() / (tag + ".json")).string();
    write_file(file, json.dump());
    RunResult put = run({"/usr/bin/curl", "-sSf", "-X", "PUT", "-H", "Content-Type: application/vnd.oci.image.index.v1+json",
                         "--data-binary", "@" + file, registry->url() + "/v2/busybox/manifests/" + tag});
    EXPECT_EQ(put.exit_code, 0) << put;
    return ch10::sha256_digest(json.dump());
  };
  std::string index_digest = put_index(index, "multi");

  std::string name = registry->address() + "/busybox:multi";
  RunResult pulled = ch12({"pull", name});
  ASSERT_EQ(pulled.exit_code, 0) << pulled;
  EXPECT_NE(pulled.out.find("Digest: " + index_digest + "\n"), std::string::npos) << pulled;
  EXPECT_EQ(inspect(name, "{{.Id}}"), mine);

  index["manifests"].erase(1);
  put_index(index, "elsewhere");
  RunResult refused = ch12({"pull", registry->address() + "/busybox:elsewhere"});
  EXPECT_EQ(refused.exit_code, 1) << refused;
  EXPECT_EQ(refused.err, "ch12-registry: no matching manifest for linux/" + architecture +
                             " in the manifest list entries\n")
      << refused;
}

TEST_F(PullPush, ABlobTheRegistryAlteredIsRefusedAndLeavesNothing) {
  import(image);
  std::string layer = inspect(image, "{{index .RootFS.Layers 0}}");  // plain tar: also the blob's digest
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(ch12({"push", image}).exit_code, 0);
  ASSERT_EQ(ch12({"rmi", image}).exit_code, 0);
  ASSERT_EQ(files_under(fs::path(root) / "images" / "blobs"), std::vector<std::string>{"sha256"});

  // One byte changed, the size kept: only the digest can tell.
  fs::path blob = registry_blob(layer);
  ASSERT_TRUE(fs::exists(blob)) << blob;
  std::string data = read_file(blob.string());
  data[data.size() / 2] = static_cast<char>(data[data.size() / 2] ^ 0x55);
  write_file(blob.string(), data);

  RunResult pulled = ch12({"pull", image});
  EXPECT_EQ(pulled.exit_code, 1) << pulled;
  EXPECT_NE(pulled.err.find("blob " + layer + " of " + registry->address() + "/busybox: digest mismatch"),
            std::string::npos)
      << pulled;
  EXPECT_EQ(files_under(fs::path(root) / "images" / "blobs"), std::vector<std::string>{"sha256"});
  EXPECT_EQ(files_under(fs::path(root) / "layers"), std::vector<std::string>{});
  EXPECT_EQ(ch12({"images", "-q"}).out, "");
}

}  // namespace
}  // namespace dockling::ch12
