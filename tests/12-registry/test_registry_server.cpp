// `registry serve` spoken to in raw HTTP with curl: every endpoint of the distribution API that
// stage 1 serves, the statuses, headers and error codes the spec gives them, and the storage
// left behind (each blob once, nothing from a refused upload).
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "digest.hpp"
#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"
#include "registry_curl.hpp"
#include "registry_fixture.hpp"

namespace dockling::ch12 {
namespace {

namespace fs = std::filesystem;
using namespace dockling::testing;
using ch10::sha256_digest;

constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";
constexpr const char* kOciIndex = "application/vnd.oci.image.index.v1+json";
constexpr const char* kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";

class RegistryServer : public ::testing::Test {
 protected:
  void SetUp() override { start(); }
  void TearDown() override {
    if (registry_) registry_->stop();
  }
  void start(const std::vector<std::string>& extra = {}) {
    registry_ = RunningRegistry::dockling(root(), extra);
    ASSERT_TRUE(registry_);
  }

  fs::path root() const { return tmp_.path() / "root"; }
  std::string url(const std::string& path) const { return registry_->url() + path; }

  /// A file holding `data`, for curl's --data-binary @FILE.
  std::string file_with(const std::string& data) {
    std::string path = (tmp_.path() / unique_name("body-")).string();
    std::ofstream(path, std::ios::binary) << data;
    return path;
  }
  /// POST ?digest= with the whole blob.
  CurlAnswer push_blob(const std::string& name, const std::string& data) {
    return curl({"-X", "POST", "-H", "Content-Type: application/octet-stream", "--data-binary", "@" + file_with(data),
                 url("/v2/" + name + "/blobs/uploads/?digest=" + sha256_digest(data))});
  }
  CurlAnswer put_manifest(const std::string& name, const std::string& reference, const std::string& body,
                          const std::string& type = kOciManifest) {
    return curl({"-X", "PUT", "-H", "Content-Type: " + type, "--data-binary", "@" + file_with(body),
                 url("/v2/" + name + "/manifests/" + reference)});
  }
  /// An OCI manifest of `config` and `layers` (their bytes).
  static std::string manifest_of(const std::string& config, const std::vector<std::string>& layers,
                                 const std::string& type = kOciManifest, nlohmann::json extra = nlohmann::json::object()) {
    nlohmann::json manifest{{"schemaVersion", 2}, {"mediaType", type}};
    bool docker = type == kDockerManifest;
    manifest["config"] = {{"mediaType", docker ? "application/vnd.docker.container.image.v1+json" : "application/vnd.oci.image.config.v1+json"},
                          {"digest", sha256_digest(config)},
                          {"size", config.size()}};
    manifest["layers"] = nlohmann::json::array();
    for (const std::string& layer : layers)
      manifest["layers"].push_back({{"mediaType", docker ? "application/vnd.docker.image.rootfs.diff.tar.gzip" : "application/vnd.oci.image.layer.v1.tar+gzip"},
                                    {"digest", sha256_digest(layer)},
                                    {"size", layer.size()}});
    manifest.update(extra);
    return manifest.dump();
  }
  /// Pushes a config and a layer, then a manifest of them tagged `tag`; returns the manifest.
  std::string push_image(const std::string& name, const std::string& tag, const std::string& seed) {
    std::string config = "{\"seed\":\"" + seed + "\"}", layer = "layer of " + seed;
    EXPECT_EQ(push_blob(name, config).status, 201);
    EXPECT_EQ(push_blob(name, layer).status, 201);
    std::string manifest = manifest_of(config, {layer});
    CurlAnswer put = put_manifest(name, tag, manifest);
    EXPECT_EQ(put.status, 201) << put;
    return manifest;
  }
  /// The files in ROOT/blobs/sha256 (each blob once).
  std::size_t blob_files() const {
    std::size_t count = 0;
    for (const auto& entry : fs::directory_iterator(root() / "blobs" / "sha256"))
      if (entry.is_regular_file()) ++count;
    return count;
  }
  std::size_t upload_sessions() const {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(root() / "uploads"), fs::directory_iterator()));
  }

  TempDir tmp_{"dockling-ch12-server"};
  std::unique_ptr<RunningRegistry> registry_;
};

TEST_F(RegistryServer, BaseAnswersWithTheApiVersion) {
  CurlAnswer base = curl({url("/v2/")});
  EXPECT_EQ(base.status, 200) << base;
  EXPECT_EQ(base.header("Docker-Distribution-Api-Version").value_or(""), "registry/2.0") << base;
  EXPECT_EQ(base.body, "{}");
}

TEST_F(RegistryServer, MonolithicPostStoresEachBlobOnce) {
  std::string data = "the same bytes in two repositories";
  std::string digest = sha256_digest(data);
  CurlAnswer first = push_blob("team/one", data);
  EXPECT_EQ(first.status, 201) << first;
  EXPECT_EQ(first.header("Location").value_or(""), "/v2/team/one/blobs/" + digest) << first;
  EXPECT_EQ(first.header("Docker-Content-Digest").value_or(""), digest) << first;
  EXPECT_EQ(push_blob("team/two", data).status, 201);

  CurlAnswer head = curl({"-I", url("/v2/team/two/blobs/" + digest)});
  EXPECT_EQ(head.status, 200) << head;
  EXPECT_EQ(head.header("Content-Length").value_or(""), std::to_string(data.size())) << head;
  EXPECT_EQ(head.header("Docker-Content-Digest").value_or(""), digest) << head;
  EXPECT_EQ(head.body, "");
  CurlAnswer get = curl({url("/v2/team/one/blobs/" + digest)});
  EXPECT_EQ(get.status, 200) << get;
  EXPECT_EQ(get.body, data);
  EXPECT_EQ(blob_files(), 1u) << "one copy for both repositories";
  EXPECT_TRUE(fs::exists(root() / "blobs" / "sha256" / ch10::digest_hex(digest)));
}

TEST_F(RegistryServer, BlobRangesAnswer206And416) {
  std::string data = "0123456789";
  std::string digest = sha256_digest(data);
  ASSERT_EQ(push_blob("r", data).status, 201);
  CurlAnswer part = curl({"-H", "Range: bytes=2-5", url("/v2/r/blobs/" + digest)});
  EXPECT_EQ(part.status, 206) << part;
  EXPECT_EQ(part.body, "2345");
  EXPECT_EQ(part.header("Content-Range").value_or(""), "bytes 2-5/10") << part;
  CurlAnswer open_ended = curl({"-H", "Range: bytes=7-", url("/v2/r/blobs/" + digest)});
  EXPECT_EQ(open_ended.status, 206) << open_ended;
  EXPECT_EQ(open_ended.body, "789");
  CurlAnswer suffix = curl({"-H", "Range: bytes=-3", url("/v2/r/blobs/" + digest)});
  EXPECT_EQ(suffix.body, "789") << suffix;
  CurlAnswer beyond = curl({"-H", "Range: bytes=10-20", url("/v2/r/blobs/" + digest)});
  EXPECT_EQ(beyond.status, 416) << beyond;
  EXPECT_EQ(beyond.header("Content-Range").value_or(""), "bytes */10") << beyond;
  EXPECT_EQ(beyond.error_code(), "RANGE_INVALID") << beyond;
  CurlAnswer backwards = curl({"-H", "Range: bytes=5-2", url("/v2/r/blobs/" + digest)});
  EXPECT_EQ(backwards.status, 416) << backwards;
}

TEST_F(RegistryServer, UnknownBlobsAndNamesHaveTheirCodes) {
  std::string digest = sha256_digest("nothing");
  CurlAnswer no_repository = curl({url("/v2/nobody/blobs/" + digest)});
  EXPECT_EQ(no_repository.status, 404) << no_repository;
  EXPECT_EQ(no_repository.error_code(), "NAME_UNKNOWN") << no_repository;
  ASSERT_EQ(push_blob("somebody", "x").status, 201);
  CurlAnswer no_blob = curl({url("/v2/somebody/blobs/" + digest)});
  EXPECT_EQ(no_blob.status, 404) << no_blob;
  EXPECT_EQ(no_blob.error_code(), "BLOB_UNKNOWN") << no_blob;
  nlohmann::json body = no_blob.json();
  EXPECT_TRUE(body["errors"][0].contains("message")) << no_blob;
  CurlAnswer head = curl({"-I", url("/v2/somebody/blobs/" + digest)});
  EXPECT_EQ(head.status, 404) << head;
  EXPECT_EQ(head.body, "") << "HEAD answers carry no body";
  CurlAnswer bad_digest = curl({url("/v2/somebody/blobs/sha256:1234")});
  EXPECT_EQ(bad_digest.status, 400) << bad_digest;
  EXPECT_EQ(bad_digest.error_code(), "DIGEST_INVALID") << bad_digest;
  CurlAnswer bad_name = curl({url("/v2/Upper/Case/blobs/" + digest)});
  EXPECT_EQ(bad_name.status, 400) << bad_name;
  EXPECT_EQ(bad_name.error_code(), "NAME_INVALID") << bad_name;
  CurlAnswer dots = curl({url("/v2/somebody/../../../etc/blobs/" + digest)});
  EXPECT_EQ(dots.status, 400) << dots;
  EXPECT_EQ(dots.error_code(), "NAME_INVALID") << dots;
  CurlAnswer method = curl({"-X", "POST", url("/v2/somebody/blobs/" + digest)});
  EXPECT_EQ(method.status, 405) << method;
  EXPECT_EQ(method.error_code(), "UNSUPPORTED") << method;
}

TEST_F(RegistryServer, TamperedBlobIsRefusedAndNothingIsStored) {
  // The digest of one content, the bytes of another: as a monolithic POST and as a session.
  CurlAnswer post = curl({"-X", "POST", "--data-binary", "@" + file_with("tampered"),
                          url("/v2/r/blobs/uploads/?digest=" + sha256_digest("original"))});
  EXPECT_EQ(post.status, 400) << post;
  EXPECT_EQ(post.error_code(), "DIGEST_INVALID") << post;

  CurlAnswer session = curl({"-X", "POST", url("/v2/r/blobs/uploads/")});
  ASSERT_EQ(session.status, 202) << session;
  std::string location = session.header("Location").value_or("");
  CurlAnswer put = curl({"-X", "PUT", "--data-binary", "@" + file_with("tampered"),
                         url(location + "?digest=" + sha256_digest("original"))});
  EXPECT_EQ(put.status, 400) << put;
  EXPECT_EQ(put.error_code(), "DIGEST_INVALID") << put;

  EXPECT_EQ(blob_files(), 0u);
  EXPECT_EQ(upload_sessions(), 0u) << "a refused upload leaves no session behind";
  CurlAnswer head = curl({"-I", url("/v2/r/blobs/" + sha256_digest("original"))});
  EXPECT_EQ(head.status, 404) << head;
  CurlAnswer after = curl({url(location)});
  EXPECT_EQ(after.status, 404) << after;
  EXPECT_EQ(after.error_code(), "BLOB_UPLOAD_UNKNOWN") << after;
}

TEST_F(RegistryServer, ChunkedUploadTakesRangesInOrder) {
  CurlAnswer start = curl({"-X", "POST", "-H", "Content-Length: 0", url("/v2/chunks/blobs/uploads/")});
  ASSERT_EQ(start.status, 202) << start;
  std::string location = start.header("Location").value_or("");
  EXPECT_EQ(location.rfind("/v2/chunks/blobs/uploads/", 0), 0u) << start;
  EXPECT_EQ(start.header("Range").value_or(""), "0-0") << start;
  EXPECT_EQ(start.header("Docker-Upload-UUID").value_or(""), location.substr(location.rfind('/') + 1)) << start;

  auto patch = [&](const std::string& range, const std::string& data) {
    return curl({"-X", "PATCH", "-H", "Content-Type: application/octet-stream", "-H", "Content-Range: " + range,
                 "--data-binary", "@" + file_with(data), url(location)});
  };
  CurlAnswer first = patch("0-4", "hello");
  EXPECT_EQ(first.status, 202) << first;
  EXPECT_EQ(first.header("Range").value_or(""), "0-4") << first;
  EXPECT_EQ(first.header("Location").value_or(""), location) << first;
  CurlAnswer skipped = patch("10-12", "!!!");
  EXPECT_EQ(skipped.status, 416) << skipped;
  EXPECT_EQ(skipped.error_code(), "RANGE_INVALID") << skipped;
  CurlAnswer overlapping = patch("3-7", "xxxxx");
  EXPECT_EQ(overlapping.status, 416) << overlapping;
  CurlAnswer wrong_length = patch("5-9", "abc");
  EXPECT_EQ(wrong_length.status, 400) << wrong_length;
  EXPECT_EQ(wrong_length.error_code(), "SIZE_INVALID") << wrong_length;

  // A chunked body longer than its Content-Range (no Content-Length to check first).
  CurlAnswer longer = curl({"-X", "PATCH", "-H", "Content-Range: 5-7", "-H", "Transfer-Encoding: chunked",
                            "--data-binary", "@" + file_with("far too long"), url(location)});
  EXPECT_EQ(longer.status, 400) << longer;
  EXPECT_EQ(longer.error_code(), "SIZE_INVALID") << longer;

  CurlAnswer status = curl({url(location)});
  EXPECT_EQ(status.status, 204) << status;
  EXPECT_EQ(status.header("Range").value_or(""), "0-4") << "refused chunks left nothing\n" << status;
  EXPECT_EQ(status.header("Location").value_or(""), location) << status;

  EXPECT_EQ(patch("5-10", ", wor").status, 400) << "Content-Range of 6 bytes, 5 sent";
  EXPECT_EQ(patch("5-9", ", wor").status, 202);
  std::string whole = "hello, world";
  CurlAnswer put = curl({"-X", "PUT", "-H", "Content-Range: 10-11", "--data-binary", "@" + file_with("ld"),
                         url(location + "?digest=" + sha256_digest(whole))});
  EXPECT_EQ(put.status, 201) << put;
  EXPECT_EQ(put.header("Location").value_or(""), "/v2/chunks/blobs/" + sha256_digest(whole)) << put;
  EXPECT_EQ(curl({url("/v2/chunks/blobs/" + sha256_digest(whole))}).body, whole);
  EXPECT_EQ(upload_sessions(), 0u);
}

TEST_F(RegistryServer, StreamedPatchTakesChunkedTransferEncoding) {
  CurlAnswer start = curl({"-X", "POST", url("/v2/stream/blobs/uploads/")});
  ASSERT_EQ(start.status, 202) << start;
  std::string location = start.header("Location").value_or("");
  std::string data(300 * 1024, 'a');
  for (std::size_t i = 0; i < data.size(); i += 7) data[i] = static_cast<char>('a' + i % 26);
  // No Content-Range, no Content-Length: one body of unknown size, as skopeo sends it.
  CurlAnswer patch = curl({"-X", "PATCH", "-H", "Transfer-Encoding: chunked", "--data-binary", "@" + file_with(data), url(location)});
  EXPECT_EQ(patch.status, 202) << patch;
  EXPECT_EQ(patch.header("Range").value_or(""), "0-" + std::to_string(data.size() - 1)) << patch;
  CurlAnswer more = curl({"-X", "PATCH", "--data-binary", "@" + file_with("tail"), url(location)});
  EXPECT_EQ(more.status, 202) << more;
  data += "tail";
  CurlAnswer put = curl({"-X", "PUT", url(location + "?digest=" + sha256_digest(data))});
  EXPECT_EQ(put.status, 201) << put;
  CurlAnswer get = curl({url("/v2/stream/blobs/" + sha256_digest(data))});
  EXPECT_EQ(get.body == data, true) << "the blob differs from what was sent";
}

TEST_F(RegistryServer, ExpectContinueAndKeepAlive) {
  std::string location = curl({"-X", "POST", url("/v2/keep/blobs/uploads/")}).header("Location").value_or("");
  CurlAnswer put = curl({"-X", "PUT", "-H", "Expect: 100-continue", "--data-binary", "@" + file_with("small"),
                         url(location + "?digest=" + sha256_digest("small"))});
  EXPECT_EQ(put.status, 201) << put;
  // Two requests on one connection: curl says it reused it.
  RunResult twice = run({"/usr/bin/curl", "-sv", "-o", "/dev/null", "-o", "/dev/null", url("/v2/"), url("/v2/")});
  EXPECT_NE(twice.err.find("Re-using existing connection"), std::string::npos) << twice;
}

TEST_F(RegistryServer, UploadSessionsCanBeCancelledAndUnknownOnesAreRefused) {
  CurlAnswer start = curl({"-X", "POST", url("/v2/cancel/blobs/uploads/")});
  std::string location = start.header("Location").value_or("");
  EXPECT_EQ(curl({"-X", "PATCH", "--data-binary", "@" + file_with("abc"), url(location)}).status, 202);
  CurlAnswer cancel = curl({"-X", "DELETE", url(location)});
  EXPECT_EQ(cancel.status, 204) << cancel;
  EXPECT_EQ(upload_sessions(), 0u);
  for (std::string method : {"GET", "PATCH", "DELETE"}) {
    CurlAnswer gone = curl({"-X", method, url(location)});
    EXPECT_EQ(gone.status, 404) << method << "\n" << gone;
    EXPECT_EQ(gone.error_code(), "BLOB_UPLOAD_UNKNOWN") << method << "\n" << gone;
  }
  CurlAnswer invented = curl({url("/v2/cancel/blobs/uploads/not-a-uuid")});
  EXPECT_EQ(invented.error_code(), "BLOB_UPLOAD_UNKNOWN") << invented;
  // A session belongs to its repository.
  std::string other = curl({"-X", "POST", url("/v2/cancel/blobs/uploads/")}).header("Location").value_or("");
  std::string uuid = other.substr(other.rfind('/') + 1);
  CurlAnswer elsewhere = curl({url("/v2/another/blobs/uploads/" + uuid)});
  EXPECT_EQ(elsewhere.error_code(), "BLOB_UPLOAD_UNKNOWN") << elsewhere;
  CurlAnswer no_digest = curl({"-X", "PUT", url(other)});
  EXPECT_EQ(no_digest.status, 400) << no_digest;
  EXPECT_EQ(no_digest.error_code(), "DIGEST_INVALID") << no_digest;
}

TEST_F(RegistryServer, CrossRepositoryMountOrAnUploadSession) {
  std::string data = "mounted";
  ASSERT_EQ(push_blob("source", data).status, 201);
  CurlAnswer mount = curl({"-X", "POST", url("/v2/target/blobs/uploads/?mount=" + sha256_digest(data) + "&from=source")});
  EXPECT_EQ(mount.status, 201) << mount;
  EXPECT_EQ(mount.header("Location").value_or(""), "/v2/target/blobs/" + sha256_digest(data)) << mount;
  EXPECT_EQ(mount.header("Docker-Content-Digest").value_or(""), sha256_digest(data)) << mount;
  EXPECT_EQ(curl({"-I", url("/v2/target/blobs/" + sha256_digest(data))}).status, 200);
  EXPECT_EQ(blob_files(), 1u);
  // Not in `from`: the registry opens a session instead.
  CurlAnswer fallback = curl({"-X", "POST", url("/v2/target/blobs/uploads/?mount=" + sha256_digest("absent") + "&from=source")});
  EXPECT_EQ(fallback.status, 202) << fallback;
  EXPECT_NE(fallback.header("Location").value_or("").find("/v2/target/blobs/uploads/"), std::string::npos) << fallback;
}

TEST_F(RegistryServer, BlobDeleteAnswers202) {
  ASSERT_EQ(push_blob("del", "doomed").status, 201);
  CurlAnswer deleted = curl({"-X", "DELETE", url("/v2/del/blobs/" + sha256_digest("doomed"))});
  EXPECT_EQ(deleted.status, 202) << deleted;
  EXPECT_EQ(curl({"-I", url("/v2/del/blobs/" + sha256_digest("doomed"))}).status, 404);
  CurlAnswer again = curl({"-X", "DELETE", url("/v2/del/blobs/" + sha256_digest("doomed"))});
  EXPECT_EQ(again.status, 404) << again;
  EXPECT_EQ(again.error_code(), "BLOB_UNKNOWN") << again;
}

TEST_F(RegistryServer, NoDeleteRefusesDeletesWith405) {
  registry_->stop();
  start({"--no-delete"});
  ASSERT_FALSE(HasFatalFailure());
  std::string manifest = push_image("keep", "v1", "k");
  CurlAnswer blob = curl({"-X", "DELETE", url("/v2/keep/blobs/" + sha256_digest("layer of k"))});
  EXPECT_EQ(blob.status, 405) << blob;
  EXPECT_EQ(blob.error_code(), "UNSUPPORTED") << blob;
  CurlAnswer tag = curl({"-X", "DELETE", url("/v2/keep/manifests/v1")});
  EXPECT_EQ(tag.status, 405) << tag;
  CurlAnswer by_digest = curl({"-X", "DELETE", url("/v2/keep/manifests/" + sha256_digest(manifest))});
  EXPECT_EQ(by_digest.status, 405) << by_digest;
  EXPECT_EQ(curl({url("/v2/keep/manifests/v1")}).status, 200);
}

TEST_F(RegistryServer, ManifestsRoundTripByTagAndDigest) {
  for (const char* type : {kOciManifest, kDockerManifest}) {
    std::string config = std::string("{\"type\":\"") + type + "\"}", layer = std::string("layer for ") + type;
    ASSERT_EQ(push_blob("img", config).status, 201);
    ASSERT_EQ(push_blob("img", layer).status, 201);
    // Odd spacing: the bytes must come back exactly as pushed.
    std::string manifest = "  " + manifest_of(config, {layer}, type) + "\n";
    std::string digest = sha256_digest(manifest);
    std::string tag = type == std::string(kOciManifest) ? "oci" : "docker";
    CurlAnswer put = put_manifest("img", tag, manifest, type);
    EXPECT_EQ(put.status, 201) << put;
    EXPECT_EQ(put.header("Location").value_or(""), "/v2/img/manifests/" + digest) << put;
    EXPECT_EQ(put.header("Docker-Content-Digest").value_or(""), digest) << put;
    for (const std::string& reference : {tag, digest}) {
      CurlAnswer get = curl({"-H", std::string("Accept: ") + type, url("/v2/img/manifests/" + reference)});
      EXPECT_EQ(get.status, 200) << get;
      EXPECT_EQ(get.body, manifest) << reference;
      EXPECT_EQ(get.header("Content-Type").value_or(""), type) << get;
      EXPECT_EQ(get.header("Docker-Content-Digest").value_or(""), digest) << get;
      CurlAnswer head = curl({"-I", url("/v2/img/manifests/" + reference)});
      EXPECT_EQ(head.status, 200) << head;
      EXPECT_EQ(head.header("Content-Length").value_or(""), std::to_string(manifest.size())) << head;
    }
  }
  // An index of the two, pushed by digest.
  std::string oci = curl({url("/v2/img/manifests/oci")}).body, docker = curl({url("/v2/img/manifests/docker")}).body;
  nlohmann::json index{{"schemaVersion", 2}, {"mediaType", kOciIndex}, {"manifests", nlohmann::json::array()}};
  index["manifests"].push_back({{"mediaType", kOciManifest}, {"digest", sha256_digest(oci)}, {"size", oci.size()},
                                {"platform", {{"architecture", "amd64"}, {"os", "linux"}}}});
  index["manifests"].push_back({{"mediaType", kDockerManifest}, {"digest", sha256_digest(docker)}, {"size", docker.size()},
                                {"platform", {{"architecture", "arm64"}, {"os", "linux"}}}});
  std::string index_text = index.dump(2);
  CurlAnswer put_index = put_manifest("img", sha256_digest(index_text), index_text, kOciIndex);
  EXPECT_EQ(put_index.status, 201) << put_index;
  CurlAnswer get_index = curl({url("/v2/img/manifests/" + sha256_digest(index_text))});
  EXPECT_EQ(get_index.body, index_text);
  EXPECT_EQ(get_index.header("Content-Type").value_or(""), kOciIndex);
  // A digest in the path that is not the body's.
  CurlAnswer wrong = put_manifest("img", sha256_digest("other"), index_text, kOciIndex);
  EXPECT_EQ(wrong.status, 400) << wrong;
  EXPECT_EQ(wrong.error_code(), "DIGEST_INVALID") << wrong;
}

TEST_F(RegistryServer, ManifestPushesAreChecked) {
  ASSERT_EQ(push_blob("check", "config").status, 201);
  std::string missing_layer = manifest_of("config", {"never pushed"});
  CurlAnswer unknown_blob = put_manifest("check", "v1", missing_layer);
  EXPECT_EQ(unknown_blob.status, 400) << unknown_blob;
  EXPECT_EQ(unknown_blob.error_code(), "MANIFEST_BLOB_UNKNOWN") << unknown_blob;
  EXPECT_EQ(unknown_blob.json()["errors"][0]["detail"], sha256_digest("never pushed")) << unknown_blob;
  nlohmann::json index{{"schemaVersion", 2}, {"mediaType", kOciIndex},
                       {"manifests", {{{"mediaType", kOciManifest}, {"digest", sha256_digest("nope")}, {"size", 4}}}}};
  EXPECT_EQ(put_manifest("check", "idx", index.dump(), kOciIndex).error_code(), "MANIFEST_BLOB_UNKNOWN");

  CurlAnswer not_json = put_manifest("check", "v1", "{not json");
  EXPECT_EQ(not_json.status, 400) << not_json;
  EXPECT_EQ(not_json.error_code(), "MANIFEST_INVALID") << not_json;
  CurlAnswer mismatch = put_manifest("check", "v1", manifest_of("config", {}), kDockerManifest);
  EXPECT_EQ(mismatch.error_code(), "MANIFEST_INVALID") << "mediaType OCI, Content-Type Docker\n" << mismatch;
  CurlAnswer schema1 = put_manifest("check", "v1", R"({"schemaVersion":1,"name":"check","tag":"v1"})");
  EXPECT_EQ(schema1.error_code(), "MANIFEST_INVALID") << schema1;
  CurlAnswer bad_tag = put_manifest("check", "-dash-first", manifest_of("config", {}));
  EXPECT_EQ(bad_tag.status, 400) << bad_tag;
  EXPECT_EQ(bad_tag.error_code(), "TAG_INVALID") << bad_tag;
  CurlAnswer bad_name = put_manifest("check//double", "v1", manifest_of("config", {}));
  EXPECT_EQ(bad_name.error_code(), "NAME_INVALID") << bad_name;
  EXPECT_EQ(curl({url("/v2/check/tags/list")}).json()["tags"], nlohmann::json::array()) << "nothing was tagged";

  CurlAnswer unknown = curl({url("/v2/check/manifests/v9")});
  EXPECT_EQ(unknown.status, 404) << unknown;
  EXPECT_EQ(unknown.error_code(), "MANIFEST_UNKNOWN") << unknown;
  CurlAnswer unknown_repository = curl({url("/v2/nobody/manifests/v1")});
  EXPECT_EQ(unknown_repository.status, 404) << unknown_repository;
  EXPECT_EQ(unknown_repository.error_code(), "NAME_UNKNOWN") << unknown_repository;
}

TEST_F(RegistryServer, ManifestsOfFourMegabytesAreAccepted) {
  ASSERT_EQ(push_blob("big", "config").status, 201);
  std::string manifest = manifest_of("config", {}, kOciManifest, {{"annotations", {{"padding", std::string(4200 * 1024, 'p')}}}});
  ASSERT_GT(manifest.size(), 4u * 1024 * 1024);
  CurlAnswer put = put_manifest("big", "v1", manifest);
  EXPECT_EQ(put.status, 201) << put.status << put.body;
  CurlAnswer get = curl({url("/v2/big/manifests/v1")});
  EXPECT_TRUE(get.body == manifest) << "the big manifest came back different";
}

TEST_F(RegistryServer, ManifestDeleteByTagAndByDigest) {
  std::string manifest = push_image("gone", "v1", "g");
  std::string digest = sha256_digest(manifest);
  ASSERT_EQ(put_manifest("gone", "v2", manifest).status, 201);
  CurlAnswer untag = curl({"-X", "DELETE", url("/v2/gone/manifests/v1")});
  EXPECT_EQ(untag.status, 202) << untag;
  EXPECT_EQ(curl({url("/v2/gone/manifests/v1")}).status, 404);
  EXPECT_EQ(curl({url("/v2/gone/manifests/v2")}).status, 200) << "the other tag stays";
  CurlAnswer remove = curl({"-X", "DELETE", url("/v2/gone/manifests/" + digest)});
  EXPECT_EQ(remove.status, 202) << remove;
  EXPECT_EQ(curl({url("/v2/gone/manifests/" + digest)}).error_code(), "MANIFEST_UNKNOWN");
  EXPECT_EQ(curl({url("/v2/gone/manifests/v2")}).status, 404) << "its tags went with it";
  EXPECT_EQ(curl({"-X", "DELETE", url("/v2/gone/manifests/" + digest)}).error_code(), "MANIFEST_UNKNOWN");
}

TEST_F(RegistryServer, TagsListIsSortedAndPaginated) {
  std::string manifest = push_image("tags", "delta", "t");
  for (const char* tag : {"charlie", "alpha", "bravo"}) ASSERT_EQ(put_manifest("tags", tag, manifest).status, 201);
  CurlAnswer all = curl({url("/v2/tags/tags/list")});
  EXPECT_EQ(all.status, 200) << all;
  EXPECT_EQ(all.json(), (nlohmann::json{{"name", "tags"}, {"tags", {"alpha", "bravo", "charlie", "delta"}}})) << all;
  EXPECT_FALSE(all.header("Link")) << all;
  CurlAnswer first = curl({url("/v2/tags/tags/list?n=2")});
  EXPECT_EQ(first.json()["tags"], (nlohmann::json{"alpha", "bravo"})) << first;
  EXPECT_EQ(first.header("Link").value_or(""), "</v2/tags/tags/list?n=2&last=bravo>; rel=\"next\"") << first;
  CurlAnswer second = curl({url("/v2/tags/tags/list?n=2&last=bravo")});
  EXPECT_EQ(second.json()["tags"], (nlohmann::json{"charlie", "delta"})) << second;
  EXPECT_FALSE(second.header("Link")) << second;
  CurlAnswer after = curl({url("/v2/tags/tags/list?last=b")});
  EXPECT_EQ(after.json()["tags"], (nlohmann::json{"bravo", "charlie", "delta"})) << after;
  CurlAnswer none = curl({url("/v2/tags/tags/list?n=0")});
  EXPECT_EQ(none.json()["tags"], nlohmann::json::array()) << none;
  EXPECT_FALSE(none.header("Link")) << none;
  CurlAnswer unknown = curl({url("/v2/nobody/tags/list")});
  EXPECT_EQ(unknown.status, 404) << unknown;
  EXPECT_EQ(unknown.error_code(), "NAME_UNKNOWN") << unknown;
}

TEST_F(RegistryServer, CatalogListsRepositoriesWithPagination) {
  for (const char* name : {"zeta", "alpha/one", "alpha/two", "mid"}) push_image(name, "v1", name);
  ASSERT_EQ(push_blob("blobs-only", "x").status, 201);
  CurlAnswer all = curl({url("/v2/_catalog")});
  EXPECT_EQ(all.json(), (nlohmann::json{{"repositories", {"alpha/one", "alpha/two", "mid", "zeta"}}})) << all;
  CurlAnswer page = curl({url("/v2/_catalog?n=3")});
  EXPECT_EQ(page.json()["repositories"], (nlohmann::json{"alpha/one", "alpha/two", "mid"})) << page;
  EXPECT_EQ(page.header("Link").value_or(""), "</v2/_catalog?n=3&last=mid>; rel=\"next\"") << page;
  CurlAnswer rest = curl({url("/v2/_catalog?n=3&last=mid")});
  EXPECT_EQ(rest.json()["repositories"], (nlohmann::json{"zeta"})) << rest;
}

TEST_F(RegistryServer, SearchAnswersInDockersV1Shape) {
  push_image("busybox", "1", "a");
  push_image("tools/busybox-extra", "1", "b");
  push_image("alpine", "1", "c");
  // What `docker search HOST/busybox` asks.
  CurlAnswer found = curl({url("/v1/search?q=busybox&n=25")});
  ASSERT_EQ(found.status, 200) << found;
  nlohmann::json busybox{{"name", "busybox"}, {"description", ""}, {"star_count", 0}, {"is_official", false}, {"is_automated", false}};
  nlohmann::json extra = busybox;
  extra["name"] = "tools/busybox-extra";
  EXPECT_EQ(found.json(), (nlohmann::json{{"num_results", 2}, {"query", "busybox"}, {"results", {busybox, extra}}})) << found;

  CurlAnswer one = curl({url("/v1/search?q=BOX&n=1")});  // case ignored
  EXPECT_EQ(one.json()["num_results"], 2) << one;
  EXPECT_EQ(one.json()["results"].size(), 1u) << one;
  EXPECT_EQ(curl({url("/v1/search?q=nothing")}).json()["results"], nlohmann::json::array());
  EXPECT_EQ(curl({url("/v1/search?q=box&n=0")}).status, 400);
  EXPECT_EQ(curl({"-X", "POST", url("/v1/search?q=box")}).status, 405);
}

TEST_F(RegistryServer, GarbageRequestsGet400) {
  std::string answer = raw_exchange(registry_->address(), "this is not http\r\n\r\n");
  EXPECT_EQ(answer.rfind("HTTP/1.1 400 ", 0), 0u) << answer;
  std::string tls_hello = raw_exchange(registry_->address(), std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11));
  EXPECT_EQ(tls_hello.rfind("HTTP/1.1 400 ", 0), 0u) << "answered at once, not after a time-out: " << tls_hello;
  std::string bad_chunk = raw_exchange(registry_->address(),
                                       "PATCH /v2/x/blobs/uploads/00000000-0000-4000-8000-000000000000 HTTP/1.1\r\n"
                                       "Host: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
  EXPECT_EQ(bad_chunk.rfind("HTTP/1.1 404 ", 0), 0u) << "unknown session, before the body is read: " << bad_chunk;
  std::string huge(80 * 1024, 'a');
  std::string too_long = raw_exchange(registry_->address(), "GET /v2/ HTTP/1.1\r\nX-Long: " + huge + "\r\n\r\n");
  EXPECT_EQ(too_long.rfind("HTTP/1.1 431 ", 0), 0u) << too_long.substr(0, 200);
  std::string both = raw_exchange(registry_->address(), "POST /v2/x/blobs/uploads/ HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_EQ(both.rfind("HTTP/1.1 400 ", 0), 0u) << both;
  // The server still answers.
  EXPECT_EQ(curl({url("/v2/")}).status, 200);
}

TEST_F(RegistryServer, PipelinedRequestsAreAnsweredInOrder) {
  ASSERT_EQ(push_blob("pipe", "abc").status, 201);
  std::string answers = raw_exchange(registry_->address(),
                                     "GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n"
                                     "PATCH /v2/pipe/blobs/uploads/00000000-0000-4000-8000-000000000000 HTTP/1.1\r\nHost: x\r\n"
                                     "Content-Length: 0\r\n\r\n"
                                     "HEAD /v2/pipe/blobs/" + sha256_digest("abc") + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::size_t first = answers.find("HTTP/1.1 200 ");
  std::size_t second = answers.find("HTTP/1.1 404 ");
  std::size_t third = answers.find("HTTP/1.1 200 ", first + 1);
  EXPECT_EQ(first, 0u) << answers;
  EXPECT_TRUE(second != std::string::npos && third != std::string::npos && first < second && second < third) << answers;
  EXPECT_NE(answers.find("Content-Length: 3\r\n"), std::string::npos) << "the HEAD's length\n" << answers;
}

TEST_F(RegistryServer, TwoUploadsOfTheSameBlobAtOnce) {
  std::string data(8 * 1024 * 1024, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 2654435761u) >> 13);
  std::string file = file_with(data);
  std::string digest = sha256_digest(data);
  CurlAnswer answers[2];
  std::vector<std::thread> clients;
  for (int i = 0; i < 2; ++i)
    clients.emplace_back([&, i] {
      // One as a monolithic POST, one as POST + streamed PATCH + PUT: both at once.
      if (i == 0) {
        answers[i] = curl({"-X", "POST", "--data-binary", "@" + file, url("/v2/same/blobs/uploads/?digest=" + digest)});
      } else {
        std::string location = curl({"-X", "POST", url("/v2/same/blobs/uploads/")}).header("Location").value_or("");
        curl({"-X", "PATCH", "--data-binary", "@" + file, url(location)});
        answers[i] = curl({"-X", "PUT", url(location + "?digest=" + digest)});
      }
    });
  for (std::thread& client : clients) client.join();
  EXPECT_EQ(answers[0].status, 201) << answers[0];
  EXPECT_EQ(answers[1].status, 201) << answers[1];
  EXPECT_EQ(blob_files(), 1u);
  EXPECT_EQ(upload_sessions(), 0u);
  CurlAnswer get = curl({url("/v2/same/blobs/" + digest)});
  EXPECT_TRUE(get.body == data) << "the stored blob differs";
}

TEST_F(RegistryServer, UploadSessionsOutliveARestart) {
  std::string location = curl({"-X", "POST", url("/v2/restart/blobs/uploads/")}).header("Location").value_or("");
  ASSERT_EQ(curl({"-X", "PATCH", "--data-binary", "@" + file_with("first half, "), url(location)}).status, 202);
  RunResult stopped = registry_->stop();
  ASSERT_EQ(stopped.exit_code, 0) << stopped;
  start();
  ASSERT_FALSE(HasFatalFailure());
  CurlAnswer status = curl({url(location)});
  EXPECT_EQ(status.status, 204) << status;
  EXPECT_EQ(status.header("Range").value_or(""), "0-11") << status;
  EXPECT_EQ(curl({"-X", "PATCH", "-H", "Content-Range: 12-22", "--data-binary", "@" + file_with("second half"), url(location)}).status, 202);
  CurlAnswer put = curl({"-X", "PUT", url(location + "?digest=" + sha256_digest("first half, second half"))});
  EXPECT_EQ(put.status, 201) << "the hash of the first half was rebuilt from disk\n" << put;
}

TEST(RegistryServerSocket, ListensOnAUnixSocket) {
  TempDir tmp("dockling-ch12-socket");
  std::string socket = (tmp.path() / "registry.sock").string();
  Background server({bin("ch12-registry"), "registry", "serve", "--addr", "unix:" + socket, "--root", (tmp.path() / "root").string()});
  std::optional<std::string> line = server.read_line();
  ASSERT_EQ(line.value_or(""), "listening on unix:" + socket);
  CurlAnswer base = curl({"--unix-socket", socket, "http://localhost/v2/"});
  EXPECT_EQ(base.status, 200) << base;
  EXPECT_EQ(base.header("Docker-Distribution-Api-Version").value_or(""), "registry/2.0") << base;
  server.signal(SIGINT);
  RunResult stopped = server.wait(milliseconds(10000));
  EXPECT_EQ(stopped.exit_code, 0) << stopped;
  EXPECT_FALSE(fs::exists(socket)) << "the socket file is removed on the way out";
}

TEST(RegistryServerAddress, MalformedAddressesAreRefused) {
  TempDir tmp("dockling-ch12-address");
  for (const char* address : {"127.0.0.1", "127.0.0.1:99999", "nohost:5000", "unix:"}) {
    RunResult refused = run({bin("ch12-registry"), "registry", "serve", "--addr", address, "--root", (tmp.path() / "root").string()},
                            milliseconds(5000));
    EXPECT_NE(refused.exit_code, 0) << address << "\n" << refused;
    EXPECT_EQ(refused.err.rfind("ch12-registry: ", 0), 0u) << refused;
    EXPECT_NE(refused.err.find(address), std::string::npos) << "the message names the address\n" << refused;
  }
}

TEST_F(RegistryServer, LogsEachRequestAndStopsCleanlyOnSigterm) {
  curl({url("/v2/")});
  curl({url("/v2/nobody/tags/list")});
  RunResult stopped = registry_->stop();
  registry_.reset();
  EXPECT_EQ(stopped.exit_code, 0) << stopped;
  EXPECT_NE(stopped.err.find("\"GET /v2/ HTTP/1.1\" 200 2 "), std::string::npos) << stopped;
  EXPECT_NE(stopped.err.find("\"GET /v2/nobody/tags/list HTTP/1.1\" 404 "), std::string::npos) << stopped;
}

}  // namespace
}  // namespace dockling::ch12
