/// @file image_transfer.hpp
/// @brief Images that travel through the daemon: `docker pull` (POST /images/create with
/// fromImage), `docker import` (fromSrc=-: the tarball is the request's body) and `docker push`
/// (POST /images/NAME/push), each answered with docker's stream of JSON progress messages made
/// from the lines chapter 12's client prints.
#pragma once

#include <string>
#include <vector>

#include "dockling/state.hpp"
#include "http_server.hpp"

namespace dockling::ch14 {

/// The daemon's registry settings: dockerd's --registry-mirror and --insecure-registry.
struct RegistrySettings {
  std::vector<std::string> mirrors;   ///< "http://HOST:PORT": asked first for Docker Hub's images
  std::vector<std::string> insecure;  ///< HOST[:PORT] spoken to over plain http
};

/// POST /images/create: a pull (fromImage, tag) or an import (fromSrc=-, repo, tag, message).
ch12::http::Response create_image(const StateRoot& root, ch12::http::Request& request, const RegistrySettings& registry);
/// POST /images/NAME/push?tag=TAG.
ch12::http::Response push_image(const StateRoot& root, ch12::http::Request& request, const std::string& name,
                                const RegistrySettings& registry);

}  // namespace dockling::ch14
