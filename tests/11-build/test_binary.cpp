// ch11-build keeps every command of chapter 10 (and so of the chapters before it).
#include <gtest/gtest.h>

#include <string>

#include "dockling/testing.hpp"

namespace dockling::ch11 {
namespace {

using namespace dockling::testing;

TEST(Binary, KeepsTheCommandsOfChapter10) {
  RunResult help = run({bin("ch11-build"), "--help"});
  ASSERT_EQ(help.exit_code, 0) << help;
  for (const char* command : {"run", "images", "import", "inspect", "commit", "rmi", "ps"})
    EXPECT_NE(help.out.find(std::string("  ") + command), std::string::npos) << command << "\n" << help;
  RunResult unknown = run({bin("ch11-build"), "no-such-command"});
  EXPECT_NE(unknown.exit_code, 0) << unknown;
  EXPECT_EQ(unknown.err.rfind("ch11-build: ", 0), 0u) << unknown;
}

}  // namespace
}  // namespace dockling::ch11
