#include "blob_verifier.hpp"

#include <fmt/format.h>

#include "dockling/error.hpp"

namespace dockling::ch12 {

void BlobVerifier::feed(std::string_view piece) {
  auto size = static_cast<std::int64_t>(piece.size());
  // Checked before anything is hashed or written: a registry that sends too much is wrong
  // already, and stopping here keeps it from filling the disk.
  if (size > size_ - received_)
    throw Error(fmt::format("{}: more than the {} bytes its descriptor says", what_, size_), 1);
  received_ += size;
  hash_.update(piece);
}

void BlobVerifier::finish() {
  if (received_ != size_) throw Error(fmt::format("{}: {} bytes, its descriptor says {}", what_, received_, size_), 1);
  std::string actual = hash_.digest();
  if (actual != digest_) throw Error(fmt::format("{}: digest mismatch: its content is {}", what_, actual), 1);
}

}  // namespace dockling::ch12
