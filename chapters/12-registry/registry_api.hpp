/// @file registry_api.hpp
/// @brief The distribution API's routes (/v2/...) and their handlers, on top of
/// RegistryStorage: what each request may do, and the statuses and headers it answers.
#pragma once

#include <string>

#include "http_server.hpp"
#include "server_auth.hpp"
#include "registry_storage.hpp"

namespace dockling::ch12 {

/// What the API allows.
struct ApiOptions {
  bool allow_delete = true;  ///< DELETE of blobs and manifests (405 UNSUPPORTED when false)
  std::size_t max_manifest_bytes = 8 * 1024 * 1024;  ///< a larger manifest gets 413
};

/// Answers the distribution API's requests.
class RegistryApi {
 public:
  /// Serves what `storage` holds; to the users `auth` lets in, when it is not null.
  RegistryApi(RegistryStorage& storage, ApiOptions options, const ServerAuth* auth = nullptr)
      : storage_(storage), options_(options), auth_(auth) {}

  /// Answers one request (every answer carries Docker-Distribution-Api-Version): the /v2/
  /// API, GET /token when tokens are on, and docker's GET /v1/search.
  http::Response handle(http::Request& request);

 private:
  http::Response route(http::Request& request);
  /// What the client may do, when it may do `needed` (everything when auth is off).
  Grant authorize(const http::Request& request, const std::vector<ResourceAccess>& needed) const;
  http::Response search(const http::Request& request);
  http::Response catalog(const http::Request& request);
  http::Response tags_list(const http::Request& request, const std::string& name);
  http::Response manifest(http::Request& request, const std::string& name, const std::string& reference);
  http::Response put_manifest(http::Request& request, const std::string& name, const std::string& reference);
  http::Response referrers(const http::Request& request, const std::string& name, const std::string& subject);
  http::Response blob(http::Request& request, const std::string& name, const std::string& digest);
  http::Response start_upload(http::Request& request, const std::string& name, const Grant& grant);
  http::Response upload(http::Request& request, const std::string& name, const std::string& uuid);

  RegistryStorage& storage_;
  ApiOptions options_;
  const ServerAuth* auth_;
};

}  // namespace dockling::ch12
