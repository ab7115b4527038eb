/// @file hmac_sha256.hpp
/// @brief HMAC-SHA256 (RFC 2104) with OpenSSL's libcrypto, loaded when first used like
/// chapter 10's digests: what signs the registry's tokens.
#pragma once

#include <string>
#include <string_view>

namespace dockling::ch12 {

/// The 32 bytes of HMAC-SHA256 of `data` under `key`.
/// @throws Error when libcrypto cannot be loaded or fails.
std::string hmac_sha256(std::string_view key, std::string_view data);

/// True when `a` and `b` are equal, in a time that depends on their length only: comparing a
/// signature or a password hash byte by byte with an early exit tells an attacker how many
/// leading bytes they guessed right.
bool equal_in_constant_time(std::string_view a, std::string_view b);

}  // namespace dockling::ch12
