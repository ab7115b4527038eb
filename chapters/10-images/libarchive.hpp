/// @file libarchive.hpp
/// @brief libarchive (read side for layers and `load`, write side for `save`), loaded when
/// first needed (SharedLibrary), not at every start: linked, it brings 13 more libraries
/// (libxml2, libicu, liblzma, ...) that every container start of this binary would load and
/// relocate.
#pragma once

#include <archive.h>
#include <archive_entry.h>

namespace dockling::ch10 {

/// The libarchive functions chapter 10 calls, named as libarchive names them without the
/// `archive_` prefix: `libarchive().read_new()` is archive_read_new().
struct LibArchive {
  decltype(&archive_read_new) read_new;                  ///< archive_read_new
  decltype(&archive_read_free) read_free;                ///< archive_read_free
  decltype(&archive_read_support_filter_gzip) read_support_filter_gzip;  ///< gzip layers
  decltype(&archive_read_support_filter_zstd) read_support_filter_zstd;  ///< zstd layers
  decltype(&archive_read_support_filter_bzip2) read_support_filter_bzip2;  ///< bzip2 (docker reads them; chapter 11's ADD)
  decltype(&archive_read_support_filter_xz) read_support_filter_xz;        ///< xz (the same)
  decltype(&archive_read_support_format_tar) read_support_format_tar;    ///< tar entries
  decltype(&archive_read_support_format_raw) read_support_format_raw;    ///< the uncompressed stream
  decltype(&archive_read_open) read_open;                ///< archive_read_open (callbacks)
  decltype(&archive_read_open_fd) read_open_fd;          ///< archive_read_open_fd
  decltype(&archive_read_next_header) read_next_header;  ///< archive_read_next_header
  decltype(&archive_read_data) read_data;                ///< archive_read_data
  decltype(&archive_read_data_block) read_data_block;    ///< archive_read_data_block
  decltype(&archive_error_string) error_string;          ///< archive_error_string
  decltype(&archive_entry_pathname) entry_pathname;      ///< archive_entry_pathname
  decltype(&archive_entry_filetype) entry_filetype;      ///< archive_entry_filetype
  decltype(&archive_entry_perm) entry_perm;              ///< archive_entry_perm
  decltype(&archive_entry_uid) entry_uid;                ///< archive_entry_uid
  decltype(&archive_entry_gid) entry_gid;                ///< archive_entry_gid
  decltype(&archive_entry_size) entry_size;              ///< archive_entry_size
  decltype(&archive_entry_rdev) entry_rdev;              ///< archive_entry_rdev
  decltype(&archive_entry_symlink) entry_symlink;        ///< archive_entry_symlink
  decltype(&archive_entry_hardlink) entry_hardlink;      ///< archive_entry_hardlink
  decltype(&archive_entry_mtime) entry_mtime;            ///< archive_entry_mtime
  decltype(&archive_entry_mtime_nsec) entry_mtime_nsec;  ///< archive_entry_mtime_nsec
  decltype(&archive_entry_atime) entry_atime;            ///< archive_entry_atime
  decltype(&archive_entry_atime_nsec) entry_atime_nsec;  ///< archive_entry_atime_nsec
  decltype(&archive_entry_atime_is_set) entry_atime_is_set;  ///< archive_entry_atime_is_set
  decltype(&archive_entry_xattr_reset) entry_xattr_reset;    ///< archive_entry_xattr_reset
  decltype(&archive_entry_xattr_next) entry_xattr_next;      ///< archive_entry_xattr_next

  // The write side, for `save`.
  decltype(&archive_write_new) write_new;                ///< archive_write_new
  decltype(&archive_write_free) write_free;              ///< archive_write_free
  decltype(&archive_write_set_format_pax_restricted) write_set_format_pax_restricted;  ///< ustar, pax when needed
  decltype(&archive_write_open_fd) write_open_fd;        ///< archive_write_open_fd
  decltype(&archive_write_header) write_header;          ///< archive_write_header
  decltype(&archive_write_data) write_data;              ///< archive_write_data
  decltype(&archive_write_close) write_close;            ///< archive_write_close
  decltype(&archive_entry_new) entry_new;                ///< archive_entry_new
  decltype(&archive_entry_free) entry_free;              ///< archive_entry_free
  decltype(&archive_entry_set_pathname) entry_set_pathname;  ///< archive_entry_set_pathname
  decltype(&archive_entry_set_filetype) entry_set_filetype;  ///< archive_entry_set_filetype
  decltype(&archive_entry_set_perm) entry_set_perm;          ///< archive_entry_set_perm
  decltype(&archive_entry_set_size) entry_set_size;          ///< archive_entry_set_size
  decltype(&archive_entry_set_mtime) entry_set_mtime;        ///< archive_entry_set_mtime
  decltype(&archive_entry_set_symlink) entry_set_symlink;    ///< archive_entry_set_symlink
  decltype(&archive_entry_set_uname) entry_set_uname;        ///< archive_entry_set_uname
  decltype(&archive_entry_set_gname) entry_set_gname;        ///< archive_entry_set_gname
  // Entries as the disk has them, for `commit` and `export`.
  decltype(&archive_entry_set_uid) entry_set_uid;            ///< archive_entry_set_uid
  decltype(&archive_entry_set_gid) entry_set_gid;            ///< archive_entry_set_gid
  decltype(&archive_entry_set_rdev) entry_set_rdev;          ///< archive_entry_set_rdev
  decltype(&archive_entry_set_hardlink) entry_set_hardlink;  ///< archive_entry_set_hardlink
  decltype(&archive_entry_xattr_add_entry) entry_xattr_add_entry;  ///< archive_entry_xattr_add_entry
};

/// The functions, from libarchive.so.13 loaded on the first call.
/// @throws Error when the library or a function is missing.
const LibArchive& libarchive();

}  // namespace dockling::ch10
