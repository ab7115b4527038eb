/// @file image_commit.hpp
/// @brief `commit` (a container's rw layer becomes the top layer of a new image) and `export`
/// (a container's whole root as one tarball).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "container_store.hpp"
#include "dockling/state.hpp"
#include "image_store.hpp"
#include "reference.hpp"
#include "rw_layer.hpp"

namespace dockling::ch10 {

/// `commit`'s flags.
struct CommitOptions {
  std::string message;  ///< -m: the new history entry's comment
  std::string author;   ///< -a: the image's author
  std::vector<std::string> changes;  ///< -c: Dockerfile instructions applied to the config
};

/// What `container` changed over its image (`diff`): its upper directory read against the
/// layers (overlay), or its copy compared with them (vfs).
std::vector<Change> container_changes(const ContainerRecord& container);

/// Stores `container`'s rw layer as a layer blob (uncompressed tar: whiteouts as `.wh.`
/// entries, opaque directories as `.wh..wh..opq`) and unpacks it into the store. Call under
/// the store's lock(). @returns the layer's descriptor (its digest is its diff id).
Descriptor put_container_layer(ImageStore& store, const ContainerRecord& container, Changes& changes);

/// The same for an overlay upper directory `upper` of any origin (chapter 11's COPY writes
/// one); `what` names it in messages.
Descriptor put_upper_layer(ImageStore& store, const std::filesystem::path& upper, const std::string& what,
                           Changes& changes);

/// Makes an image of `container`: its image's layers, plus one layer written from its upper
/// directory (whiteouts as `.wh.` entries, opaque directories as `.wh..wh..opq`), with the
/// container's config (its command, env, workdir, user ...) and a history entry for the new
/// layer. Tagged `name` when given, untagged otherwise. The store is left as it was on error.
/// @returns the new image's id ("sha256:…").
std::string commit_container(const StateRoot& root, const ContainerRecord& container, const std::optional<Reference>& name,
                             const CommitOptions& options);

/// Writes `container`'s root as one tar (its image's layers with its rw layer over them, as
/// the container sees them) to `fd`: mounted read-only on a directory of its own, in a mount
/// namespace of its own that the calling process enters (unshare(2)) and keeps.
void export_container(const ContainerRecord& container, int fd);

}  // namespace dockling::ch10
