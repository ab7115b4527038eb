/// @file blob_verifier.hpp
/// @brief Chapter 12's exercise: the client's pull of one layer, verified while it streams.
///
/// BlobVerifier's feed() and finish() are defined in exercises/12-registry/blob_verifier.cpp
/// (the stubs you fill in) or solutions/12-registry/. download_blob() (blob_download.hpp)
/// feeds it every piece libcurl hands over, writing each to a temporary file only after
/// feed() accepted it, and renames the file into the store only when finish() returned.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "digest.hpp"

namespace dockling::ch12 {

/// Exercise: the checks of one blob of a pull, made on its bytes as they arrive, so that a
/// registry that sends a wrong blob (or an endless one) is caught without keeping the blob
/// in memory and before it fills the disk. The descriptor (the manifest's entry for the
/// blob) says what to expect: its digest and its size.
///
/// The contract:
/// - feed(piece) counts the piece's bytes and adds them to a sha256 (ch10::Sha256, digest.hpp).
///   As soon as the count would pass the descriptor's size it throws dockling::Error
///   "WHAT: more than the SIZE bytes its descriptor says", before hashing that piece (too
///   much is wrong already, whatever the rest). An empty piece changes nothing.
/// - finish(), once, after the last piece: fewer bytes than the size throws
///   "WHAT: N bytes, its descriptor says SIZE"; then a sha256 other than the digest throws
///   "WHAT: digest mismatch: its content is sha256:<64 hex of what came>". Otherwise it
///   returns: the blob is the one the descriptor names.
/// - received() is the count of bytes accepted so far.
/// WHAT is the `what` given to the constructor, e.g. "blob sha256:… of 127.0.0.1:5000/app":
/// the messages name the blob, the registry and the repository, as docker's do.
class BlobVerifier {
 public:
  /// Expects `size` bytes whose sha256 is `digest` ("sha256:<64 hex>"); `what` names the
  /// blob in the errors.
  BlobVerifier(std::string digest, std::int64_t size, std::string what)
      : digest_(std::move(digest)), size_(size), what_(std::move(what)) {}

  /// The next bytes of the blob. @throws Error when they pass the descriptor's size.
  void feed(std::string_view piece);

  /// After the last piece: @throws Error when the size or the digest is not the descriptor's.
  void finish();

  /// Bytes accepted so far.
  std::int64_t received() const noexcept { return received_; }
  /// Bytes expected: the descriptor's size.
  std::int64_t size() const noexcept { return size_; }

 private:
  std::string digest_;
  std::int64_t size_;
  std::string what_;
  ch10::Sha256 hash_;
  std::int64_t received_ = 0;
};

}  // namespace dockling::ch12
