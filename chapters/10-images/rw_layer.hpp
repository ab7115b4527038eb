/// @file rw_layer.hpp
/// @brief What a container changed: its rw layer (overlay's upper directory) read against the
/// image's layers below it, for `diff` and `commit`.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace dockling::ch10 {

/// One change, as `docker diff` prints it.
struct Change {
  char kind = 'C';   ///< 'A' added, 'C' changed, 'D' deleted
  std::string path;  ///< absolute inside the container: "/etc/motd"
};

/// The changes the upper directory `upper` holds over `lowers` (the image's layer
/// directories, bottom first), sorted by path: a whiteout (0/0 character device) is a
/// deletion, a name some lower layer shows is a change (so is each directory a change was
/// copied up into), any other name an addition. Below a deleted or added directory nothing
/// more is listed for the deletion, every entry for the addition, as docker does.
/// @throws SysError when `upper` cannot be read.
std::vector<Change> rw_layer_changes(const std::filesystem::path& upper, const std::vector<std::string>& lowers);

}  // namespace dockling::ch10
