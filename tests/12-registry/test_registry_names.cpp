// The spec's rules for repository names, tags and upload ids, checked before any of them
// names a file under the registry's root.
#include <gtest/gtest.h>

#include <string>

#include "registry_manifests.hpp"
#include "registry_errors.hpp"
#include "registry_names.hpp"

namespace dockling::ch12 {
namespace {

TEST(RegistryNames, RepositoryNamesFollowTheSpec) {
  for (const char* name : {"a", "library/busybox", "a0/b-c/d.e/f_g", "x__y", "x---y", "team/app.v2", "1/2/3"})
    EXPECT_TRUE(is_repository_name(name)) << name;
  for (const char* name : {"", "A", "a/", "/a", "a//b", "-a", "a-", "a..b", "a._b", "a___b", "..", "a/../b", "_layers",
                           "a/_manifests", "a b", "a:b", "a@b"})
    EXPECT_FALSE(is_repository_name(name)) << name;
  EXPECT_TRUE(is_repository_name(std::string(255, 'a')));
  EXPECT_FALSE(is_repository_name(std::string(256, 'a')));
}

TEST(RegistryNames, TagsFollowTheSpec) {
  for (const char* tag : {"latest", "v1.2.3", "_hidden", "A-b_c.d", "0"}) EXPECT_TRUE(is_tag(tag)) << tag;
  for (const char* tag : {"", "-x", ".x", "a/b", "a:b", "..", "a b"}) EXPECT_FALSE(is_tag(tag)) << tag;
  EXPECT_TRUE(is_tag(std::string(128, 't')));
  EXPECT_FALSE(is_tag(std::string(129, 't')));
}

TEST(RegistryNames, UploadIdsAreUuids) {
  EXPECT_TRUE(is_upload_uuid("0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"));
  for (const char* uuid : {"", "../../etc/passwd", "0F1E2D3C-4B5A-4968-8776-A5B4C3D2E1F0", "0f1e2d3c4b5a49688776a5b4c3d2e1f0xxxx"})
    EXPECT_FALSE(is_upload_uuid(uuid)) << uuid;
}

TEST(RegistryManifests, TypesComeFromTheBodyOrTheContentType) {
  std::string config = R"({"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:)" + std::string(64, 'a') +
                       R"(","size":2})";
  std::string bare = R"({"schemaVersion":2,"config":)" + config + R"(,"layers":[]})";
  EXPECT_EQ(check_manifest(bare, "").media_type, kOciManifest);
  EXPECT_EQ(check_manifest(bare, "application/json").media_type, kOciManifest);
  EXPECT_EQ(check_manifest(bare, std::string(kDockerManifest) + "; charset=utf-8").media_type, kDockerManifest);
  ManifestReferences image = check_manifest(bare, kOciManifest);
  EXPECT_EQ(image.blobs, (std::vector<std::string>{"sha256:" + std::string(64, 'a')}));
  std::string index = R"({"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:)" +
                      std::string(64, 'b') + R"(","size":10}]})";
  ManifestReferences listed = check_manifest(index, "");
  EXPECT_EQ(listed.media_type, kOciIndex);
  EXPECT_EQ(listed.manifests, (std::vector<std::string>{"sha256:" + std::string(64, 'b')}));
  // A foreign layer (with urls) is fetched from elsewhere: not required in the repository.
  std::string foreign = R"({"schemaVersion":2,"config":)" + config +
                        R"(,"layers":[{"mediaType":"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip","digest":"sha256:)" +
                        std::string(64, 'c') + R"(","size":1,"urls":["https://example.com/layer"]}]})";
  EXPECT_EQ(check_manifest(foreign, "").blobs.size(), 1u);
}

TEST(RegistryManifests, MalformedManifestsAreInvalid) {
  auto code_of = [](const std::string& body, const std::string& type = "") {
    try {
      check_manifest(body, type);
      return std::string("accepted");
    } catch (const ApiError& error) {
      return error.entries().front().code;
    }
  };
  EXPECT_EQ(code_of("{"), "MANIFEST_INVALID");
  EXPECT_EQ(code_of("[]"), "MANIFEST_INVALID");
  EXPECT_EQ(code_of(R"({"schemaVersion":1})"), "MANIFEST_INVALID");
  EXPECT_EQ(code_of(R"({"schemaVersion":2,"layers":[]})", std::string(kOciManifest)), "MANIFEST_INVALID") << "no config";
  EXPECT_EQ(code_of(R"({"schemaVersion":2,"config":{"digest":"md5:00","size":1},"layers":[]})"), "MANIFEST_INVALID");
  EXPECT_EQ(code_of(R"({"schemaVersion":2,"config":{"digest":"sha256:)" + std::string(64, 'a') + R"("},"layers":[]})"),
            "MANIFEST_INVALID")
      << "no size";
  EXPECT_EQ(code_of(R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":{}})"),
            "MANIFEST_INVALID");
}

}  // namespace
}  // namespace dockling::ch12
