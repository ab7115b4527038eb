/// @file registry_token.hpp
/// @brief The registry's bearer tokens, as the token flow of Docker Hub hands them out: a JSON
/// web token (RFC 7519) signed with HMAC-SHA256 ("HS256"), whose claims say who it is for
/// (sub), which registry (aud), until when (exp) and what it allows (access: the resources
/// and actions of the scopes asked for, as far as the user may have them).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dockling/error.hpp"

namespace dockling::ch12 {

/// One resource and what may be done to it: a scope "repository:busybox:pull,push" parsed,
/// or an entry of a token's access claim.
struct ResourceAccess {
  std::string type;                  ///< "repository", or "registry" (for the catalog)
  std::string name;                  ///< "busybox", "library/app", or "catalog"
  std::vector<std::string> actions;  ///< "pull", "push", "delete", "*"

  /// True when `actions` holds `action` (or "*").
  bool allows(std::string_view action) const;
  /// "type:name:a,b", as a scope is written.
  std::string scope() const;
};

/// A scope "TYPE:NAME:ACTIONS" (the name may hold ':', e.g. a port); nullopt when malformed.
std::optional<ResourceAccess> parse_scope(std::string_view scope);

/// What a token says.
struct TokenClaims {
  std::string subject;                ///< the user it was issued to
  std::string audience;               ///< the service (registry) it is for
  std::int64_t issued_at = 0;         ///< seconds since the epoch
  std::int64_t expires_at = 0;        ///< seconds since the epoch; refused from then on
  std::vector<ResourceAccess> access; ///< what it allows
};

/// A token the registry will not take: the reason says why (for the log, not the client).
class TokenRefused : public Error {
 public:
  using Error::Error;
};

/// Signs and checks tokens with one key.
class TokenSigner {
 public:
  /// Tokens signed with `key` (at least 32 bytes), issued by `issuer`.
  TokenSigner(std::string key, std::string issuer);

  /// The token "HEADER.CLAIMS.SIGNATURE" (each base64url) for `claims`.
  std::string sign(const TokenClaims& claims) const;
  /// The claims of `token` when its signature is ours, its algorithm HS256, its issuer ours,
  /// its audience `audience` and it has not expired at `now` (seconds since the epoch).
  /// @throws TokenRefused saying which check failed.
  TokenClaims verify(std::string_view token, std::string_view audience, std::int64_t now) const;

 private:
  std::string key_;
  std::string issuer_;
};

}  // namespace dockling::ch12
