/// @file image_archive.hpp
/// @brief `save` and `load`: images to and from one tar archive that docker (20.10 and 25+),
/// skopeo and umoci all read.
///
/// The archive `save` writes holds each image twice over the same bytes where it can:
///
///     manifest.json            docker's index: [{"Config", "RepoTags", "Layers"}]
///     repositories             {"busybox": {"latest": V1ID}}: what docker < 1.10 read
///     V1ID/VERSION, V1ID/json  each layer as docker 20.10 names it (a v1 image id) ...
///     V1ID/layer.tar           ... and its uncompressed tar
///     HEX.json                 each image's config
///     oci-layout, index.json   an OCI image layout: one descriptor a name, naming it in
///     blobs/sha256/HEX         io.containerd.image.name and org.opencontainers.image.ref.name
///
/// Both parts are what docker 25 writes too (its manifest.json points into blobs/ instead of
/// V1ID directories). `load` reads that, docker 20.10's own (no OCI part), and OCI archives
/// (skopeo's oci-archive:, no manifest.json).
#pragma once

#include <string>
#include <vector>

#include "image_store.hpp"

namespace dockling::ch10 {

/// The annotation containerd and docker 25 name an image with in an archive's index.json.
inline constexpr const char* kImageNameAnnotation = "io.containerd.image.name";

/// `save`: writes the archive of the images `names` name to `out_fd`, picked as `docker save`
/// picks them: `busybox:1.36` saves the image with that name; `busybox` (no tag) every tag
/// the store has of that repository; an image id or a digest the image without its names.
/// Several names of one image make one image with several tags.
/// @throws Error "No such image: …" (before anything is written), or naming what failed.
void save_images(const ImageStore& store, const std::vector<std::string>& names, int out_fd);

/// `load`: reads the archive (plain, gzip or zstd) from `in_fd` and adds its images to the
/// store, all or nothing: every blob is checked against its digest as it enters the store,
/// every layer against the config's diff id, and on any error the store is left as it was.
/// The archive is read once, its files staged under ROOT/layers/.tmp-… (same filesystem
/// as the store; removed after, and by the store's garbage collection after a crash), since a
/// tar names its index (manifest.json, written last by docker) only after its layers.
/// @returns docker's lines: "Loaded image: busybox:latest" for each name, "Loaded image ID:
/// sha256:…" for an image without one, and "The image NAME already exists, renaming the old
/// one with ID … to empty string" when a name moves.
/// @throws Error naming the archive's file and what is wrong with it.
std::vector<std::string> load_images(ImageStore& store, int in_fd);

}  // namespace dockling::ch10
