/// @file image_inspect.hpp
/// @brief What docker shows of an image: `image inspect`'s object, `history`'s entries and
/// the fields `images --format` sees, built from the store's image config.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "image_store.hpp"

namespace dockling::ch10 {

/// `docker image inspect`'s object for `image`, keys in docker 20.10's order: Id, RepoTags,
/// RepoDigests (empty: no registry yet), Parent, Comment, Created, Container,
/// ContainerConfig, DockerVersion, Author, Config, Architecture, Os, Size, VirtualSize,
/// GraphDriver (overlay2: the layer directories of the store), RootFS, Metadata.
nlohmann::ordered_json inspect_image(const ImageStore& store, const Image& image);

/// One line of `docker history`: a history entry of the image config.
struct HistoryEntry {
  std::string id;          ///< the image id for the newest entry, "<missing>" for the others
  std::string created;     ///< RFC 3339, as the config has it
  std::string created_by;  ///< the command that made it ("" for an import)
  std::uint64_t size = 0;  ///< bytes of its layer; 0 for an entry without one (ENV, CMD, …)
  std::string comment;     ///< "Imported from -", a commit message, …
};

/// The image's history, newest first, each layer-making entry with its layer's size.
/// @throws Error when the config lists more layer entries than it has layers.
std::vector<HistoryEntry> image_history(const ImageStore& store, const Image& image);

/// What `images --format` sees of one line (docker's imageContext): ID, Repository, Tag,
/// Digest, CreatedSince, CreatedAt, Size, VirtualSize, SharedSize, UniqueSize, Containers.
nlohmann::ordered_json image_format_context(const Image& image, const std::string& repository, const std::string& tag,
                                            const std::string& id, const std::string& created_since,
                                            const std::string& size);

/// An RFC 3339 time as Go's RFC3339Nano prints it: no trailing zeros in the fraction.
std::string rfc3339_nano(const std::string& text);

/// A time as Go's time.Time.String() prints it, in local time: "2026-11-30 11:17:14 +0000 UTC".
std::string go_time_string(double seconds);

/// A time as Go's RFC3339 prints it, in local time, whole seconds: "2026-11-30T11:17:14Z".
std::string go_rfc3339(double seconds);

}  // namespace dockling::ch10
