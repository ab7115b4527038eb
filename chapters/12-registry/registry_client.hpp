/// @file registry_client.hpp
/// @brief The distribution API's calls a pull and a push make, on one repository of one
/// registry: manifests by tag or digest, blobs (HEAD, GET streamed), blob uploads (POST, PATCH
/// streamed, PUT closing with the digest). A registry's refusal comes back as RegistryError
/// with the spec's error codes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "dockling/error.hpp"
#include "registry_auth.hpp"
#include "registry_http.hpp"
#include "registry_url.hpp"

namespace dockling::ch12 {

/// Media types of manifests and indexes, OCI's and Docker's.
namespace manifest_type {
inline constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";  ///< OCI image manifest
inline constexpr const char* kOciIndex = "application/vnd.oci.image.index.v1+json";        ///< OCI image index
inline constexpr const char* kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";  ///< Docker's
inline constexpr const char* kDockerList = "application/vnd.docker.distribution.manifest.list.v2+json";  ///< Docker's index
}  // namespace manifest_type

/// One entry of the spec's error body: {"errors": [{"code", "message", "detail"}]}.
struct RegistryErrorEntry {
  std::string code;     ///< e.g. "MANIFEST_UNKNOWN"
  std::string message;  ///< e.g. "manifest unknown"
};

/// A registry answered with an error status.
class RegistryError : public Error {
 public:
  /// @param what the operation and what it was on ("pushing blob sha256:… to 127.0.0.1:5000/app")
  /// @param status the HTTP status
  /// @param errors the spec's error entries of the body (may be empty)
  RegistryError(const std::string& what, long status, std::vector<RegistryErrorEntry> errors);
  /// The HTTP status.
  long status() const noexcept { return status_; }
  /// True when one of the entries has `code`.
  bool has_code(std::string_view code) const;
  /// The entries as docker prints them: "manifest unknown: manifest unknown" (the code in
  /// lowercase words, then the message), several joined by "; ".
  std::string reason() const { return reason_; }

 private:
  long status_;
  std::vector<RegistryErrorEntry> errors_;
  std::string reason_;
};

/// The entries of an error body; empty when it is not the spec's JSON.
std::vector<RegistryErrorEntry> parse_registry_errors(std::string_view body);

/// A manifest or index as the registry sent it.
struct FetchedManifest {
  std::string media_type;  ///< its mediaType (from the body, else Content-Type)
  std::string data;        ///< the bytes, unchanged: their sha256 is the digest
  std::string digest;      ///< "sha256:<hex>" of data
};

/// The calls of pull and push on one repository.
class RegistryClient {
 public:
  /// A client of `repository` with a session of its own; `credentials` answer the registry's
  /// 401s (HTTP Basic, or for the Bearer token of a token server).
  explicit RegistryClient(RegistryRepository repository, std::optional<Credentials> credentials = std::nullopt)
      : repo_(std::move(repository)), credentials_(std::move(credentials)) {}

  /// The repository spoken to.
  const RegistryRepository& repository() const noexcept { return repo_; }

  /// GET of the manifest `reference` (a tag or a digest), accepting OCI and Docker manifests
  /// and indexes. Checked against the digest when `reference` is one, and against the
  /// registry's Docker-Content-Digest when it sent one.
  /// @throws RegistryError (MANIFEST_UNKNOWN, NAME_UNKNOWN …), Error for a digest mismatch.
  FetchedManifest get_manifest(const std::string& reference);

  /// HEAD of a blob. @returns true when the registry has it. @throws RegistryError for an
  /// answer other than 200 and 404.
  bool has_blob(const std::string& digest);

  /// GET of a blob, its bytes given to `sink` as they arrive (it checks them).
  /// @throws RegistryError, or what `sink` throws.
  void fetch_blob(const std::string& digest, const BodySink& sink);

  /// Uploads `size` bytes read from `fd` as the blob `digest`: POST starts a session, PATCH
  /// streams the bytes, PUT ?digest= closes it (the registry checks the digest).
  /// With `mount_from` (another repository of this registry that has the blob), the POST
  /// asks for a cross-repository mount first (?mount=DIGEST&from=REPO): 201 means the registry
  /// linked it and nothing is sent; 202 means it could not, and the upload goes on in the
  /// session it opened. With a token server, the tokens asked from then on cover pulling
  /// from `mount_from` too, as docker's do.
  /// @returns true when the blob was mounted rather than sent.
  /// @throws RegistryError naming the blob.
  bool upload_blob(const std::string& digest, int fd, std::int64_t size, const std::string& mount_from = "");

  /// PUT of a manifest under `reference` (a tag or its digest), bytes unchanged.
  /// @returns the digest the registry says it stored (Docker-Content-Digest), empty if none.
  /// @throws RegistryError (MANIFEST_INVALID, MANIFEST_BLOB_UNKNOWN …).
  std::string put_manifest(const std::string& reference, const std::string& media_type, const std::string& data);

  /// GET BASE/v1/search?q=TERM&n=LIMIT, docker's search (the repository is not used).
  /// @returns the answer's JSON. @throws RegistryError when the registry refuses, Error when
  /// the answer is not JSON.
  nlohmann::json search(const std::string& term, int limit);

  /// GET BASE/v2/ with the credentials (what `login` checks; the repository is not used).
  /// @throws Error in docker's words: "login attempt to BASE/v2/ failed with status: 401
  /// Unauthorized", or "Get \"BASE/v2/\": unauthorized: …" when a token server refused.
  void check_login();

 private:
  /// Sends a request; the one place for what every request carries. A 401 is answered once:
  /// with HTTP Basic, or a Bearer token fetched from the realm of the challenge, and the
  /// request sent again (a body from a file read again from where it started). The
  /// Authorization found is kept for the next requests.
  /// @throws Error "Get \"URL\": no basic auth credentials" when Basic is asked and there
  /// are none; RegistryError when the token server refuses.
  HttpResponse send(HttpRequest request, const BodySink& sink = nullptr);
  /// The Authorization value that answers the challenges of `response` (a 401 to `request`),
  /// empty when none can.
  std::string answer_challenge(const HttpResponse& response, const HttpRequest& request);
  /// GET of a Bearer token from the challenge's realm (?service=&scope=, Basic when there
  /// are credentials): the JSON's "token" or "access_token".
  std::string fetch_token(const AuthChallenge& challenge);
  /// Throws RegistryError for `response` unless its status is one of `expected`.
  static void expect(const HttpResponse& response, std::initializer_list<long> expected, const std::string& what);

  RegistryRepository repo_;
  std::optional<Credentials> credentials_;
  std::string authorization_;  ///< the Authorization value the last 401 asked for; empty at first
  /// Scopes asked of a token server beside the challenge's: a mount's source repository
  /// ("repository:a:pull"), which the registry's challenge for the target does not name.
  std::vector<std::string> extra_scopes_;
  HttpSession session_;
};

}  // namespace dockling::ch12
