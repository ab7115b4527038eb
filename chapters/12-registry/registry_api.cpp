#include "registry_api.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <cstdint>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "digest.hpp"
#include "dockling/text.hpp"
#include "registry_errors.hpp"
#include "registry_manifests.hpp"
#include "registry_names.hpp"

namespace dockling::ch12 {

namespace {

constexpr std::string_view kApiVersion = "registry/2.0";

void check_name(const std::string& name) {
  if (!is_repository_name(name)) throw ApiError("NAME_INVALID", "invalid repository name", name);
}

/// A digest in a path or a query: sha256 only (the store keeps nothing else).
void check_digest(const std::string& digest) {
  if (!ch10::is_sha256_digest(digest))
    throw ApiError("DIGEST_INVALID", "provided digest is not sha256:<64 lowercase hex>", digest);
}

void check_repository(RegistryStorage& storage, const std::string& name) {
  if (!storage.repository_exists(name)) throw ApiError("NAME_UNKNOWN", "repository name not known to registry", name);
}

http::Response empty(int status) {
  http::Response response;
  response.status = status;
  return response;
}

std::string upload_location(const std::string& name, const std::string& uuid) {
  return "/v2/" + name + "/blobs/uploads/" + uuid;
}

/// "0-<last byte>", as registries say it ("0-0" before the first byte too).
std::string upload_range(std::uint64_t size) { return fmt::format("0-{}", size == 0 ? 0 : size - 1); }

/// The headers that tell a client where a session stands.
void add_upload_headers(http::Headers& headers, const BlobUpload& upload) {
  headers.set("Location", upload_location(upload.name(), upload.uuid()));
  headers.set("Range", upload_range(upload.size()));
  headers.set("Docker-Upload-UUID", upload.uuid());
}

std::optional<std::uint64_t> parse_number(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

/// `n` and `last` of a listing: the page after `last`, at most n entries, and the Link to the
/// next page when entries remain.
http::Response paginate(const http::Request& request, std::vector<std::string> items, const std::string& path,
                        nlohmann::json body, const char* field) {
  std::optional<std::string> last = request.query_param("last");
  std::optional<std::string> n_text = request.query_param("n");
  std::optional<std::uint64_t> n;
  if (n_text) {
    n = parse_number(*n_text);
    if (!n) throw ApiError(400, {{"UNSUPPORTED", "n is not a number of results", *n_text}});
  }
  auto begin = items.begin();
  if (last) begin = std::upper_bound(items.begin(), items.end(), *last);
  auto end = items.end();
  bool more = false;
  if (n && static_cast<std::uint64_t>(end - begin) > *n) {
    end = begin + static_cast<std::ptrdiff_t>(*n);
    more = *n > 0;
  }
  body[field] = std::vector<std::string>(begin, end);
  http::Response response = http::Response::text(200, body.dump() + "\n", "application/json; charset=utf-8");
  if (more) response.headers.add("Link", fmt::format("<{}?n={}&last={}>; rel=\"next\"", path, *n, *(end - 1)));
  return response;
}

/// A Range header's one range over a blob of `size` bytes: nullopt when there is none (or it
/// is not in bytes). @throws ApiError RANGE_INVALID (416) when it cannot be satisfied.
std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_range(const std::optional<std::string>& header, std::uint64_t size) {
  if (!header || !header->starts_with("bytes=")) return std::nullopt;
  std::string_view spec = std::string_view(*header).substr(6);
  auto unsatisfiable = [&] {
    ApiError error("RANGE_INVALID", "requested range not satisfiable", *header);
    error.headers.add("Content-Range", fmt::format("bytes */{}", size));
    return error;
  };
  std::size_t dash = spec.find('-');
  if (dash == std::string_view::npos || spec.find(',') != std::string_view::npos) throw unsatisfiable();
  std::optional<std::uint64_t> first = parse_number(spec.substr(0, dash));
  std::optional<std::uint64_t> last = parse_number(spec.substr(dash + 1));
  if (dash == 0) {  // "-N": the last N bytes
    if (!last || *last == 0 || size == 0) throw unsatisfiable();
    return std::pair(size - std::min(*last, size), size - 1);
  }
  if (!first || (dash + 1 < spec.size() && !last)) throw unsatisfiable();
  if (*first >= size || (last && *last < *first)) throw unsatisfiable();
  return std::pair(*first, std::min(last.value_or(size - 1), size - 1));
}

/// A PATCH or PUT's Content-Range "a-b": where its chunk starts and how long it is.
/// @throws ApiError RANGE_INVALID when malformed or not where the session stands (416, with
/// the headers that say where it does).
std::optional<std::uint64_t> check_content_range(const http::Request& request, const BlobUpload& upload) {
  std::optional<std::string> header = request.headers.get("Content-Range");
  if (!header) return std::nullopt;
  std::string_view text = *header;
  if (text.starts_with("bytes ")) text.remove_prefix(6);  // the HTTP form, which some clients send
  if (text.starts_with("bytes=")) text.remove_prefix(6);
  std::size_t dash = text.find('-');
  std::optional<std::uint64_t> first = dash == std::string_view::npos ? std::nullopt : parse_number(text.substr(0, dash));
  std::optional<std::uint64_t> last = dash == std::string_view::npos ? std::nullopt : parse_number(text.substr(dash + 1));
  auto refuse = [&](const std::string& why) {
    ApiError error("RANGE_INVALID", why, *header);
    add_upload_headers(error.headers, upload);
    return error;
  };
  if (!first || !last || *last < *first) throw refuse("Content-Range is not a-b");
  if (*first != upload.size())
    throw refuse(fmt::format("chunk starts at {}, the upload holds {} bytes", *first, upload.size()));
  std::uint64_t length = *last - *first + 1;
  std::optional<std::uint64_t> declared = request.body.declared_length();
  if (declared && *declared != length)
    throw ApiError("SIZE_INVALID", fmt::format("Content-Range is {} bytes, Content-Length {}", length, *declared), *header);
  return length;
}

/// Appends the request's body to the session; with a Content-Range, exactly its length.
void append_body(http::Request& request, BlobUpload& upload, std::optional<std::uint64_t> chunk_length) {
  std::uint64_t start = upload.size();
  try {
    // With a Content-Range, one byte past its length is enough to know the chunk is too long.
    std::uint64_t allowed = chunk_length ? *chunk_length + 1 : UINT64_MAX;
    std::uint64_t taken = 0;
    std::uint64_t appended = upload.append([&](char* buffer, std::size_t size) {
      std::size_t got = request.body.read(buffer, static_cast<std::size_t>(std::min<std::uint64_t>(size, allowed - taken)));
      taken += got;
      return got;
    });
    if (chunk_length && appended != *chunk_length) {
      upload.truncate(start);
      throw ApiError("SIZE_INVALID", fmt::format("the chunk has {} bytes, Content-Range said {}", appended, *chunk_length));
    }
  } catch (const http::ConnectionLost&) {
    if (chunk_length) upload.truncate(start);  // half a chunk is no chunk
    throw;
  } catch (const http::ProtocolError&) {
    if (chunk_length) upload.truncate(start);
    throw;
  }
}

/// Ends an upload (a monolithic POST or the closing PUT): stored as `digest` when its bytes hash
/// to it, else DIGEST_INVALID (the storage stores nothing then).
http::Response finish_upload(RegistryStorage& storage, BlobUpload& upload, const std::string& name,
                             const std::string& digest) {
  std::string actual = storage.finish_upload(upload, digest);
  if (actual != digest)
    throw ApiError("DIGEST_INVALID", "provided digest did not match uploaded content",
                   nlohmann::json{{"expected", digest}, {"actual", actual}});
  http::Response response = empty(201);
  response.headers.add("Location", "/v2/" + name + "/blobs/" + digest);
  response.headers.add("Docker-Content-Digest", digest);
  return response;
}

}  // namespace

http::Response RegistryApi::handle(http::Request& request) {
  http::Response response;
  try {
    response = route(request);
  } catch (const ApiError& error) {
    response = error_response(error);
  }
  response.headers.set("Docker-Distribution-Api-Version", std::string(kApiVersion));
  return response;
}

Grant RegistryApi::authorize(const http::Request& request, const std::vector<ResourceAccess>& needed) const {
  return auth_ ? auth_->authorize(request, needed) : Grant();
}

http::Response RegistryApi::route(http::Request& request) {
  const std::string& path = request.path;
  if (path == "/token" && auth_ && auth_->issues_tokens()) return auth_->issue_token(request);
  if (path == "/v1/search") {
    if (request.method != "GET") throw ApiError("UNSUPPORTED", "method " + request.method + " not allowed on " + path);
    authorize(request, {{"registry", "catalog", {"*"}}});
    return search(request);
  }
  if (!path.starts_with("/v2/") && path != "/v2")
    throw ApiError(404, {{"UNSUPPORTED", "no such endpoint", path}});
  // A path with "." or ".." segments never names anything here.
  for (std::size_t at = 0; at != std::string::npos;) {
    std::size_t next = path.find('/', at + 1);
    std::string_view segment = std::string_view(path).substr(at + 1, next == std::string::npos ? std::string::npos : next - at - 1);
    if (segment == ".." || segment == ".") throw ApiError("NAME_INVALID", "path holds '.' or '..'", path);
    at = next;
  }
  const std::string& method = request.method;
  std::string rest = path.size() > 4 ? path.substr(4) : "";
  auto only = [&](std::initializer_list<std::string_view> methods) {
    if (std::find(methods.begin(), methods.end(), method) == methods.end())
      throw ApiError("UNSUPPORTED", "method " + method + " not allowed on " + path);
  };

  // Reads need pull; writes push (and pull, as docker's challenges say); deletes delete.
  auto repository = [&](const std::string& name, std::vector<std::string> actions) {
    return authorize(request, {{"repository", name, std::move(actions)}});
  };
  auto reading = [&](const std::string& name) { return repository(name, {"pull"}); };
  auto writing = [&](const std::string& name) {
    return method == "DELETE" ? repository(name, {"delete"}) : repository(name, {"pull", "push"});
  };

  if (rest.empty()) {
    only({"GET", "HEAD"});
    authorize(request, {});
    return http::Response::text(200, "{}", "application/json; charset=utf-8");
  }
  if (rest == "_catalog") {
    only({"GET"});
    authorize(request, {{"registry", "catalog", {"*"}}});
    return catalog(request);
  }
  if (rest.ends_with("/tags/list")) {
    std::string name = rest.substr(0, rest.size() - 10);
    check_name(name);
    only({"GET"});
    reading(name);
    return tags_list(request, name);
  }
  // GET /v2/NAME/referrers/DIGEST: the manifests whose subject is DIGEST (distribution spec 1.1).
  if (std::size_t at = rest.rfind("/referrers/"); at != std::string::npos && rest.find(':', at) != std::string::npos) {
    std::string name = rest.substr(0, at), digest = rest.substr(at + 11);
    check_name(name);
    only({"GET"});
    check_digest(digest);
    reading(name);
    return referrers(request, name, digest);
  }
  std::size_t manifests = rest.rfind("/manifests/");
  std::size_t blobs = rest.rfind("/blobs/");
  if (manifests != std::string::npos && (blobs == std::string::npos || manifests > blobs)) {
    std::string name = rest.substr(0, manifests);
    std::string reference = rest.substr(manifests + 11);
    check_name(name);
    only({"GET", "HEAD", "PUT", "DELETE"});
    if (reference.find(':') != std::string::npos) {
      check_digest(reference);
    } else if (!is_tag(reference)) {
      throw ApiError("TAG_INVALID", "manifest tag did not match URI", reference);
    }
    if (method == "GET" || method == "HEAD") reading(name); else writing(name);
    if (method == "PUT") return put_manifest(request, name, reference);
    return manifest(request, name, reference);
  }
  if (blobs != std::string::npos) {
    std::string name = rest.substr(0, blobs);
    std::string tail = rest.substr(blobs + 7);
    check_name(name);
    if (tail == "uploads" || tail == "uploads/") {
      only({"POST"});
      return start_upload(request, name, writing(name));
    }
    if (tail.starts_with("uploads/")) {
      only({"GET", "PATCH", "PUT", "DELETE"});
      if (method == "DELETE") repository(name, {"pull", "push"}); else writing(name);  // a DELETE here cancels an upload
      return upload(request, name, tail.substr(8));
    }
    only({"GET", "HEAD", "DELETE"});
    check_digest(tail);
    if (method == "DELETE") writing(name); else reading(name);
    return blob(request, name, tail);
  }
  throw ApiError(404, {{"UNSUPPORTED", "no such endpoint", path}});
}

http::Response RegistryApi::catalog(const http::Request& request) {
  return paginate(request, storage_.repositories(), "/v2/_catalog", nlohmann::json::object(), "repositories");
}

http::Response RegistryApi::search(const http::Request& request) {
  // docker search HOST/TERM asks GET /v1/search?q=TERM&n=25: the repositories whose name holds
  // TERM (case ignored), in docker's (v1) shape; num_results counts them all, results shows n.
  std::string term = ascii_lower(request.query_param("q").value_or(""));
  std::uint64_t limit = 25;
  if (std::optional<std::string> n_text = request.query_param("n")) {
    std::optional<std::uint64_t> n = parse_number(*n_text);
    if (!n || *n < 1 || *n > 100) throw ApiError(400, {{"UNSUPPORTED", "n is not a number from 1 to 100", *n_text}});
    limit = *n;
  }
  nlohmann::json results = nlohmann::json::array();
  std::size_t matches = 0;
  for (const std::string& name : storage_.repositories()) {
    if (ascii_lower(name).find(term) == std::string::npos) continue;
    if (++matches <= limit)
      results.push_back({{"name", name}, {"description", ""}, {"star_count", 0}, {"is_official", false}, {"is_automated", false}});
  }
  nlohmann::json body{{"num_results", matches}, {"query", request.query_param("q").value_or("")}, {"results", results}};
  return http::Response::text(200, body.dump() + "\n", "application/json; charset=utf-8");
}

http::Response RegistryApi::tags_list(const http::Request& request, const std::string& name) {
  check_repository(storage_, name);
  return paginate(request, storage_.tags(name), "/v2/" + name + "/tags/list", nlohmann::json{{"name", name}}, "tags");
}

http::Response RegistryApi::manifest(http::Request& request, const std::string& name, const std::string& reference) {
  check_repository(storage_, name);
  bool by_digest = ch10::is_sha256_digest(reference);
  if (request.method == "DELETE") {
    if (!options_.allow_delete) throw ApiError("UNSUPPORTED", "deletes are disabled on this registry (--no-delete)");
    bool removed = by_digest ? storage_.delete_manifest(name, reference) : storage_.delete_tag(name, reference);
    if (!removed) throw ApiError("MANIFEST_UNKNOWN", "manifest unknown", reference);
    return empty(202);
  }
  std::optional<StoredManifest> found = storage_.find_manifest(name, reference);
  if (!found) throw ApiError("MANIFEST_UNKNOWN", "manifest unknown", nlohmann::json{{"name", name}, {"reference", reference}});
  http::Response response;
  response.headers.add("Content-Type", found->media_type);
  response.headers.add("Docker-Content-Digest", found->digest);
  response.headers.add("Etag", "\"" + found->digest + "\"");
  response.file = std::move(found->file);
  response.file_length = found->size;
  return response;
}

http::Response RegistryApi::put_manifest(http::Request& request, const std::string& name, const std::string& reference) {
  std::optional<std::string> body = request.body.read_all(options_.max_manifest_bytes);
  if (!body) {
    ApiError error(413, {{"SIZE_INVALID", fmt::format("manifest larger than {} bytes", options_.max_manifest_bytes), nullptr}});
    throw error;
  }
  ManifestReferences references = check_manifest(*body, request.headers.get("Content-Type").value_or(""));
  std::string digest = ch10::sha256_digest(*body);
  bool by_digest = ch10::is_sha256_digest(reference);
  if (by_digest && digest != reference)
    throw ApiError("DIGEST_INVALID", "the manifest's digest is " + digest + ", not the one in its path", reference);

  std::vector<ApiErrorEntry> missing;
  for (const std::string& blob : references.blobs)
    if (!storage_.has_blob(name, blob)) missing.push_back({"MANIFEST_BLOB_UNKNOWN", "blob unknown to registry", blob});
  for (const std::string& child : references.manifests)
    if (!storage_.has_manifest(name, child)) missing.push_back({"MANIFEST_BLOB_UNKNOWN", "manifest unknown to registry", child});
  if (!missing.empty()) throw ApiError(status_of("MANIFEST_BLOB_UNKNOWN"), std::move(missing));

  storage_.put_manifest(name, *body, digest, references.media_type, by_digest ? std::nullopt : std::optional(reference));
  http::Response response = empty(201);
  response.headers.add("Location", "/v2/" + name + "/manifests/" + digest);
  response.headers.add("Docker-Content-Digest", digest);
  // The spec's word that the referrers API knows it: the client need not keep a tag index.
  if (references.subject) response.headers.add("OCI-Subject", *references.subject);
  return response;
}

http::Response RegistryApi::referrers(const http::Request& request, const std::string& name, const std::string& subject) {
  std::optional<std::string> artifact_filter = request.query_param("artifactType");
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  // Read from the manifests themselves, no index of its own to keep in step: a repository's
  // manifests are few, and a deleted one is gone from the answer at once.
  for (const std::string& digest : storage_.manifests(name)) {
    std::optional<StoredManifest> stored = storage_.find_manifest(name, digest);
    if (!stored) continue;
    std::string body = read_all(stored->file.get());
    nlohmann::json manifest = nlohmann::json::parse(body, nullptr, false);
    if (!manifest.is_object() || !manifest.contains("subject") || !manifest["subject"].is_object() ||
        manifest["subject"].value("digest", "") != subject)
      continue;
    std::string artifact_type = manifest.value("artifactType", "");
    if (artifact_type.empty() && manifest.contains("config") && manifest["config"].is_object())
      artifact_type = manifest["config"].value("mediaType", "");
    if (artifact_filter && artifact_type != *artifact_filter) continue;
    nlohmann::ordered_json entry = {{"mediaType", stored->media_type}, {"digest", digest}, {"size", body.size()}};
    if (!artifact_type.empty()) entry["artifactType"] = artifact_type;
    if (manifest.contains("annotations") && manifest["annotations"].is_object()) entry["annotations"] = manifest["annotations"];
    list.push_back(entry);
  }
  nlohmann::ordered_json index = {{"schemaVersion", 2}, {"mediaType", std::string(kOciIndex)}, {"manifests", list}};
  http::Response response = http::Response::text(200, index.dump(), std::string(kOciIndex));
  if (artifact_filter) response.headers.add("OCI-Filters-Applied", "artifactType");
  return response;
}

http::Response RegistryApi::blob(http::Request& request, const std::string& name, const std::string& digest) {
  check_repository(storage_, name);
  if (request.method == "DELETE") {
    if (!options_.allow_delete) throw ApiError("UNSUPPORTED", "deletes are disabled on this registry (--no-delete)");
    if (!storage_.unlink_blob(name, digest)) throw ApiError("BLOB_UNKNOWN", "blob unknown to registry", digest);
    http::Response response = empty(202);
    response.headers.add("Docker-Content-Digest", digest);
    return response;
  }
  std::optional<UniqueFd> file = storage_.open_blob(name, digest);
  if (!file) throw ApiError("BLOB_UNKNOWN", "blob unknown to registry", digest);
  struct stat info {};
  check(fstat(file->get(), &info), "fstat", digest);
  auto size = static_cast<std::uint64_t>(info.st_size);

  http::Response response;
  response.headers.add("Content-Type", "application/octet-stream");
  response.headers.add("Docker-Content-Digest", digest);
  response.headers.add("Accept-Ranges", "bytes");
  response.headers.add("Etag", "\"" + digest + "\"");
  response.file = std::move(*file);
  response.file_length = size;
  if (auto range = parse_range(request.headers.get("Range"), size)) {
    response.status = 206;
    response.file_offset = static_cast<off_t>(range->first);
    response.file_length = range->second - range->first + 1;
    response.headers.add("Content-Range", fmt::format("bytes {}-{}/{}", range->first, range->second, size));
  }
  return response;
}

http::Response RegistryApi::start_upload(http::Request& request, const std::string& name, const Grant& grant) {
  // A cross-repository mount, when the blob is in `from` and the client may pull from there;
  // otherwise an ordinary session.
  std::optional<std::string> mount = request.query_param("mount");
  if (mount) {
    check_digest(*mount);
    std::optional<std::string> from = request.query_param("from");
    if (from && is_repository_name(*from) && grant.allows({"repository", *from, {"pull"}}) &&
        storage_.has_blob(*from, *mount)) {
      storage_.link_blob(name, *mount);
      http::Response response = empty(201);
      response.headers.add("Location", "/v2/" + name + "/blobs/" + *mount);
      response.headers.add("Docker-Content-Digest", *mount);
      return response;
    }
  }
  std::optional<std::string> digest = request.query_param("digest");
  if (digest) check_digest(*digest);
  std::shared_ptr<BlobUpload> upload = storage_.start_upload(name);
  std::lock_guard lock(upload->mutex());
  if (request.body.present()) {
    try {
      append_body(request, *upload, std::nullopt);
    } catch (...) {
      // Nobody knows this session's id yet: it cannot be resumed, so it goes.
      storage_.cancel_upload(*upload);
      throw;
    }
  }
  if (digest && !mount) {
    // Monolithic: the whole blob in this POST.
    return finish_upload(storage_, *upload, name, *digest);
  }
  http::Response response = empty(202);
  add_upload_headers(response.headers, *upload);
  return response;
}

http::Response RegistryApi::upload(http::Request& request, const std::string& name, const std::string& uuid) {
  std::shared_ptr<BlobUpload> upload = is_upload_uuid(uuid) ? storage_.find_upload(name, uuid) : nullptr;
  auto unknown = [&] { return ApiError("BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry", uuid); };
  if (!upload) throw unknown();
  std::lock_guard lock(upload->mutex());
  if (upload->closed()) throw unknown();

  const std::string& method = request.method;
  if (method == "GET") {
    http::Response response = empty(204);
    add_upload_headers(response.headers, *upload);
    return response;
  }
  if (method == "DELETE") {
    storage_.cancel_upload(*upload);
    return empty(204);
  }
  std::optional<std::string> digest;
  if (method == "PUT") {
    // Checked before the body is read: a PUT without a digest leaves the session as it was.
    digest = request.query_param("digest");
    if (!digest) throw ApiError("DIGEST_INVALID", "the closing PUT has no ?digest=");
    check_digest(*digest);
  }
  std::optional<std::uint64_t> chunk_length = check_content_range(request, *upload);
  if (request.body.present() || chunk_length) append_body(request, *upload, chunk_length);
  if (method == "PATCH") {
    http::Response response = empty(202);
    add_upload_headers(response.headers, *upload);
    return response;
  }
  return finish_upload(storage_, *upload, name, *digest);
}

}  // namespace dockling::ch12
