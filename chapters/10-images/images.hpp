/// @file images.hpp
/// @brief Chapter 10's exercises: what one entry of a layer tarball does to the layer, and the
/// overlay mount that stacks the layers.
///
/// The exercise functions are defined in exercises/10-images/ (the stubs you fill in) or
/// solutions/10-images/: layer_entry.cpp and overlay_options.cpp. The unpacker
/// (layer_unpack.hpp) calls decide_entry() for every entry of every layer, and for the
/// targets of links, before it touches the disk; `run IMAGE` (image_run.cpp) mounts the
/// container's root with overlay_mount_options().
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dockling::ch10 {

/// What an entry of a layer tarball asks for.
enum class EntryKind {
  regular,   ///< create the file, directory, link or device at `path`
  whiteout,  ///< `DIR/.wh.NAME`: NAME was deleted in this layer; `path` is DIR/NAME
  opaque,    ///< `DIR/.wh..wh..opq`: DIR hides what lower layers hold in it; `path` is DIR
  ignored,   ///< nothing to do: the layer's root itself (`./`), or aufs metadata (`.wh..wh.*`)
  refused,   ///< the whole layer is refused; `reason` says why
};

/// The decision for one entry name.
struct EntryDecision {
  EntryKind kind = EntryKind::refused;  ///< what to do
  std::string path;    ///< cleaned, relative to the layer's root, no "." or "..", "" for the root
  std::string reason;  ///< for `refused`: why, in a few words ("climbs out of the layer")
};

/// Exercise: decides what the layer entry named `name` (as the tar header spells it) does.
/// A pure function: it never looks at the disk.
///
/// The contract:
/// - The name is cleaned as a path: empty components and `.` are dropped, `..` removes the
///   component before it; a leading `/` is the layer's root (an absolute name is taken
///   relative to it, as docker does). A `..` with nothing left to remove climbs out of the
///   layer: refused. An empty name is refused. A name that cleans to nothing is the layer's
///   root: ignored.
/// - The last component decides the kind: `.wh..wh..opq` is the opaque marker of its directory
///   (`path` = that directory, "" for the root); any other name starting with `.wh..wh.` is aufs
///   metadata: ignored, and so is everything below a first component starting with `.wh..wh.`
///   (aufs's hard link directory); `.wh.NAME` is a whiteout of NAME (`path` = DIR/NAME),
///   refused when NAME is empty, `.` or `..`; anything else is regular.
/// - A component before the last that starts with `.wh.` (a path through a whiteout) is
///   refused, except for the aufs case above.
EntryDecision decide_entry(std::string_view name);

/// Exercise: the data argument of mount(2) for a container's overlay root: the image's
/// unpacked `layers` (absolute paths, bottom layer first, at least one) under the rw layer's
/// `upper` and `work` directories.
///
/// The contract:
/// - `lowerdir=TOP:...:BOTTOM,upperdir=UPPER,workdir=WORK`: overlay stacks its lower
///   directories left to right, the first one on top, so the list is the reverse of the
///   image's order.
/// - overlay splits the options at ',' and the lower directories at ':'. A path holding
///   either (or a '\', the escape character itself) gets a '\' before each of them.
/// - No layers: throws std::invalid_argument (overlay needs at least one lower directory).
std::string overlay_mount_options(const std::vector<std::string>& layers, const std::string& upper,
                                  const std::string& work);

}  // namespace dockling::ch10
