/// @file registry_manifests.hpp
/// @brief What a pushed manifest is and what it points to: its media type (OCI or Docker,
/// image or index) and the blobs and manifests it references, checked before it is stored.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dockling::ch12 {

/// OCI image manifest media type.
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index media type.
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
/// Docker image manifest (schema 2) media type.
inline constexpr std::string_view kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker manifest list media type.
inline constexpr std::string_view kDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";

/// A manifest's type and the content it needs in the repository.
struct ManifestReferences {
  std::string media_type;              ///< what GET answers as Content-Type
  std::vector<std::string> blobs;      ///< config and layer digests (foreign layers left out)
  std::vector<std::string> manifests;  ///< the manifests an index lists
  std::optional<std::string> subject;  ///< the subject's digest, when it has one
};

/// Checks a manifest pushed with Content-Type `content_type` (parameters ignored): a JSON
/// object of schemaVersion 2 whose descriptors are well formed, and whose mediaType, when it
/// has one, is the Content-Type (or the Content-Type is missing or generic).
/// @throws ApiError MANIFEST_INVALID saying what is wrong.
ManifestReferences check_manifest(std::string_view body, std::string_view content_type);

}  // namespace dockling::ch12
