/// @file gzip_inflate.hpp
/// @brief A gzip stream decompressed by ISA-L's igzip in a thread of its own, ahead of the
/// tar reader, with the sha256 of what it produces (the diff id): chapter 10's fast path for
/// gzip layers.
///
/// zlib, which libarchive and `tar -xzf` use, inflates at about 300 MB/s on one core, and the
/// extraction waits for it. igzip (libisal2) inflates two to three times faster; in a thread
/// beside the extraction its time mostly overlaps the file writes. libisal is loaded when the
/// first gzip layer is unpacked (SharedLibrary): container starts never load it, and without
/// it layers unpack through libarchive's own gzip as before.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace dockling::ch10 {

/// True when gzip layers go through GzipInflater: libisal.so.2 loads, and DOCKLING_NO_ISAL is
/// not set (set it to compare with, or test, libarchive's own gzip).
bool gzip_inflater_available();

/// Decompresses one gzip stream (all of its members, as gzip -d and libarchive do; bytes
/// after the last member that start no new one are ignored, as libarchive does) in a thread
/// started by the constructor, handing the uncompressed bytes over in pieces of at most 512
/// KiB through a bounded queue of 8: never more than 4 MiB ahead of the reader. The thread
/// also feeds every byte it produces to a sha256. The gzip CRC of each member is checked.
class GzipInflater {
 public:
  /// Starts the thread, which reads `head` (bytes already taken from `in_fd`) then `in_fd`
  /// from where it stands to its end.
  /// @throws Error when libisal cannot be loaded (check gzip_inflater_available() first).
  GzipInflater(int in_fd, std::string head);
  /// Stops the thread (a reader that gives up early, on a refused entry) and waits for it.
  ~GzipInflater();
  GzipInflater(const GzipInflater&) = delete;
  GzipInflater& operator=(const GzipInflater&) = delete;

  /// The next piece of the uncompressed stream at `*data`, valid until the next call.
  /// @return its size; 0 at the end of the stream; -1 when the stream is damaged or could not
  /// be read (error() says why), after every piece decompressed before the damage.
  ssize_t read(const void** data);

  /// Why read() returned -1, e.g. "gzip: invalid deflate block".
  const std::string& error() const { return error_; }

  /// The sha256 of the whole uncompressed stream, "sha256:HEX": only once read() returned 0.
  std::string diff_id() const { return diff_id_; }

 private:
  struct Piece;
  void produce();
  void inflate_all();
  Piece* take_free();
  void push_full(Piece* piece);

  int in_fd_;
  std::string head_;
  std::vector<std::unique_ptr<Piece>> pieces_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Piece*> free_;   ///< guarded by mutex_
  std::deque<Piece*> full_;    ///< guarded by mutex_
  bool finished_ = false;      ///< the thread produced its last piece (guarded by mutex_)
  bool stopping_ = false;      ///< the reader gave up (guarded by mutex_)
  std::string error_;          ///< written by the thread before finished_
  std::string diff_id_;        ///< written by the thread before finished_
  Piece* current_ = nullptr;   ///< the piece the reader holds
  std::thread thread_;
};

}  // namespace dockling::ch10
