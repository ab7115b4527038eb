#include "libarchive.hpp"

#include "dockling/shared_library.hpp"

namespace dockling::ch10 {

const LibArchive& libarchive() {
  static const LibArchive lib = [] {
    SharedLibrary library("libarchive.so.13", "libarchive13");
    LibArchive f{};
    library.load("archive_read_new", f.read_new);
    library.load("archive_read_free", f.read_free);
    library.load("archive_read_support_filter_gzip", f.read_support_filter_gzip);
    library.load("archive_read_support_filter_zstd", f.read_support_filter_zstd);
    library.load("archive_read_support_filter_bzip2", f.read_support_filter_bzip2);
    library.load("archive_read_support_filter_xz", f.read_support_filter_xz);
    library.load("archive_read_support_format_tar", f.read_support_format_tar);
    library.load("archive_read_support_format_raw", f.read_support_format_raw);
    library.load("archive_read_open", f.read_open);
    library.load("archive_read_open_fd", f.read_open_fd);
    library.load("archive_read_next_header", f.read_next_header);
    library.load("archive_read_data", f.read_data);
    library.load("archive_read_data_block", f.read_data_block);
    library.load("archive_error_string", f.error_string);
    library.load("archive_entry_pathname", f.entry_pathname);
    library.load("archive_entry_filetype", f.entry_filetype);
    library.load("archive_entry_perm", f.entry_perm);
    library.load("archive_entry_uid", f.entry_uid);
    library.load("archive_entry_gid", f.entry_gid);
    library.load("archive_entry_size", f.entry_size);
    library.load("archive_entry_rdev", f.entry_rdev);
    library.load("archive_entry_symlink", f.entry_symlink);
    library.load("archive_entry_hardlink", f.entry_hardlink);
    library.load("archive_entry_mtime", f.entry_mtime);
    library.load("archive_entry_mtime_nsec", f.entry_mtime_nsec);
    library.load("archive_entry_atime", f.entry_atime);
    library.load("archive_entry_atime_nsec", f.entry_atime_nsec);
    library.load("archive_entry_atime_is_set", f.entry_atime_is_set);
    library.load("archive_entry_xattr_reset", f.entry_xattr_reset);
    library.load("archive_entry_xattr_next", f.entry_xattr_next);
    library.load("archive_write_new", f.write_new);
    library.load("archive_write_free", f.write_free);
    library.load("archive_write_set_format_pax_restricted", f.write_set_format_pax_restricted);
    library.load("archive_write_open_fd", f.write_open_fd);
    library.load("archive_write_header", f.write_header);
    library.load("archive_write_data", f.write_data);
    library.load("archive_write_close", f.write_close);
    library.load("archive_entry_new", f.entry_new);
    library.load("archive_entry_free", f.entry_free);
    library.load("archive_entry_set_pathname", f.entry_set_pathname);
    library.load("archive_entry_set_filetype", f.entry_set_filetype);
    library.load("archive_entry_set_perm", f.entry_set_perm);
    library.load("archive_entry_set_size", f.entry_set_size);
    library.load("archive_entry_set_mtime", f.entry_set_mtime);
    library.load("archive_entry_set_symlink", f.entry_set_symlink);
    library.load("archive_entry_set_uname", f.entry_set_uname);
    library.load("archive_entry_set_gname", f.entry_set_gname);
    library.load("archive_entry_set_uid", f.entry_set_uid);
    library.load("archive_entry_set_gid", f.entry_set_gid);
    library.load("archive_entry_set_rdev", f.entry_set_rdev);
    library.load("archive_entry_set_hardlink", f.entry_set_hardlink);
    library.load("archive_entry_xattr_add_entry", f.entry_xattr_add_entry);
    return f;
  }();
  return lib;
}

}  // namespace dockling::ch10
