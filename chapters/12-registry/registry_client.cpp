#include "registry_client.hpp"

#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "digest.hpp"
#include "dockling/text.hpp"

namespace dockling::ch12 {

namespace {

/// What a pull accepts, best first: a registry that keeps several forms answers with one.
const char* const kManifestAccept =
    "Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.docker.distribution.manifest.v2+json";

/// docker's words for an error code: "MANIFEST_UNKNOWN" → "manifest unknown".
std::string code_words(const std::string& code) {
  std::string words = ascii_lower(code);
  std::replace(words.begin(), words.end(), '_', ' ');
  return words;
}

std::string reason_of(long status, const std::vector<RegistryErrorEntry>& errors) {
  if (errors.empty()) return fmt::format("unexpected status {}", status);
  std::string text;
  for (const auto& entry : errors) {
    if (!text.empty()) text += "; ";
    text += code_words(entry.code.empty() ? "UNKNOWN" : entry.code);
    if (!entry.message.empty()) text += ": " + entry.message;
  }
  return text;
}

}  // namespace

RegistryError::RegistryError(const std::string& what, long status, std::vector<RegistryErrorEntry> errors)
    : Error(fmt::format("{}: {}", what, reason_of(status, errors)), 1),
      status_(status),
      errors_(std::move(errors)),
      reason_(reason_of(status_, errors_)) {}

bool RegistryError::has_code(std::string_view code) const {
  return std::any_of(errors_.begin(), errors_.end(), [&](const RegistryErrorEntry& e) { return e.code == code; });
}

std::vector<RegistryErrorEntry> parse_registry_errors(std::string_view body) {
  std::vector<RegistryErrorEntry> entries;
  nlohmann::json json = nlohmann::json::parse(body, nullptr, false);
  if (!json.is_object() || !json.contains("errors") || !json["errors"].is_array()) return entries;
  for (const auto& item : json["errors"]) {
    if (!item.is_object()) continue;
    RegistryErrorEntry entry;
    if (item.contains("code") && item["code"].is_string()) entry.code = item["code"].get<std::string>();
    if (item.contains("message") && item["message"].is_string()) entry.message = item["message"].get<std::string>();
    entries.push_back(entry);
  }
  return entries;
}

HttpResponse RegistryClient::send(HttpRequest request, const BodySink& sink) {
  // A body from a file is read again after a 401: from where it started.
  off_t body_start = -1;
  if (request.has_body && request.body.fd >= 0) {
    body_start = ::lseek(request.body.fd, 0, SEEK_CUR);
    if (body_start < 0) throw SysError("lseek", "the body of " + request.url, errno);
  }
  for (int attempt = 0;; ++attempt) {
    HttpRequest sent = request;
    if (!authorization_.empty()) sent.headers.push_back("Authorization: " + authorization_);
    HttpResponse response = session_.send(sent, sink);
    if (response.status != 401 || attempt > 0) return response;
    std::string answer = answer_challenge(response, request);
    // Nothing new to try (no challenge we speak, or the same credentials refused): the 401
    // goes to the caller, whose expect() names it.
    if (answer.empty() || answer == authorization_) return response;
    authorization_ = answer;
    if (body_start >= 0 && ::lseek(request.body.fd, body_start, SEEK_SET) < 0)
      throw SysError("lseek", "the body of " + request.url, errno);
  }
}

std::string RegistryClient::answer_challenge(const HttpResponse& response, const HttpRequest& request) {
  std::vector<AuthChallenge> challenges;
  auto [first, last] = response.headers.equal_range("www-authenticate");
  for (auto it = first; it != last; ++it) {
    std::vector<AuthChallenge> more = parse_www_authenticate(it->second);
    challenges.insert(challenges.end(), more.begin(), more.end());
  }
  // A token server first, when offered: it is what the registry prefers.
  for (const auto& challenge : challenges)
    if (challenge.scheme == "bearer" && !challenge.param("realm").empty()) return "Bearer " + fetch_token(challenge);
  for (const auto& challenge : challenges)
    if (challenge.scheme == "basic") {
      if (!credentials_)  // docker's words
        throw Error(fmt::format("{} \"{}\": no basic auth credentials", method_word(request.method), request.url), 1);
      return basic_authorization(*credentials_);
    }
  return "";
}

std::string RegistryClient::fetch_token(const AuthChallenge& challenge) {
  std::string url = challenge.param("realm");
  for (const char* name : {"service", "scope"})
    if (std::string value = challenge.param(name); !value.empty()) url = with_query(url, name, value);
  for (const std::string& scope : extra_scopes_) url = with_query(url, "scope", scope);
  HttpRequest request{"GET", url, {}, false, {}};
  if (credentials_) request.headers.push_back("Authorization: " + basic_authorization(*credentials_));
  HttpResponse response = session_.send(request);
  std::string what = fmt::format("getting a token from {}", challenge.param("realm"));
  expect(response, {200}, what);
  nlohmann::json json = nlohmann::json::parse(response.body, nullptr, false);
  for (const char* name : {"token", "access_token"})
    if (json.is_object() && json.contains(name) && json[name].is_string() && !json[name].get<std::string>().empty())
      return json[name].get<std::string>();
  throw Error(fmt::format("{}: the answer holds no token", what), 1);
}

void RegistryClient::check_login() {
  std::string url = repo_.base_url + "/v2/";
  HttpResponse response;
  try {
    response = send({"GET", url, {}, false, {}});
  } catch (const RegistryError& e) {  // the token server refused: docker names the registry's URL
    throw Error(fmt::format("Get \"{}\": {}", url, e.reason()), 1);
  }
  if (response.ok()) return;
  std::string reason = response.status == 401 ? "Unauthorized" : response.status == 403 ? "Forbidden" : "";
  throw Error(fmt::format("login attempt to {} failed with status: {}{}{}", url, response.status,
                          reason.empty() ? "" : " ", reason),
              1);
}

nlohmann::json RegistryClient::search(const std::string& term, int limit) {
  std::string url = with_query(with_query(repo_.base_url + "/v1/search", "q", term), "n", std::to_string(limit));
  HttpResponse response = send({"GET", url, {}, false, {}});
  expect(response, {200}, fmt::format("searching {} for \"{}\"", repo_.domain, term));
  nlohmann::json body = nlohmann::json::parse(response.body, nullptr, false);
  if (body.is_discarded()) throw Error(fmt::format("searching {}: the answer is not JSON", repo_.domain), 1);
  return body;
}

void RegistryClient::expect(const HttpResponse& response, std::initializer_list<long> expected, const std::string& what) {
  if (std::find(expected.begin(), expected.end(), response.status) != expected.end()) return;
  throw RegistryError(what, response.status, parse_registry_errors(response.body));
}

FetchedManifest RegistryClient::get_manifest(const std::string& reference) {
  HttpRequest request{"GET", repo_.manifest_url(reference), {kManifestAccept}, false, {}};
  HttpResponse response = send(request);
  std::string what = fmt::format("manifest {} of {}/{}", reference, repo_.domain, repo_.repository);
  expect(response, {200}, what);
  FetchedManifest manifest;
  manifest.data = std::move(response.body);
  manifest.digest = ch10::sha256_digest(manifest.data);
  if (reference.starts_with("sha256:") && reference != manifest.digest)
    throw Error(fmt::format("{}: digest mismatch: its content is {}", what, manifest.digest), 1);
  std::string said = response.header("docker-content-digest");
  if (said.starts_with("sha256:") && said != manifest.digest)
    throw Error(fmt::format("{}: the registry says its digest is {}, its content is {}", what, said, manifest.digest), 1);
  nlohmann::json json = nlohmann::json::parse(manifest.data, nullptr, false);
  if (!json.is_object()) throw Error(fmt::format("{}: not a JSON object", what), 1);
  manifest.media_type = json.value("mediaType", "");
  if (manifest.media_type.empty()) {
    std::string type = response.header("content-type");
    manifest.media_type = type.substr(0, type.find(';'));
  }
  // mediaType is optional in OCI's JSON, and a registry may call it all application/json:
  // then its fields say what it is.
  if (manifest.media_type.empty() || manifest.media_type == "application/json") {
    if (json.contains("manifests")) manifest.media_type = manifest_type::kOciIndex;
    else if (json.contains("config") && json.contains("layers")) manifest.media_type = manifest_type::kOciManifest;
  }
  return manifest;
}

bool RegistryClient::has_blob(const std::string& digest) {
  HttpResponse response = send({"HEAD", repo_.blob_url(digest), {}, false, {}});
  if (response.status == 404) return false;
  expect(response, {200}, fmt::format("blob {} of {}/{}", digest, repo_.domain, repo_.repository));
  return true;
}

void RegistryClient::fetch_blob(const std::string& digest, const BodySink& sink) {
  HttpResponse response = send({"GET", repo_.blob_url(digest), {}, false, {}}, sink);
  expect(response, {200}, fmt::format("blob {} of {}/{}", digest, repo_.domain, repo_.repository));
}

bool RegistryClient::upload_blob(const std::string& digest, int fd, std::int64_t size, const std::string& mount_from) {
  std::string what = fmt::format("uploading blob {} to {}/{}", digest, repo_.domain, repo_.repository);
  std::string start_url = repo_.uploads_url();
  if (!mount_from.empty()) {
    start_url = with_query(with_query(start_url, "mount", digest), "from", mount_from);
    std::string scope = "repository:" + mount_from + ":pull";
    if (std::find(extra_scopes_.begin(), extra_scopes_.end(), scope) == extra_scopes_.end()) extra_scopes_.push_back(scope);
  }
  HttpResponse started = send({"POST", start_url, {}, false, {}});
  if (!mount_from.empty() && started.status == 201) return true;
  expect(started, {202}, what);
  std::string location = started.header("location");
  if (location.empty()) throw Error(fmt::format("{}: the registry gave no Location for the upload", what), 1);

  HttpRequest patch{"PATCH", repo_.absolute(location), {"Content-Type: application/octet-stream"}, true, {}};
  patch.body.fd = fd;
  patch.body.size = size;
  HttpResponse sent = send(patch);
  expect(sent, {202}, what);
  if (std::string next = sent.header("location"); !next.empty()) location = next;

  HttpResponse closed = send({"PUT", with_query(repo_.absolute(location), "digest", digest), {}, false, {}});
  expect(closed, {201}, what);
  return false;
}

std::string RegistryClient::put_manifest(const std::string& reference, const std::string& media_type,
                                         const std::string& data) {
  HttpRequest request{"PUT", repo_.manifest_url(reference), {"Content-Type: " + media_type}, true, {}};
  request.body.data = data;
  HttpResponse response = send(request);
  expect(response, {200, 201}, fmt::format("manifest {} of {}/{}", reference, repo_.domain, repo_.repository));
  return response.header("docker-content-digest");
}

}  // namespace dockling::ch12
