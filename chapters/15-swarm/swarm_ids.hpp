/// @file swarm_ids.hpp
/// @brief Names a swarm hands out: object ids, secrets, and join tokens.
#pragma once

#include <cstddef>
#include <string>

namespace dockling::ch15 {

/// A new random id of 25 lower-case base-36 characters, as swarmkit's ("ynnnh6u7s6s6zbqo22xy8qn2s").
std::string new_id();
/// `length` random lower-case base-36 characters (from getrandom): secrets and keys.
std::string new_secret(std::size_t length);

/// A join token and what it carries.
struct JoinToken {
  std::string cluster;  ///< the swarm's part (50 characters): which swarm the token is for
  std::string secret;   ///< the role's secret (25 characters): what the manager checks
};

/// "SWMTKN-1-<cluster>-<secret>", docker's token format.
std::string format_token(const JoinToken& token);
/// Reads a token. @throws Error (400) "invalid join token" when it is not one.
JoinToken parse_token(const std::string& text);

/// The stored form of a secret: sha256 of it, hex. A store that leaks gives no working token.
std::string secret_hash(const std::string& secret);

}  // namespace dockling::ch15
