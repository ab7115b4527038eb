// The exercise: the variable substitution of one word, as BuildKit's shell lexer does it.
#include <gtest/gtest.h>

#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "build.hpp"

namespace dockling::ch11 {
namespace {

struct WordCase {
  const char* word;
  const char* expected;
};

// Variables: v=val, e (set, empty); u is unset.
const Variables kVariables{{"v", "val"}, {"e", ""}, {"HOME", "/root"}, {"v2", "two"}};

void expect_table(const std::vector<WordCase>& cases) {
  for (const WordCase& c : cases) EXPECT_EQ(expand_word(c.word, kVariables), c.expected) << "word: " << c.word;
}

TEST(ExpandWord, NamesWithAndWithoutBraces_Exercise) {
  expect_table({{"plain", "plain"}, {"$v", "val"}, {"${v}", "val"}, {"a$v/b", "aval/b"}, {"$v2", "two"},
                {"${v}2", "val2"}, {"$u", ""}, {"x${u}y", "xy"}, {"$HOME/bin", "/root/bin"}, {"$v.txt", "val.txt"},
                {"$v-$v", "val-val"}});
}

TEST(ExpandWord, ADollarThatNoNameFollowsStays_Exercise) {
  expect_table({{"$", "$"}, {"a$", "a$"}, {"$/x", "$/x"}, {"cost: $ 5", "cost: $ 5"}});
}

TEST(ExpandWord, TheModifiersWithAndWithoutColon_Exercise) {
  expect_table({{"${v:-w}", "val"}, {"${u:-w}", "w"}, {"${e:-w}", "w"},
                {"${v-w}", "val"}, {"${u-w}", "w"}, {"${e-w}", ""},
                {"${v:+w}", "w"}, {"${u:+w}", ""}, {"${e:+w}", ""},
                {"${v+w}", "w"}, {"${u+w}", ""}, {"${e+w}", "w"},
                {"${v:?oops}", "val"}, {"${e?oops}", ""}});
}

TEST(ExpandWord, TheWordAfterAModifierIsAWord_Exercise) {
  expect_table({{"${u:-$v}", "val"}, {"${u:-${e:-deep}}", "deep"}, {"${u:-'a b'}", "a b"}, {"${v:+[$v]}", "[val]"},
                {"${u:-}", ""}});
}

TEST(ExpandWord, TheEscapeMakesTheNextCharacterPlain_Exercise) {
  expect_table({{"\\$v", "$v"}, {"\\${v}", "${v}"}, {"a\\ b", "a b"}, {"\\\\", "\\"}, {"end\\", "end"},
                {"\\'x\\'", "'x'"}});
}

TEST(ExpandWord, SingleQuotesKeepEverything_Exercise) {
  expect_table({{"'$v'", "$v"}, {"'a\\b'", "a\\b"}, {"x'${v}'y", "x${v}y"}, {"''", ""}});
}

TEST(ExpandWord, DoubleQuotesExpandAndEscapeOnlyQuoteDollarAndEscape_Exercise) {
  expect_table({{"\"$v\"", "val"}, {"\"a b\"", "a b"}, {"\"\\$v\"", "$v"}, {"\"\\\"\"", "\""},
                {"\"\\n\"", "\\n"}, {"\"\\\\\"", "\\"}, {"\"'$v'\"", "'val'"}, {"'\"'$v'\"'", "\"val\""}});
}

TEST(ExpandWordEscape, TheEscapeDirectivesCharacterTakesTheBackslashsPlace_Exercise) {
  EXPECT_EQ(expand_word("`$v", kVariables, '`'), "$v");
  EXPECT_EQ(expand_word("C:\\dir\\$v", kVariables, '`'), "C:\\dir\\val");
  EXPECT_EQ(expand_word("\"`\"\"", kVariables, '`'), "\"");
  EXPECT_EQ(expand_word("\\$v", kVariables, '\\'), "$v");
}

TEST(ExpandWordErrors, MalformedWordsAreRefusedWithBuildKitsWords_Exercise) {
  auto message = [](const std::string& word) {
    try {
      expand_word(word, kVariables);
    } catch (const std::invalid_argument& error) {
      return std::string(error.what());
    }
    return std::string("no error for ") + word;
  };
  EXPECT_EQ(message("'open"), "unexpected end of statement while looking for matching single-quote");
  EXPECT_EQ(message("\"open"), "unexpected end of statement while looking for matching double-quote");
  EXPECT_EQ(message("${v"), "missing ':' in substitution");
  EXPECT_EQ(message("${v^x}"), "missing ':' in substitution");
  EXPECT_EQ(message("${}"), "syntax error: bad substitution");
  EXPECT_EQ(message("${v:=x}"), "unsupported modifier (=) in substitution");
  EXPECT_EQ(message("${u:?must be set}"), "u: must be set");
  EXPECT_EQ(message("${u?}"), "u: is not allowed to be unset");
  EXPECT_EQ(message("${e:?}"), "e: is not allowed to be empty");
  // The end of the text closes the word after a modifier, as in BuildKit.
  EXPECT_EQ(message("${u:-abc"), "no error for ${u:-abc");
  EXPECT_EQ(expand_word("${u:-abc", kVariables), "abc");
}

// Random names and values: a hard-coded answer cannot pass.
TEST(ExpandWordRandom, AnyNameAndValue_Exercise) {
  std::mt19937 random(std::random_device{}());
  const std::string letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_";
  for (int round = 0; round < 50; ++round) {
    std::string name(1, letters[random() % letters.size()]), value;
    for (int i = 0, n = static_cast<int>(random() % 8); i < n; ++i) name += letters[random() % letters.size()];
    for (int i = 0, n = 1 + static_cast<int>(random() % 8); i < n; ++i) value += static_cast<char>('a' + random() % 26);
    Variables variables{{name, value}};
    EXPECT_EQ(expand_word("<$" + name + ">", variables), "<" + value + ">");
    EXPECT_EQ(expand_word("${" + name + "}x", variables), value + "x");
    EXPECT_EQ(expand_word("${" + name + ":-d}", variables), value);
    EXPECT_EQ(expand_word("${" + name + "_not:-d}", variables), "d");
  }
}

}  // namespace
}  // namespace dockling::ch11
