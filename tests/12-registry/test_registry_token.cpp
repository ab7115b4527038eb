// The pieces of the registry's auth, without a server: base64 in both alphabets (RFC 4648's
// vectors), HMAC-SHA256 (RFC 4231's), scopes, signed tokens refused when anything is off,
// and htpasswd files of bcrypt hashes.
#include <crypt.h>
#include <gtest/gtest.h>

#include <string>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "dockling/fs.hpp"
#include "dockling/tempdir.hpp"
#include "hmac_sha256.hpp"
#include "htpasswd.hpp"
#include "registry_base64.hpp"
#include "registry_token.hpp"

namespace dockling::ch12 {
namespace {

std::string hex(const std::string& bytes) {
  std::string text;
  for (unsigned char c : bytes) text += fmt::format("{:02x}", c);
  return text;
}

TEST(RegistryBase64, EncodesAndDecodesRfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},         {"f", "Zg=="},     {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},  {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (auto [plain, encoded] : vectors) {
    EXPECT_EQ(encode_base64(plain), encoded);
    EXPECT_EQ(decode_base64(encoded), plain);
  }
  EXPECT_EQ(encode_base64("\xfb\xff", Base64::url), "-_8");
  EXPECT_EQ(decode_base64("-_8", Base64::url), "\xfb\xff");
  EXPECT_EQ(decode_base64("-_8"), std::nullopt) << "not the standard alphabet";
  EXPECT_EQ(decode_base64("Zm9vY"), std::nullopt) << "a length no encoding gives";
  EXPECT_EQ(decode_base64("Zm 9v"), std::nullopt);
}

TEST(RegistryToken, HmacSha256MatchesRfc4231) {
  EXPECT_EQ(hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_TRUE(equal_in_constant_time("abc", "abc"));
  EXPECT_FALSE(equal_in_constant_time("abc", "abd"));
  EXPECT_FALSE(equal_in_constant_time("abc", "ab"));
}

TEST(RegistryToken, ScopesParse) {
  std::optional<ResourceAccess> scope = parse_scope("repository:team/app:pull,push");
  ASSERT_TRUE(scope);
  EXPECT_EQ(scope->type, "repository");
  EXPECT_EQ(scope->name, "team/app");
  EXPECT_EQ(scope->actions, (std::vector<std::string>{"pull", "push"}));
  EXPECT_EQ(scope->scope(), "repository:team/app:pull,push");
  EXPECT_TRUE(scope->allows("push"));
  EXPECT_FALSE(scope->allows("delete"));
  EXPECT_EQ(parse_scope("repository:localhost:5000/app:pull")->name, "localhost:5000/app");
  EXPECT_TRUE(parse_scope("registry:catalog:*")->allows("anything"));
  EXPECT_FALSE(parse_scope("repository"));
  EXPECT_FALSE(parse_scope("repository:app"));
  EXPECT_FALSE(parse_scope(":app:pull"));
}

TEST(RegistryToken, SignedTokensVerifyAndAnythingOffIsRefused) {
  TokenSigner signer(std::string(32, 'k'), "issuer");
  TokenClaims claims{"alice", "service", 1000, 1300, {{"repository", "app", {"pull", "push"}}}};
  std::string token = signer.sign(claims);
  TokenClaims back = signer.verify(token, "service", 1100);
  EXPECT_EQ(back.subject, "alice");
  EXPECT_EQ(back.expires_at, 1300);
  ASSERT_EQ(back.access.size(), 1u);
  EXPECT_EQ(back.access[0].scope(), "repository:app:pull,push");

  EXPECT_THROW(signer.verify(token, "service", 1300), TokenRefused) << "expired";
  EXPECT_THROW(signer.verify(token, "service", 999), TokenRefused) << "not valid yet";
  EXPECT_THROW(signer.verify(token, "other", 1100), TokenRefused) << "another audience";
  EXPECT_THROW(TokenSigner(std::string(32, 'x'), "issuer").verify(token, "service", 1100), TokenRefused)
      << "another key";
  EXPECT_THROW(TokenSigner(std::string(32, 'k'), "other").verify(token, "service", 1100), TokenRefused)
      << "another issuer";
  // The same claims under "alg":"none" and no signature: the oldest trick against JWTs.
  std::size_t first = token.find('.'), last = token.rfind('.');
  std::string unsigned_token = encode_base64(R"({"alg":"none","typ":"JWT"})", Base64::url) +
                               token.substr(first, last - first) + ".";
  EXPECT_THROW(signer.verify(unsigned_token, "service", 1100), TokenRefused);
  EXPECT_THROW(signer.verify("garbage", "service", 1100), TokenRefused);
  EXPECT_THROW(TokenSigner("short", "issuer"), Error);
}

TEST(RegistryHtpasswd, ChecksBcryptEntriesAndRefusesOthers) {
  TempDir tmp("dockling-ch12-htpasswd");
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  ASSERT_NE(crypt_gensalt_rn("$2b$", 5, nullptr, 0, salt, sizeof salt), nullptr);
  crypt_data data{};
  const char* hash = crypt_rn("secret", salt, &data, sizeof data);
  ASSERT_NE(hash, nullptr);
  std::string path = (tmp.path() / "htpasswd").string();
  write_file(path, std::string("# users\n\nalice:") + hash + "\r\n");
  Htpasswd users(path);
  EXPECT_TRUE(users.has_user("alice"));
  EXPECT_TRUE(users.verify("alice", "secret"));
  EXPECT_FALSE(users.verify("alice", "Secret"));
  EXPECT_FALSE(users.verify("bob", "secret"));

  write_file(path, std::string("alice:") + hash + "\nbob:{SHA}abc\n");
  try {
    Htpasswd refused(path);
    ADD_FAILURE() << "a SHA1 entry was taken";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), path + ":2: not user:bcrypt-hash (make entries with htpasswd -B)");
  }
}

}  // namespace
}  // namespace dockling::ch12
