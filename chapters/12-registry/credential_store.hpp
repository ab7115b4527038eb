/// @file credential_store.hpp
/// @brief Where `login` keeps credentials: DIR/config.json in docker's shape,
/// `{"auths": {"127.0.0.1:5000": {"auth": "<base64 of user:password>"}}}`, mode 0600 (it holds
/// passwords in the clear, as docker's does without a credential helper). DIR is --config,
/// else $DOCKLING_CONFIG, else ~/.dockling.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "registry_auth.hpp"

namespace dockling::ch12 {

/// The directory of config.json: `flag` when not empty, else $DOCKLING_CONFIG, else
/// $HOME/.dockling (the user database's home when HOME is unset).
std::filesystem::path config_dir(const std::string& flag);

/// The key a registry's credentials are kept under: its domain ("127.0.0.1:5000"), and for
/// Docker Hub docker's "https://index.docker.io/v1/".
std::string credentials_key(const std::string& domain);

/// DIR/config.json: read on each call, written whole (atomically, mode 0600); what else it
/// holds is kept.
class CredentialStore {
 public:
  /// The store of directory `dir` (created, mode 0700, when first written).
  explicit CredentialStore(std::filesystem::path dir) : dir_(std::move(dir)) {}

  /// The file: DIR/config.json.
  std::filesystem::path file() const { return dir_ / "config.json"; }

  /// The credentials kept for `domain`, if any.
  /// @throws Error when the file is not JSON or its entry not base64 of "user:password".
  std::optional<Credentials> find(const std::string& domain) const;
  /// Keeps `credentials` for `domain`, replacing what was there.
  void put(const std::string& domain, const Credentials& credentials);
  /// Removes the entry of `domain`. @returns true when there was one.
  bool erase(const std::string& domain);

 private:
  std::filesystem::path dir_;
};

}  // namespace dockling::ch12
