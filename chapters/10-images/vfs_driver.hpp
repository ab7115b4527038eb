/// @file vfs_driver.hpp
/// @brief The copy-based storage driver, for where overlay cannot work: the state root on
/// overlayfs itself (the course run inside a container), or `--storage-driver vfs`. Each
/// container gets a copy of its image (slower, bigger), and its changes are found by
/// comparing that copy with the image's layers.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "rw_layer.hpp"

namespace dockling::ch10 {

/// Copies the unpacked `layers` (bottom first) into the empty directory `target`, applying
/// each as overlay would show it: a whiteout deletes, an opaque directory hides what the
/// layers below put in it, a later entry replaces an earlier one. Owners, modes, times,
/// device numbers, extended attributes and hard links (within a layer) are kept.
/// @throws SysError naming the entry.
void copy_layers(const std::vector<std::string>& layers, const std::filesystem::path& target);

/// What `rootfs` (a copy made by copy_layers() and changed since) differs in from `layers`,
/// as rw_layer_changes() reports it: added, changed (type, mode, owner, size, mtime or link
/// target differ) and deleted paths, sorted; below a deleted directory nothing more.
std::vector<Change> copied_root_changes(const std::filesystem::path& rootfs, const std::vector<std::string>& layers);

/// Writes `changes` of `rootfs` as a layer in OCI's form (deletions as whiteouts).
void write_changes(TarWriter& tar, const std::filesystem::path& rootfs, const std::vector<Change>& changes);

/// True when `dir` (or, while it does not exist, its nearest existing parent) is on overlayfs.
bool on_overlayfs(const std::filesystem::path& dir);

}  // namespace dockling::ch10
