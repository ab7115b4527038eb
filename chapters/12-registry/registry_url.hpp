/// @file registry_url.hpp
/// @brief Where an image reference's registry is and how to reach it: docker's rules (Docker
/// Hub's name docker.io is served at registry-1.docker.io; plain http for localhost,
/// 127.0.0.0/8 and the hosts given as insecure, https otherwise), and the URLs of the
/// distribution API's endpoints.
#pragma once

#include <string>
#include <vector>

#include "reference.hpp"

namespace dockling::ch12 {

/// One repository of one registry, as the client speaks to it.
struct RegistryRepository {
  std::string domain;      ///< the registry as the reference names it: "127.0.0.1:5000", "docker.io"
  std::string base_url;    ///< scheme and authority: "http://127.0.0.1:5000", "https://registry-1.docker.io"
  std::string repository;  ///< the repository's path: "busybox", "library/busybox"

  /// BASE/v2/REPOSITORY/manifests/REFERENCE (a tag or a digest).
  std::string manifest_url(const std::string& reference) const;
  /// BASE/v2/REPOSITORY/blobs/DIGEST.
  std::string blob_url(const std::string& digest) const;
  /// BASE/v2/REPOSITORY/blobs/uploads/ (POST starts an upload).
  std::string uploads_url() const;
  /// A Location header's URL made absolute: a path is taken relative to base_url.
  std::string absolute(const std::string& location) const;
};

/// True when `domain` ("HOST[:PORT]") is spoken to over plain http: localhost, an address of
/// 127.0.0.0/8 or ::1, or one of `insecure` (HOST[:PORT], or HOST for every port).
bool is_plain_http(const std::string& domain, const std::vector<std::string>& insecure);

/// The repository `reference` names, and how to reach its registry.
RegistryRepository registry_repository(const ch10::Reference& reference, const std::vector<std::string>& insecure);

/// The repository of a Docker Hub reference on a mirror, "http://HOST:PORT" or "HOST:PORT"
/// (https then): a mirror serves Hub's repositories under their own paths (library/busybox).
/// @throws Error naming the mirror when it is not such a URL.
RegistryRepository mirror_repository(const std::string& mirror, const ch10::Reference& reference);

/// `url` with the query parameter NAME=VALUE added (after '?' or '&'), VALUE percent-encoded.
std::string with_query(const std::string& url, const std::string& name, const std::string& value);

}  // namespace dockling::ch12
