// The exercise: one blob of a pull checked while it streams in (blob_verifier.hpp): too many
// bytes refused as soon as they come, too few and a wrong digest refused at the end, each in
// the contract's words.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "blob_verifier.hpp"
#include "digest.hpp"
#include "dockling/error.hpp"

namespace dockling::ch12 {
namespace {

const std::string kWhat = "blob of 127.0.0.1:5000/app";
// sha256 of "hello", computed apart from this code (sha256sum).
const std::string kHello = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

/// The message of the dockling::Error `action` throws; "" (and a failure) when it throws none.
std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const NotImplemented&) {
    throw;  // the stub: the test fails as it is
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no dockling::Error thrown";
  return "";
}

TEST(BlobVerifier, AcceptsTheBlobItsDescriptorNames_Exercise) {
  BlobVerifier verifier(kHello, 5, kWhat);
  verifier.feed("he");
  verifier.feed("");  // an empty piece changes nothing
  verifier.feed("llo");
  EXPECT_EQ(verifier.received(), 5);
  EXPECT_NO_THROW(verifier.finish());
}

TEST(BlobVerifier, RefusesMoreThanTheSizeAsSoonAsItComes_Exercise) {
  BlobVerifier verifier(kHello, 5, kWhat);
  verifier.feed("hel");
  // The piece that passes the size is refused itself, before the end of the blob.
  EXPECT_EQ(error_of([&] { verifier.feed("lo!"); }), kWhat + ": more than the 5 bytes its descriptor says");
  EXPECT_EQ(verifier.received(), 3);

  BlobVerifier empty(ch10::sha256_digest(""), 0, kWhat);
  EXPECT_EQ(error_of([&] { empty.feed("x"); }), kWhat + ": more than the 0 bytes its descriptor says");
}

TEST(BlobVerifier, RefusesABlobCutShortBeforeLookingAtItsDigest_Exercise) {
  BlobVerifier verifier(kHello, 5, kWhat);
  verifier.feed("hell");
  EXPECT_EQ(error_of([&] { verifier.finish(); }), kWhat + ": 4 bytes, its descriptor says 5");
}

TEST(BlobVerifier, RefusesAnAlteredBlobNamingWhatCame_Exercise) {
  BlobVerifier verifier(kHello, 5, kWhat);
  verifier.feed("hellO");  // the size kept: only the digest can tell
  EXPECT_EQ(error_of([&] { verifier.finish(); }),
            kWhat + ": digest mismatch: its content is " + ch10::sha256_digest("hellO"));
}

TEST(BlobVerifier, HashesEveryPieceInOrder_Exercise) {
  // Many small pieces, as libcurl hands them over: the digest is that of their concatenation.
  std::string data;
  for (int i = 0; i < 1000; ++i) data += std::to_string(i) + ",";
  BlobVerifier verifier(ch10::sha256_digest(data), static_cast<std::int64_t>(data.size()), kWhat);
  for (size_t at = 0; at < data.size(); at += 7) verifier.feed(std::string_view(data).substr(at, 7));
  EXPECT_EQ(verifier.received(), static_cast<std::int64_t>(data.size()));
  EXPECT_NO_THROW(verifier.finish());

  BlobVerifier swapped(ch10::sha256_digest(data), static_cast<std::int64_t>(data.size()), kWhat);
  swapped.feed(std::string_view(data).substr(7));
  swapped.feed(std::string_view(data).substr(0, 7));
  EXPECT_NE(error_of([&] { swapped.finish(); }).find("digest mismatch"), std::string::npos);
}

}  // namespace
}  // namespace dockling::ch12
