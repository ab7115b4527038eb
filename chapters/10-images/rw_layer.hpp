/// @file rw_layer.hpp
/// @brief What a container changed: its rw layer (overlay's upper directory) read against the
/// image's layers below it, for `diff` and `commit`.
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <string>
#include <utility>
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

class TarWriter;

/// True for overlay's whiteout: a character device 0/0.
bool is_whiteout(const struct stat& st);
/// True for a directory overlay treats as opaque: trusted.overlay.opaque=y, or
/// user.overlay.opaque=y (a rootless store's, read by overlay with userxattr).
bool is_opaque(const std::filesystem::path& dir);
/// The extended attributes of `path` (not followed) but overlay's own (trusted.overlay.*,
/// user.overlay.*).
std::vector<std::pair<std::string, std::string>> xattrs_of(const std::filesystem::path& path);
/// The names in `dir`, sorted. @throws SysError.
std::vector<std::string> sorted_names(const std::filesystem::path& dir);

/// Entries of a layer tarball in OCI's form, one at a time.
class LayerEntries {
 public:
  /// Entries go to `tar`, which must outlive this object.
  explicit LayerEntries(TarWriter& tar) : tar_(tar) {}
  /// `name` was deleted: an empty `.wh.NAME` beside it (`st`: times and owner).
  void whiteout(const std::string& name, const struct stat& st);
  /// The directory `name` hides what lower layers hold in it: `NAME/.wh..wh..opq`.
  void opaque(const std::string& name, const struct stat& st);
  /// The file `path` (with `st`, its lstat) as entry `name`, not what a directory holds; a
  /// second name of a hard-linked file becomes a link to the first.
  void add(const std::filesystem::path& path, const std::string& name, const struct stat& st);

 private:
  TarWriter& tar_;
  std::map<std::pair<dev_t, ino_t>, std::string> first_names_;  ///< hard links: the first name written
};

/// How write_tree() reads overlay's marks.
enum class TreeForm {
  rw_layer,  ///< an upper directory: whiteouts become `.wh.NAME`, opaque directories get `.wh..wh..opq` (OCI's form)
  plain,     ///< a merged root (`export`): every file as it is
};

/// Writes every entry below `dir` (not `dir` itself) into `tar`, names relative to it, in a
/// stable order (sorted by name, a directory before what it holds): owners, modes, times,
/// device numbers, extended attributes (overlay's own left out), hard links as links to the
/// first name written.
/// @throws SysError or Error naming the entry that could not be read or written.
void write_tree(TarWriter& tar, const std::filesystem::path& dir, TreeForm form);

}  // namespace dockling::ch10
