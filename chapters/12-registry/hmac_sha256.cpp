#include "hmac_sha256.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "dockling/error.hpp"
#include "dockling/shared_library.hpp"

namespace dockling::ch12 {

namespace {

/// HMAC() and EVP_sha256() from libcrypto (not linked: see chapter 10's digest.cpp).
struct LibCryptoHmac {
  decltype(&HMAC) hmac;
  decltype(&EVP_sha256) sha256;
};

const LibCryptoHmac& libcrypto() {
  static const LibCryptoHmac lib = [] {
    SharedLibrary library("libcrypto.so.3", "libssl3");
    LibCryptoHmac f{};
    library.load("HMAC", f.hmac);
    library.load("EVP_sha256", f.sha256);
    return f;
  }();
  return lib;
}

}  // namespace

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!libcrypto().hmac(libcrypto().sha256(), key.data(), static_cast<int>(key.size()),
                        reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &length))
    throw Error("HMAC(sha256) failed");
  return std::string(reinterpret_cast<const char*>(out), length);
}

bool equal_in_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char difference = 0;
  for (std::size_t i = 0; i < a.size(); ++i) difference |= static_cast<unsigned char>(a[i] ^ b[i]);
  return difference == 0;
}

}  // namespace dockling::ch12
