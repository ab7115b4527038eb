#include "registry_manifests.hpp"

#include <nlohmann/json.hpp>

#include "digest.hpp"
#include "dockling/text.hpp"
#include "registry_errors.hpp"

namespace dockling::ch12 {

namespace {

[[noreturn]] void invalid(const std::string& message) { throw ApiError("MANIFEST_INVALID", "manifest invalid: " + message); }

/// The media type without parameters, lowercase.
std::string bare_type(std::string_view content_type) {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && type.front() == ' ') type.remove_prefix(1);
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  return ascii_lower(type);
}

/// A Content-Type that says nothing about the manifest's kind.
bool generic_type(const std::string& type) {
  return type.empty() || type == "application/json" || type == "application/octet-stream" || type == "text/plain";
}

/// Checks a descriptor and returns its digest.
std::string descriptor_digest(const nlohmann::json& descriptor, const std::string& where) {
  if (!descriptor.is_object()) invalid(where + " is not an object");
  auto digest = descriptor.find("digest");
  if (digest == descriptor.end() || !digest->is_string()) invalid(where + " has no digest");
  if (!ch10::is_sha256_digest(digest->get<std::string>()))
    invalid(where + " has digest " + digest->dump() + ", not sha256:<64 lowercase hex>");
  auto size = descriptor.find("size");
  if (size == descriptor.end() || !size->is_number_integer() || size->get<long long>() < 0)
    invalid(where + " has no size (a number of bytes)");
  auto media_type = descriptor.find("mediaType");
  if (media_type != descriptor.end() && !media_type->is_string()) invalid(where + " has a mediaType that is not a string");
  return digest->get<std::string>();
}

/// The digests of the descriptors in the array `field`, foreign ones (with urls) left out.
void collect(const nlohmann::json& manifest, const char* field, bool required, std::vector<std::string>& out) {
  auto list = manifest.find(field);
  if (list == manifest.end()) {
    if (required) invalid(std::string("no ") + field + " list");
    return;
  }
  if (!list->is_array()) invalid(std::string(field) + " is not a list");
  for (std::size_t i = 0; i < list->size(); ++i) {
    const nlohmann::json& descriptor = (*list)[i];
    std::string digest = descriptor_digest(descriptor, std::string(field) + "[" + std::to_string(i) + "]");
    auto urls = descriptor.find("urls");
    if (urls != descriptor.end() && urls->is_array() && !urls->empty()) continue;  // fetched from elsewhere
    out.push_back(std::move(digest));
  }
}

}  // namespace

ManifestReferences check_manifest(std::string_view body, std::string_view content_type) {
  nlohmann::json manifest = nlohmann::json::parse(body, nullptr, false);
  if (manifest.is_discarded()) invalid("not JSON");
  if (!manifest.is_object()) invalid("not a JSON object");
  auto schema = manifest.find("schemaVersion");
  if (schema == manifest.end() || !schema->is_number_integer()) invalid("no schemaVersion");
  if (*schema != 2) invalid("schemaVersion " + schema->dump() + " (only 2 is accepted)");

  ManifestReferences references;
  std::string header_type = bare_type(content_type);
  auto body_type = manifest.find("mediaType");
  if (body_type != manifest.end()) {
    if (!body_type->is_string()) invalid("mediaType is not a string");
    references.media_type = body_type->get<std::string>();
    if (!generic_type(header_type) && header_type != references.media_type)
      invalid("its mediaType " + references.media_type + " is not its Content-Type " + header_type);
  } else if (!generic_type(header_type)) {
    references.media_type = header_type;
  } else {
    references.media_type = manifest.contains("manifests") ? kOciIndex : kOciManifest;
  }

  const std::string& type = references.media_type;
  if (type == kOciIndex || type == kDockerManifestList) {
    collect(manifest, "manifests", true, references.manifests);
  } else if (type == kOciManifest || type == kDockerManifest) {
    auto config = manifest.find("config");
    if (config == manifest.end()) invalid("no config");
    references.blobs.push_back(descriptor_digest(*config, "config"));
    collect(manifest, "layers", true, references.blobs);
  } else {
    // Another kind of artifact: whatever descriptors it has must be there too.
    if (auto config = manifest.find("config"); config != manifest.end())
      references.blobs.push_back(descriptor_digest(*config, "config"));
    collect(manifest, "layers", false, references.blobs);
    collect(manifest, "blobs", false, references.blobs);
    collect(manifest, "manifests", false, references.manifests);
  }
  if (auto subject = manifest.find("subject"); subject != manifest.end())
    references.subject = descriptor_digest(*subject, "subject");
  return references;
}

}  // namespace dockling::ch12
