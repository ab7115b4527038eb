#include "digest.hpp"

#include <openssl/evp.h>

#include <algorithm>

#include <fmt/format.h>

#include "dockling/error.hpp"

namespace dockling::ch10 {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
  if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) throw Error("EVP_DigestInit_ex(sha256) failed");
}

Sha256::~Sha256() = default;

void Sha256::update(const void* data, std::size_t size) {
  if (size > 0 && EVP_DigestUpdate(ctx_.get(), data, size) != 1) throw Error("EVP_DigestUpdate(sha256) failed");
}

std::string Sha256::digest() {
  unsigned char bytes[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(ctx_.get(), bytes, &length) != 1) throw Error("EVP_DigestFinal_ex(sha256) failed");
  std::string text = "sha256:";
  for (unsigned int i = 0; i < length; ++i) text += fmt::format("{:02x}", bytes[i]);
  return text;
}

std::string sha256_digest(std::string_view data) {
  Sha256 hash;
  hash.update(data);
  return hash.digest();
}

bool is_sha256_digest(std::string_view digest) {
  constexpr std::string_view prefix = "sha256:";
  if (digest.size() != prefix.size() + 64 || digest.substr(0, prefix.size()) != prefix) return false;
  return std::all_of(digest.begin() + prefix.size(), digest.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string digest_hex(std::string_view digest) {
  if (!is_sha256_digest(digest)) throw Error(fmt::format("not a sha256 digest: \"{}\"", digest), 1);
  return std::string(digest.substr(7));
}

}  // namespace dockling::ch10
