/// @file images.hpp
/// @brief Chapter 10's exercise: what one entry of a layer tarball does to the layer.
///
/// The exercise function is defined in exercises/10-images/layer_entry.cpp (the stub you fill
/// in) or solutions/10-images/layer_entry.cpp. The unpacker (layer_unpack.hpp) calls it for
/// every entry of every layer, and for the targets of links, before it touches the disk.
#pragma once

#include <string>
#include <string_view>

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

}  // namespace dockling::ch10
