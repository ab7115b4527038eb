// Interop: skopeo (the containers/image library, as podman and buildah push and pull) copies
// an image into `registry serve` and back out, and reads it with `skopeo inspect`; the image
// that comes back is the one that went in (same manifest digest). The same round trip against
// the CNCF registry is the reference.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "digest.hpp"
#include "dockling/fs.hpp"
#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"
#include "registry_curl.hpp"
#include "registry_fixture.hpp"

namespace dockling::ch12 {
namespace {

namespace fs = std::filesystem;
using namespace dockling::testing;

constexpr const char* kSkopeo = "/usr/bin/skopeo";
constexpr const char* kUmoci = "/usr/bin/umoci";

/// The digest of the manifest tagged `tag` in the OCI layout `layout` (its index.json).
std::string layout_digest(const fs::path& layout, const std::string& tag) {
  nlohmann::json index = nlohmann::json::parse(read_file((layout / "index.json").string()), nullptr, false);
  if (!index.is_object() || !index.contains("manifests")) return "";
  for (const auto& manifest : index["manifests"])
    if (manifest.value("annotations", nlohmann::json::object()).value("org.opencontainers.image.ref.name", "") == tag)
      return manifest.value("digest", "");
  return "";
}

class SkopeoServer : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(kSkopeo) && fs::exists(kUmoci)) << "skopeo or umoci is missing: run sudo scripts/setup-deps";
    // A source image of two layers, made by umoci in an OCI layout.
    source_ = tmp_.path() / "source";
    fs::create_directories(tmp_.path() / "files");
    std::ofstream(tmp_.path() / "files" / "hello") << "hello from dockling's registry test\n";
    std::string big(512 * 1024, 'x');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + (i * 7919) % 26);
    std::ofstream(tmp_.path() / "files" / "data") << big;
    std::vector<std::string> rootless = is_root() ? std::vector<std::string>{} : std::vector<std::string>{"--rootless"};
    for (auto argv : std::vector<std::vector<std::string>>{
             {kUmoci, "init", "--layout", source_.string()},
             {kUmoci, "new", "--image", source_.string() + ":v1"},
             {kUmoci, "insert", "--image", source_.string() + ":v1", (tmp_.path() / "files" / "hello").string(), "/hello"},
             {kUmoci, "insert", "--image", source_.string() + ":v1", (tmp_.path() / "files" / "data").string(), "/data"}}) {
      if (argv[1] == "insert") argv.insert(argv.begin() + 2, rootless.begin(), rootless.end());
      RunResult made = run(argv);
      ASSERT_EQ(made.exit_code, 0) << made;
    }
    source_digest_ = layout_digest(source_, "v1");
    ASSERT_FALSE(source_digest_.empty());
  }

  /// Copies the source image into `registry` as NAME:v1, inspects it there and copies it back
  /// out into an OCI layout; checks that the digests agree all the way.
  void round_trip(RunningRegistry& registry, const std::string& name) {
    std::string remote = "docker://" + registry.address() + "/" + name + ":v1";
    RunResult in = run({kSkopeo, "copy", "-q", "--preserve-digests", "--dest-tls-verify=false", "oci:" + source_.string() + ":v1", remote});
    ASSERT_EQ(in.exit_code, 0) << in;

    RunResult inspected = run({kSkopeo, "inspect", "--tls-verify=false", remote});
    ASSERT_EQ(inspected.exit_code, 0) << inspected;
    nlohmann::json info = parse_json(inspected.out);
    EXPECT_EQ(info.value("Digest", ""), source_digest_) << inspected;
    EXPECT_EQ(info["RepoTags"], (nlohmann::json{"v1"})) << inspected;
    EXPECT_EQ(info["Layers"].size(), 2u) << inspected;
    RunResult raw = run({kSkopeo, "inspect", "--raw", "--tls-verify=false", remote});
    EXPECT_EQ(ch10::sha256_digest(raw.out), source_digest_) << "the manifest's bytes changed on the way\n" << raw;

    fs::path back = tmp_.path() / unique_name("back-");
    RunResult out = run({kSkopeo, "copy", "-q", "--preserve-digests", "--src-tls-verify=false", remote, "oci:" + back.string() + ":v1"});
    ASSERT_EQ(out.exit_code, 0) << out;
    EXPECT_EQ(layout_digest(back, "v1"), source_digest_) << "the round-tripped image differs";
    // Every blob came back whole (skopeo verified digests; the files are there).
    nlohmann::json manifest = nlohmann::json::parse(raw.out, nullptr, false);
    ASSERT_TRUE(manifest.is_object()) << raw;
    for (const auto& layer : manifest["layers"]) {
      fs::path blob = back / "blobs" / "sha256" / ch10::digest_hex(layer.value("digest", ""));
      EXPECT_TRUE(fs::exists(blob)) << blob;
    }
  }

  TempDir tmp_{"dockling-ch12-skopeo"};
  fs::path source_;
  std::string source_digest_;
};

TEST_F(SkopeoServer, CopiesAnImageInAndBackOut) {
  auto registry = RunningRegistry::dockling(tmp_.path() / "root");
  ASSERT_TRUE(registry);
  round_trip(*registry, "interop/hello");
  // A second repository of the same image: every blob is mounted or found, none stored twice.
  RunResult again = run({kSkopeo, "copy", "-q", "--preserve-digests", "--dest-tls-verify=false", "oci:" + source_.string() + ":v1",
                         "docker://" + registry->address() + "/interop/again:v1"});
  EXPECT_EQ(again.exit_code, 0) << again;
  std::size_t blobs = 0;
  for (const auto& entry : fs::directory_iterator(tmp_.path() / "root" / "blobs" / "sha256")) blobs += entry.is_regular_file();
  EXPECT_EQ(blobs, 4u) << "two layers, a config and a manifest, once each";
  CurlAnswer catalog = curl({registry->url() + "/v2/_catalog"});
  EXPECT_EQ(catalog.json()["repositories"], (nlohmann::json{"interop/again", "interop/hello"})) << catalog;
  RunResult stopped = registry->stop();
  EXPECT_EQ(stopped.exit_code, 0) << stopped;
}

TEST_F(SkopeoServer, TakesDockerMediaTypes) {
  auto registry = RunningRegistry::dockling(tmp_.path() / "root");
  ASSERT_TRUE(registry);
  std::string remote = "docker://" + registry->address() + "/interop/docker:v1";
  RunResult in = run({kSkopeo, "copy", "-q", "--format", "v2s2", "--dest-tls-verify=false", "oci:" + source_.string() + ":v1", remote});
  ASSERT_EQ(in.exit_code, 0) << in;
  CurlAnswer manifest = curl({registry->url() + "/v2/interop/docker/manifests/v1"});
  EXPECT_EQ(manifest.header("Content-Type").value_or(""), "application/vnd.docker.distribution.manifest.v2+json") << manifest;
  RunResult inspected = run({kSkopeo, "inspect", "--tls-verify=false", remote});
  ASSERT_EQ(inspected.exit_code, 0) << inspected;
  EXPECT_EQ(parse_json(inspected.out).value("Digest", ""), manifest.header("Docker-Content-Digest").value_or("-")) << inspected;
  RunResult out = run({kSkopeo, "copy", "-q", "--src-tls-verify=false", remote, "dir:" + (tmp_.path() / "dir").string()});
  ASSERT_EQ(out.exit_code, 0) << out;
  EXPECT_EQ(read_file((tmp_.path() / "dir" / "manifest.json").string()), manifest.body);
}

TEST_F(SkopeoServer, SameRoundTripAgainstTheCncfRegistry) {
  auto registry = RunningRegistry::cncf(tmp_.path() / "cncf");
  ASSERT_TRUE(registry);
  round_trip(*registry, "interop/hello");
}

}  // namespace
}  // namespace dockling::ch12
