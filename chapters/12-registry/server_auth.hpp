/// @file server_auth.hpp
/// @brief Who may use the registry, in one of two ways:
///
/// - HTTP Basic (`--htpasswd FILE`): every request carries a user and password of the file.
/// - Tokens (`--htpasswd FILE --token-issuer`), the flow of Docker Hub: a request without a
///   token gets 401 and a `WWW-Authenticate: Bearer realm=…,service=…,scope=…` challenge; the
///   client asks GET /token?service=…&scope=… with the user's Basic credentials and retries
///   with `Authorization: Bearer TOKEN`, a signed token (registry_token.hpp) that lists what
///   it allows and expires after --token-ttl seconds.
///
/// Every user of the file may pull every repository and read the catalog; pushing (and
/// deleting) is for every user but those named by `--read-only-users a,b`. A request that
/// a user may never make is DENIED (403); a token that lacks a scope its user could have gets
/// a new challenge (401), so the client asks for a better one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "htpasswd.hpp"
#include "http_server.hpp"
#include "registry_token.hpp"

namespace dockling::ch12 {

/// The auth options of `registry serve`.
struct AuthOptions {
  std::filesystem::path htpasswd;           ///< --htpasswd: empty turns auth off
  std::vector<std::string> read_only_users; ///< --read-only-users: they pull, never push
  bool token_issuer = false;                ///< --token-issuer: bearer tokens from GET /token
  std::filesystem::path token_key;          ///< --token-key: the signing key's file (else random)
  std::int64_t token_ttl = 300;             ///< --token-ttl: seconds a token lives
  std::string service = "dockling-registry";  ///< the service tokens are for, and Basic's realm
};

/// What the client of one request may do.
class Grant {
 public:
  /// Everything (auth is off).
  Grant() = default;
  /// What `allows` says.
  Grant(std::string user, std::function<bool(const ResourceAccess&)> allows)
      : user_(std::move(user)), allows_(std::move(allows)) {}
  /// The user; empty when auth is off.
  const std::string& user() const { return user_; }
  /// True when every action of `access` is allowed.
  bool allows(const ResourceAccess& access) const { return !allows_ || allows_(access); }

 private:
  std::string user_;
  std::function<bool(const ResourceAccess&)> allows_;
};

/// Checks requests against an htpasswd file and (with tokens) hands tokens out.
class ServerAuth {
 public:
  /// Writes one line to the server's log.
  using Log = std::function<void(const std::string&)>;

  /// Reads the htpasswd file and the token key (or makes a random one).
  /// @throws Error naming a file that cannot be read or is malformed.
  ServerAuth(const AuthOptions& options, Log log);

  /// True when tokens are on: GET /token answers, /v2/ wants Bearer.
  bool issues_tokens() const { return signer_.has_value(); }
  /// Who sent `request` and what they may do, when they may do all of `needed` (nothing:
  /// any user). @throws ApiError UNAUTHORIZED (401, with the challenge) or DENIED (403).
  Grant authorize(const http::Request& request, const std::vector<ResourceAccess>& needed) const;
  /// GET /token: a token for the scopes asked, as far as the user may have them.
  /// @throws ApiError UNAUTHORIZED when the Basic credentials are missing or wrong.
  http::Response issue_token(const http::Request& request) const;

 private:
  /// The user whose Basic credentials `request` carries; nullopt when none or wrong (logged).
  std::optional<std::string> basic_user(const http::Request& request) const;
  /// Of `wanted`, the actions `user` may have.
  ResourceAccess permitted(const std::string& user, const ResourceAccess& wanted) const;
  /// True when `user` may do every action of `access`.
  bool may(const std::string& user, const ResourceAccess& access) const;
  /// 401 with the challenge for `needed` (Basic, or Bearer with `error` when not empty).
  [[noreturn]] void challenge(const http::Request& request, const std::vector<ResourceAccess>& needed,
                              const std::string& message, const std::string& error = "") const;

  AuthOptions options_;
  Htpasswd users_;
  std::set<std::string> read_only_;
  std::optional<TokenSigner> signer_;
  Log log_;
};

}  // namespace dockling::ch12
