/// @file builder.hpp
/// @brief `build`: a Dockerfile's stages turned into an image of the store, step by step, each
/// step's result kept in the build cache.
#pragma once

#include <string>
#include <vector>

#include "build.hpp"
#include "dockling/state.hpp"

namespace dockling::ch11 {

/// What `build` was told.
struct BuildOptions {
  std::string context;                ///< CONTEXT: the directory COPY reads from
  std::string dockerfile;             ///< -f; "" is CONTEXT/Dockerfile, "-" standard input
  std::vector<std::string> tags;      ///< -t NAME[:TAG], each
  Variables build_args;               ///< --build-arg NAME=VALUE
  std::string target;                 ///< --target STAGE; "" the last stage
  std::string network = "default";    ///< --network: default (the bridge), none, host
  bool no_cache = false;              ///< --no-cache
  bool quiet = false;                 ///< -q: no progress, the id on stdout
  std::string program = "ch11-build"; ///< the binary's name, for RUN's containers and messages
};

/// Builds the image `options` describes, printing BuildKit's compact progress to stderr
/// (nothing with `quiet`), and tags it with every -t name.
/// @returns the image id ("sha256:…").
/// @throws ParseError (the Dockerfile's line) or Error naming the Dockerfile's line and what
///   failed; the store keeps nothing of a build that failed but the steps that finished (the
///   cache), as docker does.
std::string build_image(const StateRoot& root, const BuildOptions& options);

}  // namespace dockling::ch11
