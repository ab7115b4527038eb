/// @file registry_server.hpp
/// @brief `registry serve`: the OCI distribution API (v2) over HTTP/1.1, blobs stored once by
/// digest under --root.
#pragma once

#include <filesystem>
#include <string>

#include "server_auth.hpp"

namespace dockling::ch12 {

/// What `registry serve` was asked for.
struct ServeOptions {
  std::string addr = "127.0.0.1:5000";  ///< HOST:PORT (PORT 0 lets the kernel pick one) or unix:PATH
  std::filesystem::path root;           ///< blobs, repositories and upload sessions
  bool no_delete = false;               ///< --no-delete: DELETE answers 405
  AuthOptions auth;                     ///< --htpasswd and the token options (server_auth.hpp)
};

/// Listens on options.addr (HOST:PORT, or unix:PATH) and serves until SIGINT or SIGTERM. Once it listens it prints
/// "listening on HOST:PORT" (the port it got) on stdout, flushed: tests and scripts wait for it.
/// @returns the exit code (0 after a signal).
/// @throws Error when the address is malformed or cannot be bound, naming it, or when the
/// auth options are wrong (--token-issuer without --htpasswd, a file that cannot be read).
int serve_registry(const ServeOptions& options);

}  // namespace dockling::ch12
