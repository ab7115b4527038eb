// Where the client sends a reference (docker's rules), and how it reads a registry's errors.
#include <gtest/gtest.h>

#include "reference.hpp"
#include "registry_client.hpp"
#include "registry_url.hpp"

namespace dockling::ch12 {
namespace {

RegistryRepository where(const std::string& text, const std::vector<std::string>& insecure = {}) {
  return registry_repository(ch10::parse_reference(text), insecure);
}

TEST(RegistryUrl, DockerHubNamesAreServedByRegistry1) {
  RegistryRepository busybox = where("busybox");
  EXPECT_EQ(busybox.base_url, "https://registry-1.docker.io");
  EXPECT_EQ(busybox.repository, "library/busybox");
  EXPECT_EQ(busybox.manifest_url("latest"), "https://registry-1.docker.io/v2/library/busybox/manifests/latest");
  EXPECT_EQ(where("user/app:1").blob_url("sha256:ab"), "https://registry-1.docker.io/v2/user/app/blobs/sha256:ab");
}

TEST(RegistryUrl, LoopbackAndInsecureHostsArePlainHttp) {
  EXPECT_EQ(where("localhost:5000/app").base_url, "http://localhost:5000");
  EXPECT_EQ(where("localhost/app").base_url, "http://localhost");
  EXPECT_EQ(where("127.0.0.1:5000/team/app:1").base_url, "http://127.0.0.1:5000");
  EXPECT_EQ(where("127.1.2.3:80/app").base_url, "http://127.1.2.3:80");
  EXPECT_EQ(where("128.0.0.1:5000/app").base_url, "https://128.0.0.1:5000");
  EXPECT_EQ(where("127.0.0.1.example.com/app").base_url, "https://127.0.0.1.example.com");
  EXPECT_EQ(where("registry.example.com:5000/app").base_url, "https://registry.example.com:5000");
  EXPECT_EQ(where("registry.example.com:5000/app", {"registry.example.com:5000"}).base_url,
            "http://registry.example.com:5000");
  EXPECT_EQ(where("registry.example.com:5000/app", {"registry.example.com"}).base_url, "http://registry.example.com:5000");
  EXPECT_EQ(where("registry.example.com:5000/app", {"registry.example.com:5001"}).base_url,
            "https://registry.example.com:5000");
  EXPECT_EQ(where("127.0.0.1:5000/team/app").uploads_url(), "http://127.0.0.1:5000/v2/team/app/blobs/uploads/");
}

TEST(RegistryUrl, LocationsAndQueries) {
  RegistryRepository repo = where("127.0.0.1:5000/app");
  EXPECT_EQ(repo.absolute("/v2/app/blobs/uploads/u1?_state=x"), "http://127.0.0.1:5000/v2/app/blobs/uploads/u1?_state=x");
  EXPECT_EQ(repo.absolute("https://blobs.example.com/u1"), "https://blobs.example.com/u1");
  EXPECT_EQ(with_query("http://h/u", "digest", "sha256:ab"), "http://h/u?digest=sha256%3Aab");
  EXPECT_EQ(with_query("http://h/u?_state=x", "digest", "sha256:ab"), "http://h/u?_state=x&digest=sha256%3Aab");
}

TEST(RegistryErrors, AreReadFromTheSpecsJsonAndSaidAsDockerSaysThem) {
  auto errors = parse_registry_errors(
      R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"nope"}}]})");
  ASSERT_EQ(errors.size(), 1u);
  RegistryError error("manifest nope of 127.0.0.1:5000/app", 404, errors);
  EXPECT_TRUE(error.has_code("MANIFEST_UNKNOWN"));
  EXPECT_FALSE(error.has_code("NAME_UNKNOWN"));
  EXPECT_EQ(error.reason(), "manifest unknown: manifest unknown");
  EXPECT_STREQ(error.what(), "manifest nope of 127.0.0.1:5000/app: manifest unknown: manifest unknown");
  EXPECT_EQ(error.exit_code(), 1);

  EXPECT_TRUE(parse_registry_errors("<html>bad gateway</html>").empty());
  EXPECT_TRUE(parse_registry_errors(R"({"errors":"none"})").empty());
  RegistryError bare("blob sha256:ab of h/app", 502, {});
  EXPECT_EQ(bare.reason(), "unexpected status 502");
  RegistryError two("x", 400, parse_registry_errors(R"({"errors":[{"code":"DIGEST_INVALID","message":"a"},{"code":"SIZE_INVALID"}]})"));
  EXPECT_EQ(two.reason(), "digest invalid: a; size invalid");
}

}  // namespace
}  // namespace dockling::ch12
