/// @file login.hpp
/// @brief `login [SERVER]` and `logout [SERVER]`: credentials checked against the registry
/// (GET /v2/) and kept in config.json (credential_store.hpp), with docker's flags and words.
#pragma once

#include <string>
#include <vector>

namespace dockling::ch12 {

/// The flags of `login` and `logout`.
struct LoginOptions {
  std::string server;                            ///< SERVER: "127.0.0.1:5000" ("": Docker Hub)
  std::string username;                          ///< -u
  std::string password;                          ///< -p
  bool password_stdin = false;                   ///< --password-stdin
  std::string config_dir;                        ///< --config
  std::vector<std::string> insecure_registries;  ///< HOST[:PORT] spoken to over plain http
};

/// The registry a SERVER argument names, as docker keys it: its host and port, without a
/// scheme or a path ("http://127.0.0.1:5000/v2/" → "127.0.0.1:5000"); "" is Docker Hub.
std::string login_server(const std::string& server);

/// `login`: the credentials (flags, --password-stdin, the ones kept already, or asked on the
/// terminal) checked with GET /v2/, then kept. Prints "Login Succeeded".
/// @returns the exit code. @throws Error in docker's words ("login attempt to URL failed with
/// status: 401 Unauthorized", "Must provide --username with --password-stdin", …).
int login(const LoginOptions& options);

/// `logout`: the kept credentials of the server removed. Prints "Removing login credentials
/// for SERVER" (also when there were none, as docker 20.10 does).
/// @returns the exit code.
int logout(const LoginOptions& options);

}  // namespace dockling::ch12
