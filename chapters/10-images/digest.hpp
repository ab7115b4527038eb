/// @file digest.hpp
/// @brief sha256 digests, the names of everything in an image store ("sha256:<64 hex>").
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace dockling::ch10 {

/// A running sha256 (OpenSSL's EVP interface): feed it bytes, then ask for the digest.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  /// Adds `size` bytes at `data`.
  void update(const void* data, std::size_t size);
  /// Adds `data`.
  void update(std::string_view data) { update(data.data(), data.size()); }
  /// The digest of everything fed so far, as "sha256:<64 lowercase hex>"; ends the hash.
  std::string digest();

 private:
  std::unique_ptr<evp_md_ctx_st, void (*)(evp_md_ctx_st*)> ctx_;
};

/// "sha256:<64 hex>" of `data`.
std::string sha256_digest(std::string_view data);

/// True when `digest` is "sha256:" and 64 lowercase hex digits: the only digests the store
/// keeps (a digest names a file, so nothing else may reach a path).
bool is_sha256_digest(std::string_view digest);

/// The 64 hex digits of a sha256 digest ("sha256:abc…" → "abc…").
/// @throws Error when `digest` is not one.
std::string digest_hex(std::string_view digest);

}  // namespace dockling::ch10
