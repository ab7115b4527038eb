/// @file registry_auth.hpp
/// @brief What a registry's 401 asks for and what the client answers: the challenges of a
/// WWW-Authenticate header (RFC 7235: `Basic realm="…"`, `Bearer realm="…",service="…",scope="…"`),
/// a user's credentials, and the Authorization values made of them (HTTP Basic is
/// base64 of "user:password").
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace dockling::ch12 {

/// One challenge: an auth scheme and its parameters.
struct AuthChallenge {
  std::string scheme;                         ///< lowercase: "basic", "bearer"
  std::map<std::string, std::string> params;  ///< names lowercase, values unquoted

  /// The parameter `name` (lowercase), empty when absent.
  std::string param(const std::string& name) const;
};

/// The challenges of one WWW-Authenticate value, in order. A value may hold several
/// (`Basic realm="a", Bearer realm="b"`); a parameter's value is a token or a quoted string
/// (with `\` escapes), and commas inside quotes belong to the value (scopes hold them:
/// `scope="repository:app:pull,push"`). Malformed parts are skipped, never thrown.
std::vector<AuthChallenge> parse_www_authenticate(std::string_view value);

/// A user's credentials for one registry.
struct Credentials {
  std::string username;  ///< the user
  std::string password;  ///< the password (or a token a registry accepts as one)
};

/// "Basic " + base64("user:password"): the Authorization value of HTTP Basic.
std::string basic_authorization(const Credentials& credentials);

}  // namespace dockling::ch12
