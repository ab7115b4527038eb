#include "digest.hpp"

#include <openssl/evp.h>

#include <algorithm>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "dockling/shared_library.hpp"

namespace dockling::ch10 {

namespace {

/// The libcrypto functions a sha256 needs, loaded on the first hash rather than at every start
/// (libcrypto is 4 MB of relocations).
struct LibCrypto {
  decltype(&EVP_MD_CTX_new) md_ctx_new;
  decltype(&EVP_MD_CTX_free) md_ctx_free;
  decltype(&EVP_sha256) sha256;
  decltype(&EVP_DigestInit_ex) digest_init;
  decltype(&EVP_DigestUpdate) digest_update;
  decltype(&EVP_DigestFinal_ex) digest_final;
};

const LibCrypto& libcrypto() {
  static const LibCrypto lib = [] {
    SharedLibrary library("libcrypto.so.3", "libssl3");
    LibCrypto f{};
    library.load("EVP_MD_CTX_new", f.md_ctx_new);
    library.load("EVP_MD_CTX_free", f.md_ctx_free);
    library.load("EVP_sha256", f.sha256);
    library.load("EVP_DigestInit_ex", f.digest_init);
    library.load("EVP_DigestUpdate", f.digest_update);
    library.load("EVP_DigestFinal_ex", f.digest_final);
    return f;
  }();
  return lib;
}

}  // namespace

Sha256::Sha256() : ctx_(libcrypto().md_ctx_new(), libcrypto().md_ctx_free) {
  if (!ctx_ || libcrypto().digest_init(ctx_.get(), libcrypto().sha256(), nullptr) != 1)
    throw Error("EVP_DigestInit_ex(sha256) failed");
}

Sha256::~Sha256() = default;

void Sha256::update(const void* data, std::size_t size) {
  if (size > 0 && libcrypto().digest_update(ctx_.get(), data, size) != 1) throw Error("EVP_DigestUpdate(sha256) failed");
}

std::string Sha256::digest() {
  unsigned char bytes[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (libcrypto().digest_final(ctx_.get(), bytes, &length) != 1) throw Error("EVP_DigestFinal_ex(sha256) failed");
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
