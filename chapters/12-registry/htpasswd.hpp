/// @file htpasswd.hpp
/// @brief An htpasswd file as docker-registry reads it: `user:HASH` lines, HASH a bcrypt hash
/// ($2y$, $2b$ or $2a$, as `htpasswd -B` writes), checked with libxcrypt's crypt_rn.
#pragma once

#include <filesystem>
#include <map>
#include <string>

namespace dockling::ch12 {

/// The users of an htpasswd file and their password hashes.
class Htpasswd {
 public:
  /// Reads `path`. Blank lines and lines starting with '#' are skipped.
  /// @throws Error naming the file and the line when a line is not `user:bcrypt-hash`.
  explicit Htpasswd(const std::filesystem::path& path);

  /// True when `user` is in the file.
  bool has_user(const std::string& user) const { return hashes_.contains(user); }
  /// True when `password` is `user`'s (false for an unknown user).
  bool verify(const std::string& user, const std::string& password) const;

 private:
  std::map<std::string, std::string> hashes_;
};

}  // namespace dockling::ch12
