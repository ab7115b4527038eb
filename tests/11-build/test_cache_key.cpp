// The exercise: the cache key of one build step, netstrings hashed with sha256.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "build.hpp"

namespace dockling::ch11 {
namespace {

const std::string kBase = "sha256:" + std::string(64, '0');

TEST(CacheKey, IsTheDigestOfTheStepsNetstrings_Exercise) {
  // sha256 of "71:sha256:000…000,11:RUN echo hi,0:,3:V=1,", computed apart from this code
  // (Python's hashlib on the text the contract describes).
  EXPECT_EQ(cache_key(kBase, "RUN echo hi", "", Variables{{"V", "1"}}),
            "sha256:9d108ab140e00b053c0054b97fa43407daebb8baad1d69d68d829f938dd9a29b");
  // Three empty parts: "0:,0:,0:,".
  EXPECT_EQ(cache_key("", "", "", {}), "sha256:b510a8d147d31d7484e4af1f26bfb02c9b398f2caf0a76cd515bc71d76a20e43");
}

TEST(CacheKey, EveryPartCounts_Exercise) {
  const std::string files = "sha256:" + std::string(64, 'a');
  std::set<std::string> keys{
      cache_key(kBase, "COPY a /a", files, {}),
      cache_key("sha256:" + std::string(64, '1'), "COPY a /a", files, {}),  // another parent
      cache_key(kBase, "COPY a /b", files, {}),                             // another instruction
      cache_key(kBase, "COPY a /a", "sha256:" + std::string(64, 'b'), {}),  // other files
      cache_key(kBase, "COPY a /a", files, Variables{{"V", "1"}}),          // an ARG
      cache_key(kBase, "COPY a /a", files, Variables{{"V", "2"}}),          // its value
      cache_key(kBase, "COPY a /a", files, Variables{{"W", "1"}}),          // its name
  };
  EXPECT_EQ(keys.size(), 7U);
  // The same step gives the same key.
  EXPECT_EQ(cache_key(kBase, "COPY a /a", files, {}), cache_key(kBase, "COPY a /a", files, {}));
}

TEST(CacheKey, NoTwoSplitsOfOneTextGiveOneKey_Exercise) {
  EXPECT_NE(cache_key("ab", "c", "", {}), cache_key("a", "bc", "", {}));
  EXPECT_NE(cache_key("a", "", "b", {}), cache_key("a", "b", "", {}));
  // A separator in a part does not fake a boundary: "\n" or "," inside the instruction.
  EXPECT_NE(cache_key("p", "RUN a\nb", "", {}), cache_key("p\nRUN a", "b", "", {}));
  EXPECT_NE(cache_key("p", "RUN x,1:y", "", {}), cache_key("p", "RUN x", "y", {}));
  // An ARG is not the end of an instruction.
  EXPECT_NE(cache_key(kBase, "RUN true", "", Variables{{"a", "1"}}), cache_key(kBase, "RUN true4:a=1,", "", {}));
}

TEST(CacheKey, ArgumentsCountInNameOrder_Exercise) {
  Variables two{{"b", "2"}, {"a", "1"}};
  Variables same{{"a", "1"}, {"b", "2"}};
  EXPECT_EQ(cache_key(kBase, "RUN env", "", two), cache_key(kBase, "RUN env", "", same));
  EXPECT_NE(cache_key(kBase, "RUN env", "", two), cache_key(kBase, "RUN env", "", Variables{{"a", "2"}, {"b", "1"}}));
  // An empty value is still a value: a=  is not "no a".
  EXPECT_NE(cache_key(kBase, "RUN env", "", Variables{{"a", ""}}), cache_key(kBase, "RUN env", "", {}));
}

}  // namespace
}  // namespace dockling::ch11
