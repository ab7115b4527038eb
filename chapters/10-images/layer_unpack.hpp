/// @file layer_unpack.hpp
/// @brief Unpacks one layer tarball (plain, gzip or zstd) into a directory, streaming, with
/// whiteouts turned into overlayfs's own form and every entry kept inside the directory.
#pragma once

#include <cstdint>
#include <string>

namespace dockling::ch10 {

/// What unpacking a layer found.
struct UnpackedLayer {
  std::string diff_id;     ///< sha256 of the uncompressed tar stream, "sha256:HEX"
  std::uint64_t size = 0;  ///< bytes of the regular files it holds
};

/// Who unpacks, and so the form overlay's markers take in the layer.
enum class LayerForm {
  /// Root of the host: the opaque marker is `trusted.overlay.opaque`, devices are made.
  root,
  /// In a user namespace (a rootless store, rootless_store.hpp): the opaque marker is
  /// `user.overlay.opaque` (overlay reads it with `userxattr`); a device node is refused (the
  /// kernel lets only the host's root make one); `trusted.*` attributes of the tarball are
  /// skipped (only the host's root may set them); an owner the namespace does not map is
  /// refused naming the entry.
  rootless,
};

/// Unpacks the layer tarball read from `in_fd` into the directory `dir_fd` (normally empty),
/// reading it once, in pieces: never the whole layer in memory. The compression (none, gzip,
/// zstd) is recognised from the stream; the diff id is computed from the uncompressed bytes
/// while they go by. A gzip layer is inflated by ISA-L in a thread of its own, which also
/// hashes, ahead of the extraction (GzipInflater, gzip_inflate.hpp) when libisal2 is
/// installed; otherwise, and for the others, libarchive decompresses in this thread.
///
/// Each entry goes through decide_entry() (images.hpp), then is created relative to `dir_fd`,
/// walking its parent directories one component at a time with O_NOFOLLOW: no symbolic link,
/// whatever an earlier entry made, is ever followed. Regular files, directories, symbolic
/// links, hard links (to an entry of this layer), devices and FIFOs keep their owner, mode,
/// mtime and extended attributes. A whiteout `.wh.NAME` becomes a character device 0/0 named
/// NAME, an opaque marker the `trusted.overlay.opaque=y` attribute of its directory
/// (`user.overlay.opaque=y` in the rootless form). Overlay's own attributes in the tarball
/// (`trusted.overlay.*`, `user.overlay.*`) are never set.
///
/// @param in_fd the layer tarball, read from where it stands to its end.
/// @param dir_fd the directory to unpack into (opened O_DIRECTORY).
/// @param what names the layer in messages, e.g. "layer sha256:abc…".
/// @param form root's form, or the rootless one (see LayerForm).
/// @throws Error "WHAT: entry \"NAME\": REASON" for a refused entry (a name, symbolic link or
/// hard link that climbs out of the layer, a path through a symbolic link, a directory of
/// this layer replaced by a symbolic link, a whiteout through a symbolic link; in the rootless
/// form a device node, an unmapped owner), and for a damaged stream. What was unpacked stays: the caller removes the directory.
UnpackedLayer unpack_layer(int in_fd, int dir_fd, const std::string& what, LayerForm form = LayerForm::root);

/// The media type of a layer blob from its first bytes: "application/vnd.oci.image.layer.v1.tar",
/// "...tar+gzip" or "...tar+zstd".
/// @throws Error for a compression OCI has no media type for (bzip2, xz).
std::string layer_media_type(const unsigned char* head, std::size_t size);

}  // namespace dockling::ch10
