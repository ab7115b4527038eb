// `registry serve --htpasswd FILE`: HTTP Basic, and with --token-issuer the token flow of
// Docker Hub (401 with a Bearer challenge, GET /token with Basic credentials, then
// Authorization: Bearer). Spoken to with curl and with skopeo (--creds, --dest-creds): wrong
// passwords, forged and expired tokens, and a pull-only user refused a push.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

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
constexpr const char* kHtpasswd = "/usr/bin/htpasswd";

class ServerAuth : public ::testing::Test {
 protected:
  void SetUp() override {
    DOCKLING_REQUIRE_ROOT();  // import writes the source image's store
    ASSERT_TRUE(fs::exists(kHtpasswd) && fs::exists(kSkopeo)) << "htpasswd or skopeo is missing: run sudo scripts/setup-deps";
    // alice may push; reader may only pull.
    std::string entries;
    for (auto [user, password] : {std::pair{"alice", "secret"}, std::pair{"reader", "letmein"}}) {
      RunResult made = run({kHtpasswd, "-Bbn", user, password});
      ASSERT_EQ(made.exit_code, 0) << made;
      entries += made.out.substr(0, made.out.find('\n')) + "\n";
    }
    htpasswd_ = (tmp_.path() / "htpasswd").string();
    write_file(htpasswd_, "# users of the test\n" + entries);
  }
  void TearDown() override {
    if (registry_) registry_->stop();
  }

  void start(std::vector<std::string> extra = {}) {
    extra.insert(extra.begin(), {"--htpasswd", htpasswd_, "--read-only-users", "reader"});
    registry_ = RunningRegistry::dockling(tmp_.path() / "root", extra);
    ASSERT_TRUE(registry_);
  }
  std::string url(const std::string& path) const { return registry_->url() + path; }

  /// An OCI layout holding the busybox rootfs as docker.io/library/copied:1 (skopeo's source).
  std::string source() {
    std::string store = (tmp_.path() / "source").string();
    if (!fs::exists(store)) {
      std::string tarball = (tmp_.path() / "busybox.tar").string();
      EXPECT_EQ(run({"/bin/tar", "-C", rootfs(), "-cf", tarball, "."}).exit_code, 0);
      RunResult imported = run({bin("ch12-registry"), "--root", store, "import", tarball, "copied:1"});
      EXPECT_EQ(imported.exit_code, 0) << imported;
    }
    return "oci:" + store + "/images:docker.io/library/copied:1";
  }
  RunResult copy_in(const std::string& repository, const std::vector<std::string>& creds) {
    std::vector<std::string> argv{kSkopeo, "copy", "-q", "--dest-tls-verify=false"};
    argv.insert(argv.end(), creds.begin(), creds.end());
    argv.push_back(source());
    argv.push_back("docker://" + registry_->address() + "/" + repository);
    return run(argv, milliseconds(60000));
  }
  RunResult inspect(const std::string& repository, const std::vector<std::string>& creds) {
    std::vector<std::string> argv{kSkopeo, "inspect", "--raw", "--tls-verify=false"};
    argv.insert(argv.end(), creds.begin(), creds.end());
    argv.push_back("docker://" + registry_->address() + "/" + repository);
    return run(argv, milliseconds(60000));
  }
  /// GET /token as `user:password` for `scope`.
  CurlAnswer token(const std::string& credentials, const std::string& scope) {
    return curl({"-u", credentials, url("/token?service=dockling-registry&scope=" + scope)});
  }
  /// A POST that opens an upload session of `repository` with `authorization`.
  CurlAnswer start_upload(const std::string& repository, const std::string& authorization) {
    return start_upload_at("/v2/" + repository + "/blobs/uploads/", authorization);
  }
  /// A POST to `path` with `authorization`.
  CurlAnswer start_upload_at(const std::string& path, const std::string& authorization) {
    return curl({"-X", "POST", "-H", "Authorization: " + authorization, url(path)});
  }

  TempDir tmp_{"dockling-ch12-auth"};
  std::string htpasswd_;
  std::unique_ptr<RunningRegistry> registry_;
};

TEST_F(ServerAuth, BasicWantsAUserOfTheFile) {
  start();
  CurlAnswer anonymous = curl({url("/v2/")});
  EXPECT_EQ(anonymous.status, 401) << anonymous;
  EXPECT_EQ(anonymous.header("WWW-Authenticate").value_or(""), "Basic realm=\"dockling-registry\"") << anonymous;
  EXPECT_EQ(anonymous.error_code(), "UNAUTHORIZED") << anonymous;
  CurlAnswer wrong = curl({"-u", "alice:guess", url("/v2/")});
  EXPECT_EQ(wrong.status, 401) << wrong;
  EXPECT_EQ(wrong.error_code(), "UNAUTHORIZED") << wrong;
  EXPECT_EQ(curl({"-u", "nobody:secret", url("/v2/")}).status, 401);
  EXPECT_EQ(curl({"-u", "alice:secret", url("/v2/")}).status, 200);
  EXPECT_EQ(curl({"-u", "reader:letmein", url("/v2/_catalog")}).status, 200);
  EXPECT_NE(registry_->log().find("auth: wrong password for user \"alice\""), std::string::npos) << registry_->log();
}

TEST_F(ServerAuth, BasicWithSkopeoAndAPullOnlyUser) {
  start();
  RunResult pushed = copy_in("app:1", {"--dest-creds", "alice:secret"});
  ASSERT_EQ(pushed.exit_code, 0) << pushed << registry_->log();
  EXPECT_EQ(inspect("app:1", {"--creds", "reader:letmein"}).exit_code, 0);
  EXPECT_NE(inspect("app:1", {}).exit_code, 0) << "no credentials";
  EXPECT_NE(inspect("app:1", {"--creds", "alice:guess"}).exit_code, 0) << "a wrong password";

  RunResult refused = copy_in("app:2", {"--dest-creds", "reader:letmein"});
  EXPECT_NE(refused.exit_code, 0) << refused;
  CurlAnswer denied = curl({"-X", "POST", "-u", "reader:letmein", url("/v2/app/blobs/uploads/")});
  EXPECT_EQ(denied.status, 403) << denied;
  EXPECT_EQ(denied.error_code(), "DENIED") << denied;
  EXPECT_EQ(curl({"-u", "reader:letmein", url("/v2/app/tags/list")}).json()["tags"], (nlohmann::json{"1"}));
}

TEST_F(ServerAuth, TokenFlowWithCurl) {
  start({"--token-issuer"});
  // A request without a token is told where to get one, for which scope.
  CurlAnswer base = curl({url("/v2/")});
  EXPECT_EQ(base.status, 401) << base;
  std::string realm = "Bearer realm=\"" + url("/token") + "\",service=\"dockling-registry\"";
  EXPECT_EQ(base.header("WWW-Authenticate").value_or(""), realm) << base;
  EXPECT_EQ(curl({url("/v2/app/tags/list")}).header("WWW-Authenticate").value_or(""),
            realm + ",scope=\"repository:app:pull\"");
  CurlAnswer write = start_upload("app", "Basic YWxpY2U6c2VjcmV0");  // Basic is not taken here
  EXPECT_EQ(write.status, 401) << write;
  EXPECT_EQ(write.header("WWW-Authenticate").value_or(""), realm + ",scope=\"repository:app:pull,push\"") << write;

  EXPECT_EQ(curl({url("/token?scope=repository:app:pull")}).status, 401);
  EXPECT_EQ(token("alice:guess", "repository:app:pull,push").status, 401);
  CurlAnswer issued = token("alice:secret", "repository:app:pull,push");
  ASSERT_EQ(issued.status, 200) << issued;
  nlohmann::json body = issued.json();
  std::string bearer = body.value("token", "");
  EXPECT_EQ(body.value("access_token", ""), bearer);
  EXPECT_EQ(body.value("expires_in", 0), 300);
  EXPECT_EQ(body.value("issued_at", "").size(), 20u) << body;  // 2026-01-02T03:04:05Z
  EXPECT_EQ(start_upload("app", "Bearer " + bearer).status, 202);
  EXPECT_EQ(curl({"-H", "Authorization: Bearer " + bearer, url("/v2/")}).status, 200);

  // Its claims changed (another repository), its signature kept: refused and logged.
  std::size_t dot = bearer.find('.');
  std::string forged = bearer;
  forged[dot + 5] = forged[dot + 5] == 'A' ? 'B' : 'A';
  CurlAnswer refused = start_upload("app", "Bearer " + forged);
  EXPECT_EQ(refused.status, 401) << refused;
  EXPECT_EQ(refused.error_code(), "UNAUTHORIZED") << refused;
  EXPECT_NE(refused.header("WWW-Authenticate").value_or("").find("error=\"invalid_token\""), std::string::npos) << refused;
  EXPECT_NE(registry_->log().find("bearer token refused"), std::string::npos) << registry_->log();

  // A pull token of a user who may push: asked to get a better one; of one who may not: denied.
  CurlAnswer pull_only = token("alice:secret", "repository:app:pull");
  EXPECT_EQ(start_upload("app", "Bearer " + pull_only.json().value("token", "")).status, 401);
  CurlAnswer reader = token("reader:letmein", "repository:app:pull,push");
  std::string reader_token = reader.json().value("token", "");
  CurlAnswer denied = start_upload("app", "Bearer " + reader_token);
  EXPECT_EQ(denied.status, 403) << denied;
  EXPECT_EQ(denied.error_code(), "DENIED") << denied;
  EXPECT_EQ(curl({"-H", "Authorization: Bearer " + reader_token, url("/v2/other/tags/list")}).status, 401)
      << "the token is for app only";
}

TEST_F(ServerAuth, AMountNeedsPullOnTheSourceRepository) {
  start({"--token-issuer"});
  std::string data = "a blob in repository a";
  std::string body = (tmp_.path() / "blob").string();
  write_file(body, data);
  std::string digest = ch10::sha256_digest(data);
  std::string into_a = token("alice:secret", "repository:a:pull,push").json().value("token", "");
  CurlAnswer stored = curl({"-X", "POST", "-H", "Authorization: Bearer " + into_a, "--data-binary", "@" + body,
                            url("/v2/a/blobs/uploads/?digest=" + digest)});
  ASSERT_EQ(stored.status, 201) << stored;

  // A token for b alone: no mount from a (the blob would leak), an upload session instead.
  std::string b_only = token("alice:secret", "repository:b:pull,push").json().value("token", "");
  std::string mount = "/v2/b/blobs/uploads/?mount=" + digest + "&from=a";
  EXPECT_EQ(start_upload_at(mount, "Bearer " + b_only).status, 202);
  std::string both = token("alice:secret", "repository:b:pull,push+repository:a:pull").json().value("token", "");
  EXPECT_EQ(start_upload_at(mount, "Bearer " + both).status, 201);
}

TEST_F(ServerAuth, AnExpiredTokenIsRefused) {
  start({"--token-issuer", "--token-ttl", "1"});
  std::string bearer = token("alice:secret", "repository:app:pull").json().value("token", "");
  ASSERT_FALSE(bearer.empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  CurlAnswer expired = curl({"-H", "Authorization: Bearer " + bearer, url("/v2/")});
  EXPECT_EQ(expired.status, 401) << expired;
  EXPECT_EQ(expired.error_code(), "UNAUTHORIZED") << expired;
  EXPECT_NE(registry_->log().find("bearer token refused"), std::string::npos) << registry_->log();
  EXPECT_NE(registry_->log().find("expired"), std::string::npos) << registry_->log();
}

TEST_F(ServerAuth, TokenFlowWithSkopeo) {
  fs::path key = tmp_.path() / "token.key";
  write_file(key.string(), std::string(40, 'k'));
  start({"--token-issuer", "--token-key", key.string()});
  RunResult pushed = copy_in("team/app:1", {"--dest-creds", "alice:secret"});
  ASSERT_EQ(pushed.exit_code, 0) << pushed << registry_->log();
  RunResult read = inspect("team/app:1", {"--creds", "reader:letmein"});
  EXPECT_EQ(read.exit_code, 0) << read << registry_->log();
  EXPECT_NE(inspect("team/app:1", {"--creds", "reader:wrong"}).exit_code, 0);
  RunResult refused = copy_in("team/app:2", {"--dest-creds", "reader:letmein"});
  EXPECT_NE(refused.exit_code, 0) << refused;
  EXPECT_NE(registry_->log().find("auth: user \"reader\" denied"), std::string::npos) << registry_->log();
}

TEST_F(ServerAuth, WrongOptionsAreRefusedAtStart) {
  std::vector<std::string> serve{bin("ch12-registry"), "registry", "serve", "--addr", "127.0.0.1:0", "--root",
                                 (tmp_.path() / "root").string(), "--token-issuer"};
  RunResult refused = run(serve);
  EXPECT_EQ(refused.exit_code, 1) << refused;
  EXPECT_NE(refused.err.find("--token-issuer needs --htpasswd"), std::string::npos) << refused;
  std::string key = (tmp_.path() / "short.key").string();
  write_file(key, "too short");
  serve.insert(serve.end(), {"--htpasswd", htpasswd_, "--token-key", key});
  RunResult short_key = run(serve);
  EXPECT_EQ(short_key.exit_code, 1) << short_key;
  EXPECT_NE(short_key.err.find("--token-key " + key + ": 9 bytes; a key needs 32 at least"), std::string::npos) << short_key;
}

}  // namespace
}  // namespace dockling::ch12
