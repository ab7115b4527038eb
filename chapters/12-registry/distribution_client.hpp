/// @file distribution_client.hpp
/// @brief `pull` and `push`: chapter 10's image store on one side, a registry's distribution
/// API on the other.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "dockling/state.hpp"

namespace dockling::ch12 {

/// Flags the client's commands share.
struct ClientOptions {
  bool quiet = false;                            ///< -q: only the final line
  std::vector<std::string> insecure_registries;  ///< HOST[:PORT] spoken to over plain http
  std::ostream* out = nullptr;                   ///< where the lines go; nullptr: stdout
  bool name_line = true;  ///< pull's last line, the full reference (`docker pull` prints it, `run` does not)
  std::string config_dir;  ///< --config: where config.json keeps logins ("": DOCKLING_CONFIG, else ~/.dockling)
  /// docker's --registry-mirror: registries ("http://HOST:PORT") that pull asks first for
  /// Docker Hub's images (docker.io/...), in order, before Docker Hub itself.
  std::vector<std::string> registry_mirrors;
};

/// `pull NAME[:TAG|@DIGEST]`: the manifest (for this platform, from an index), the config and
/// the layers into the store of `root`, then the name pointed at it. Prints docker's lines.
/// @returns the exit code.
int pull_image(const StateRoot& root, const std::string& reference, const ClientOptions& options);

/// `push NAME[:TAG]`: the image's blobs the registry lacks, then its manifest under the tag.
/// @returns the exit code.
int push_image(const StateRoot& root, const std::string& reference, const ClientOptions& options);

}  // namespace dockling::ch12
