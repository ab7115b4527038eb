// The referrers API (distribution spec 1.1): an artifact pushed with a subject (an SBOM, a
// signature) is found from the image it points at, and is gone from the answer once deleted.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "digest.hpp"
#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"
#include "registry_curl.hpp"
#include "registry_fixture.hpp"

namespace dockling::ch12 {
namespace {

using namespace dockling::testing;

constexpr const char* kEmptyType = "application/vnd.oci.empty.v1+json";
constexpr const char* kManifestType = "application/vnd.oci.image.manifest.v1+json";

TEST(Referrers, AnArtifactIsFoundFromItsSubjectFilteredByTypeAndGoneOnceDeleted) {
  DOCKLING_REQUIRE_ROOT();
  TempDir tmp("dockling-ch12-referrers");
  std::string root = (tmp.path() / "root").string();
  ASSERT_EQ(import_busybox(root, "busybox").exit_code, 0);
  auto registry = RunningRegistry::dockling(tmp.path() / "registry");
  ASSERT_FALSE(HasFatalFailure());
  std::string image = registry->address() + "/app:1";
  ASSERT_EQ(run({bin("ch12-registry"), "--root", root, "tag", "busybox", image}).exit_code, 0);
  ASSERT_EQ(run({bin("ch12-registry"), "--root", root, "push", image}, milliseconds(60000)).exit_code, 0);
  CurlAnswer head = curl({"-I", "-H", std::string("Accept: ") + kManifestType, registry->url() + "/v2/app/manifests/1"});
  auto subject = head.header("Docker-Content-Digest");
  ASSERT_TRUE(subject) << head;

  // The artifact: OCI's empty config, and the image as its subject.
  std::string empty_digest = ch10::sha256_digest("{}");
  CurlAnswer blob = curl({"-X", "POST", "-H", "Content-Type: application/octet-stream", "--data-binary", "{}",
                          registry->url() + "/v2/app/blobs/uploads/?digest=" + empty_digest});
  ASSERT_EQ(blob.status, 201) << blob;
  nlohmann::ordered_json empty = {{"mediaType", kEmptyType}, {"digest", empty_digest}, {"size", 2}};
  nlohmann::ordered_json artifact = {
      {"schemaVersion", 2},
      {"mediaType", kManifestType},
      {"artifactType", "application/vnd.dockling.sbom"},
      {"config", empty},
      {"layers", nlohmann::ordered_json::array({empty})},
      {"subject", {{"mediaType", kManifestType}, {"digest", *subject}, {"size", std::stoi(*head.header("Content-Length"))}}},
      {"annotations", {{"org.dockling.note", "what app:1 is made of"}}}};
  std::string body = artifact.dump();
  std::string artifact_digest = ch10::sha256_digest(body);
  CurlAnswer put = curl({"-X", "PUT", "-H", std::string("Content-Type: ") + kManifestType, "--data-binary", body,
                         registry->url() + "/v2/app/manifests/" + artifact_digest});
  ASSERT_EQ(put.status, 201) << put;
  EXPECT_EQ(put.header("OCI-Subject"), *subject) << put;

  CurlAnswer found = curl({registry->url() + "/v2/app/referrers/" + *subject});
  ASSERT_EQ(found.status, 200) << found;
  EXPECT_EQ(found.header("Content-Type"), "application/vnd.oci.image.index.v1+json") << found;
  nlohmann::json index = found.json();
  ASSERT_EQ(index["manifests"].size(), 1u) << found;
  EXPECT_EQ(index["manifests"][0]["digest"], artifact_digest);
  EXPECT_EQ(index["manifests"][0]["artifactType"], "application/vnd.dockling.sbom");
  EXPECT_EQ(index["manifests"][0]["size"], body.size());
  EXPECT_EQ(index["manifests"][0]["annotations"]["org.dockling.note"], "what app:1 is made of");

  CurlAnswer filtered = curl({registry->url() + "/v2/app/referrers/" + *subject + "?artifactType=application/other"});
  EXPECT_EQ(filtered.header("OCI-Filters-Applied"), "artifactType") << filtered;
  EXPECT_EQ(filtered.json()["manifests"], nlohmann::json::array()) << filtered;
  EXPECT_EQ(curl({registry->url() + "/v2/app/referrers/sha256:nothex"}).error_code(), "DIGEST_INVALID");

  ASSERT_EQ(curl({"-X", "DELETE", registry->url() + "/v2/app/manifests/" + artifact_digest}).status, 202);
  EXPECT_EQ(curl({registry->url() + "/v2/app/referrers/" + *subject}).json()["manifests"], nlohmann::json::array());
  ASSERT_EQ(run({bin("ch12-registry"), "--root", root, "rmi", image}).exit_code, 0);
}

}  // namespace
}  // namespace dockling::ch12
