// gzip layers through ISA-L (GzipInflater, in a thread of its own) and through libarchive's
// own gzip (DOCKLING_NO_ISAL, or libisal missing): the same files, the same diff id, the same
// refusals.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "digest.hpp"
#include "dockling/error.hpp"
#include "dockling/testing.hpp"
#include "gzip_inflate.hpp"
#include "layer_fixture.hpp"

namespace dockling::ch10 {
namespace {

using namespace dockling::ch10::testing;

/// Sets DOCKLING_NO_ISAL for its lifetime (libarchive's gzip), or clears it.
class IsalSwitch {
 public:
  explicit IsalSwitch(bool use_isal) {
    if (use_isal) ::unsetenv("DOCKLING_NO_ISAL");
    else ::setenv("DOCKLING_NO_ISAL", "1", 1);
  }
  ~IsalSwitch() { ::unsetenv("DOCKLING_NO_ISAL"); }
  IsalSwitch(const IsalSwitch&) = delete;
  IsalSwitch& operator=(const IsalSwitch&) = delete;
};

/// `size` bytes that compress about as text does: numbers, written out.
std::string numbers(size_t size, unsigned seed) {
  std::string data;
  for (unsigned i = seed; data.size() < size; ++i) data += std::to_string(i * 7919u % 104729u) + ' ';
  data.resize(size);
  return data;
}

class GzipLayer : public LayerTest {
 protected:
  void SetUp() override {
    LayerTest::SetUp();
    if (!gzip_inflater_available()) GTEST_SKIP() << "libisal2 is not installed: only libarchive's gzip here";
  }

  void fresh_layer() {
    remove_tree(layer);
    ASSERT_EQ(::mkdir(layer.c_str(), 0755), 0);
  }
};

TEST_F(GzipLayer, UnpacksAlikeWithAndWithoutIsal) {
  DOCKLING_REQUIRE_ROOT();
  // Two gzip members, as `cat a.tar.gz b.tar.gz` makes: the diff id covers both (the tar ends
  // in the first); the big file spans many of the inflater's pieces, and its queue wraps.
  std::string first = make_tar({dir("etc/"), file("etc/hostname", "box\n"), file("big", numbers(5 << 20, 1))});
  std::string second = make_tar({file("after", "x")});
  std::string gz = make_tar({dir("etc/"), file("etc/hostname", "box\n"), file("big", numbers(5 << 20, 1))},
                            Compression::gzip) +
                   make_tar({file("after", "x")}, Compression::gzip);
  for (bool use_isal : {true, false}) {
    IsalSwitch with(use_isal);
    fresh_layer();
    UnpackedLayer result = unpack(gz);
    EXPECT_EQ(result.diff_id, sha256_digest(first + second)) << (use_isal ? "ISA-L" : "libarchive");
    EXPECT_EQ(read_file(layer + "/etc/hostname"), "box\n");
    EXPECT_EQ(read_file(layer + "/big"), numbers(5 << 20, 1));
    EXPECT_FALSE(path_exists(layer + "/after")) << "past the tar's end: hashed, not unpacked";
  }
}

TEST_F(GzipLayer, ADamagedStreamIsRefused) {
  DOCKLING_REQUIRE_ROOT();
  std::string gz = make_tar({file("big", numbers(1 << 20, 2))}, Compression::gzip);
  std::string bad_crc = gz;
  bad_crc[gz.size() - 8] = static_cast<char>(bad_crc[gz.size() - 8] ^ 1);  // the trailer's CRC32
  std::string bad_block = gz;
  bad_block[gz.size() / 2] = static_cast<char>(~bad_block[gz.size() / 2]);
  for (const std::string& bad : {bad_crc, bad_block, gz.substr(0, gz.size() - 4)}) {
    fresh_layer();
    EXPECT_THROW(unpack(bad), Error);
  }
}

TEST_F(GzipLayer, ARefusedEntryStopsTheInflater) {
  DOCKLING_REQUIRE_ROOT();
  // The reader gives up in the middle of the stream, the inflater thread blocked on a full
  // queue: unpack_layer must throw, not hang.
  std::string gz = make_tar({file("big", numbers(5 << 20, 3)), file("../escape"), file("more", numbers(1 << 20, 4))},
                            Compression::gzip);
  try {
    unpack(gz);
    FAIL() << "an entry climbing out of the layer was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("entry \"../escape\""), std::string::npos) << e.what();
  }
  EXPECT_TRUE(outside_untouched());
}

}  // namespace
}  // namespace dockling::ch10
