/// @file overlay_mount.hpp
/// @brief A container's root as an overlay mount, however many layers its image has.
///
/// mount(2) takes the options as one string of at most a page (4095 bytes). Absolute layer
/// paths of ~100 bytes fill it near 40 layers. Beyond that, the new mount API's `lowerdir+`
/// (Linux 6.8) adds the layers one by one; on older kernels, docker's trick: short symbolic
/// links (ROOT/layers/l/HEX12) named relative to the layers directory.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "dockling/mount.hpp"

namespace dockling::ch10 {

/// How the mount was made (for -v output and tests).
enum class OverlayMethod {
  options,      ///< one mount(2) with the whole option string
  lowerdir_plus,  ///< fsopen + fsconfig("lowerdir+") per layer (Linux 6.8+)
  short_links,  ///< mount(2) from inside the layers directory, through ROOT/layers/l/ links
};

/// Mounts overlay on `target`. DOCKLING_NO_LOWERDIR_PLUS=1 skips `lowerdir+` (to test the
/// fallback).
/// @param lowers the image's layer directories, bottom first, each one in `layers_dir`
/// @param upper the rw layer's upper directory
/// @param work overlay's work directory, on the same file system as `upper`
/// @param target the mount point
/// @param layers_dir ROOT/layers, where short links go
/// @param method set to how it was done
/// @param userxattr mount with `userxattr` (in a user namespace: a rootless store's layers
/// mark opaque directories with user.overlay.opaque, and overlay keeps its own in user.*)
/// @throws Error when even short links do not fit; SysError naming the call.
Mount mount_overlay(const std::vector<std::string>& lowers, const std::filesystem::path& upper,
                    const std::filesystem::path& work, const std::filesystem::path& target,
                    const std::filesystem::path& layers_dir, OverlayMethod& method, bool userxattr = false);

/// ROOT/layers/l: the short links' directory (skipped by garbage collection, which removes
/// the links whose layer has gone).
inline constexpr const char* kShortLinksDir = "l";

}  // namespace dockling::ch10
