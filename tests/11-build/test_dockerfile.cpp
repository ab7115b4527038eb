// The parser: text to instructions, by the rules of BuildKit's Dockerfile frontend. None of
// these tests reaches the exercise (the parser substitutes nothing).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dockerfile.hpp"

namespace dockling::ch11 {
namespace {

using Words = std::vector<std::string>;

std::string error_of(const std::string& text) {
  try {
    parse_dockerfile(text);
  } catch (const ParseError& error) {
    return error.what();
  }
  return "no error";
}

TEST(Parser, InstructionsWithTheirLinesKeywordsInAnyCase) {
  Dockerfile file = parse_dockerfile("FROM busybox\n\nrun echo hi\n  Cmd [\"sh\"]\n");
  ASSERT_EQ(file.instructions.size(), 3u);
  EXPECT_EQ(file.instructions[0].keyword, "from");
  EXPECT_EQ(file.instructions[0].args, Words{"busybox"});
  EXPECT_EQ(file.instructions[1].keyword, "run");
  EXPECT_EQ(file.instructions[1].line, 3);
  EXPECT_EQ(file.instructions[1].args, Words{"echo hi"});
  EXPECT_FALSE(file.instructions[1].json);
  EXPECT_EQ(file.instructions[2].line, 4);
  EXPECT_TRUE(file.instructions[2].json);
}

TEST(Parser, CommentsAndCarriageReturnsAndAByteOrderMark) {
  Dockerfile file = parse_dockerfile("\xEF\xBB\xBF# a comment\r\nFROM a\r\n   # indented comment\nRUN x # not a comment\n");
  ASSERT_EQ(file.instructions.size(), 2u);
  EXPECT_EQ(file.instructions[0].line, 2);
  EXPECT_EQ(file.instructions[0].args, Words{"a"});
  EXPECT_EQ(file.instructions[1].args, Words{"x # not a comment"});
}

TEST(Parser, ContinuationsSkipCommentAndEmptyLinesInside) {
  Dockerfile file = parse_dockerfile("FROM a\nRUN echo one \\\n# comment inside\n\n   \\\n  two \\  \n three\nUSER me\n");
  ASSERT_EQ(file.instructions.size(), 3u);
  const Instruction& run = file.instructions[1];
  EXPECT_EQ(run.line, 2);
  EXPECT_EQ(run.end_line, 7);
  EXPECT_EQ(run.args, Words{"echo one      two  three"});  // the blanks before each \\ stay
  EXPECT_EQ(file.instructions[2].line, 8);
}

TEST(Parser, AContinuationAtTheEndOfTheFileEndsTheInstruction) {
  Dockerfile file = parse_dockerfile("FROM a\nRUN echo \\");
  EXPECT_EQ(file.instructions[1].args, Words{"echo"});
  EXPECT_EQ(error_of("FROM a\nRUN \\\n"), "dockerfile parse error on line 2: RUN requires at least one argument");
}

TEST(Parser, ExecFormOrShellFormInvalidJsonIsShellForm) {
  struct Case {
    const char* text;
    bool json;
    Words args;
  };
  const Case cases[] = {
      {"CMD [\"echo\", \"a b\"]", true, {"echo", "a b"}},
      {"ENTRYPOINT [\"/bin/ep\"]", true, {"/bin/ep"}},
      {"RUN []", true, {}},
      {"CMD ['single', 'quotes']", false, {"['single', 'quotes']"}},
      {"CMD [\"unclosed\"", false, {"[\"unclosed\""}},
      {"CMD [\"a\", 1]", false, {"[\"a\", 1]"}},
      {"CMD [\"a\"] trailing", false, {"[\"a\"] trailing"}},
      {"RUN echo [\"x\"]", false, {"echo [\"x\"]"}},
      {"COPY [\"a b\", \"/c\"]", true, {"a b", "/c"}},
      {"COPY a b /c/", false, {"a", "b", "/c/"}},
      {"VOLUME [\"/data\"]", true, {"/data"}},
      {"VOLUME /a /b", false, {"/a", "/b"}},
  };
  for (const Case& c : cases) {
    Dockerfile file = parse_dockerfile(std::string("FROM a\n") + c.text + "\n");
    EXPECT_EQ(file.instructions[1].json, c.json) << c.text;
    EXPECT_EQ(file.instructions[1].args, c.args) << c.text;
  }
  EXPECT_EQ(error_of("FROM a\nSHELL /bin/bash -c\n"),
            "dockerfile parse error on line 2: SHELL requires the arguments to be in JSON form");
}

TEST(Parser, FlagsBeforeTheArguments) {
  Dockerfile file = parse_dockerfile(
      "FROM --platform=linux/amd64 a AS build\nCOPY --from=build --chown=1:2 /x /y\nRUN --network=none -- --weird\n");
  EXPECT_EQ(file.instructions[0].flags, Words{"--platform=linux/amd64"});
  EXPECT_EQ(file.instructions[0].args, (Words{"a", "AS", "build"}));
  EXPECT_EQ(file.instructions[1].flags, (Words{"--from=build", "--chown=1:2"}));
  EXPECT_EQ(file.instructions[1].args, (Words{"/x", "/y"}));
  EXPECT_EQ(file.instructions[2].flags, Words{"--network=none"});
  EXPECT_EQ(file.instructions[2].args, Words{"--weird"});
}

TEST(Parser, EnvAndLabelPairsAndTheOldForm) {
  Dockerfile file = parse_dockerfile(
      "FROM a\nENV a=1 b=\"two words\" c=x\\ y\nENV OLD some value here\nLABEL \"com.x\"=y empty=\nARG one two=2\n");
  EXPECT_EQ(file.instructions[1].args, (Words{"a", "1", "b", "\"two words\"", "c", "x\\ y"}));
  EXPECT_EQ(file.instructions[2].args, (Words{"OLD", "some value here"}));
  EXPECT_EQ(file.instructions[3].args, (Words{"\"com.x\"", "y", "empty", ""}));
  EXPECT_EQ(file.instructions[4].args, (Words{"one", "two=2"}));
  EXPECT_EQ(error_of("FROM a\nENV lonely\n"), "dockerfile parse error on line 2: ENV must have two arguments");
  EXPECT_EQ(error_of("FROM a\nLABEL a=1 b\n"),
            "dockerfile parse error on line 2: Syntax error - can't find = in \"b\". Must be of the form: name=value");
}

TEST(Parser, DirectivesOnlyAtTheVeryTop) {
  Dockerfile file = parse_dockerfile("# syntax=docker/dockerfile:1\n# ESCAPE = `\nFROM a\nRUN echo `\n  b\n");
  EXPECT_EQ(file.escape, '`');
  ASSERT_EQ(file.instructions.size(), 2u);
  EXPECT_EQ(file.instructions[1].args, Words{"echo   b"});
  // After a comment, an empty line or an instruction, `# escape=` is a comment.
  for (const char* text : {"# hello\n# escape=`\nFROM a\n", "\n# escape=`\nFROM a\n", "FROM a\n# escape=`\n"})
    EXPECT_EQ(parse_dockerfile(text).escape, '\\') << text;
  // A backslash is a plain character under `# escape=``: no continuation.
  EXPECT_EQ(parse_dockerfile("# escape=`\nFROM a\nRUN dir c:\\\n").instructions.size(), 2u);
  EXPECT_EQ(error_of("# escape=x\nFROM a\n"), "dockerfile parse error on line 1: invalid escape token 'x' does not match ` or \\");
  EXPECT_EQ(error_of("# escape=\\\n# escape=`\nFROM a\n"),
            "dockerfile parse error on line 2: only one escape parser directive can be used");
}

TEST(Parser, UnknownInstructionsNameTheirLine) {
  EXPECT_EQ(error_of("FROM a\n\n# c\nRUN \\\n  x\nWORKDIR /\nRUNN make\n"),
            "dockerfile parse error on line 7: unknown instruction: RUNN");
  EXPECT_EQ(error_of("FROM a\nrun x\ncopyy a b\n"), "dockerfile parse error on line 3: unknown instruction: COPYY");
  EXPECT_EQ(error_of(""), "dockerfile parse error on line 0: file with no instructions");
  EXPECT_EQ(error_of("# only\n\n"), "dockerfile parse error on line 2: file with no instructions");
  try {
    parse_dockerfile("FROM a\nNOPE\n");
    FAIL() << "no error";
  } catch (const ParseError& error) {
    EXPECT_EQ(error.line(), 2);
    EXPECT_EQ(error.exit_code(), 1);
  }
}

TEST(Parser, OnbuildHoldsOneOrdinaryInstruction) {
  Dockerfile file = parse_dockerfile("FROM a\nONBUILD COPY --chown=1:1 . /app\n");
  EXPECT_EQ(file.instructions[1].keyword, "onbuild");
  EXPECT_EQ(file.instructions[1].args, Words{"COPY --chown=1:1 . /app"});
  EXPECT_EQ(error_of("FROM a\nONBUILD onbuild RUN x\n"),
            "dockerfile parse error on line 2: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  EXPECT_EQ(error_of("FROM a\nONBUILD from b\n"), "dockerfile parse error on line 2: FROM isn't allowed as an ONBUILD trigger");
  EXPECT_EQ(error_of("FROM a\nONBUILD RUNN x\n"), "dockerfile parse error on line 2: unknown instruction: RUNN");
  EXPECT_EQ(error_of("FROM a\nONBUILD ENV x\n"), "dockerfile parse error on line 2: ENV must have two arguments");
}

TEST(Heredocs, RunWithOneHeredoc) {
  Dockerfile file = parse_dockerfile("FROM a\nRUN <<EOF\necho $HOME\n  indented\nEOF\nUSER me\n");
  ASSERT_EQ(file.instructions.size(), 3u);
  const Instruction& run = file.instructions[1];
  EXPECT_EQ(run.args, Words{"<<EOF"});
  ASSERT_EQ(run.heredocs.size(), 1u);
  EXPECT_EQ(run.heredocs[0].name, "EOF");
  EXPECT_EQ(run.heredocs[0].content, "echo $HOME\n  indented\n");
  EXPECT_TRUE(run.heredocs[0].expand);
  EXPECT_FALSE(run.heredocs[0].chomp);
  EXPECT_EQ(run.end_line, 5);
  EXPECT_EQ(file.instructions[2].line, 6);
}

TEST(Heredocs, DashStripsLeadingTabsQuotesStopExpansion) {
  Dockerfile file = parse_dockerfile("FROM a\nRUN <<-'END'\n\tone\n\t\ttwo\n  three\n\tEND\n");
  const Heredoc& doc = file.instructions[1].heredocs.at(0);
  EXPECT_EQ(doc.name, "END");
  EXPECT_TRUE(doc.chomp);
  EXPECT_FALSE(doc.expand);
  EXPECT_EQ(doc.content, "one\ntwo\n  three\n");
  EXPECT_FALSE(parse_dockerfile("FROM a\nRUN <<\"E\"\nx\nE\n").instructions[1].heredocs.at(0).expand);
  EXPECT_FALSE(parse_dockerfile("FROM a\nRUN <<E\\OF\nx\nEOF\n").instructions[1].heredocs.at(0).expand);
  // Without the dash, a tab-indented delimiter is content.
  EXPECT_EQ(error_of("FROM a\nRUN <<EOF\n\tEOF\n"), "dockerfile parse error on line 2: unterminated heredoc");
}

TEST(Heredocs, SeveralOnOneLineAndCopyToAFile) {
  Dockerfile file = parse_dockerfile(
      "FROM a\nRUN <<A cat - /dev/fd/3 3<<B\nfirst\nA\nsecond\nB\nCOPY <<EOF /etc/greeting\nhello\nEOF\nCMD x\n");
  const Instruction& run = file.instructions[1];
  ASSERT_EQ(run.heredocs.size(), 2u);
  EXPECT_EQ(run.heredocs[0].name, "A");
  EXPECT_EQ(run.heredocs[0].content, "first\n");
  EXPECT_EQ(run.heredocs[1].name, "B");
  EXPECT_EQ(run.heredocs[1].content, "second\n");
  const Instruction& copy = file.instructions[2];
  EXPECT_EQ(copy.args, (Words{"<<EOF", "/etc/greeting"}));
  EXPECT_EQ(copy.heredocs.at(0).content, "hello\n");
  EXPECT_EQ(copy.line, 7);
  EXPECT_EQ(file.instructions[3].line, 10);
}

TEST(Heredocs, OnlyRunCopyAddOpenThemAndAnUnclosedOneIsAnError) {
  // `<<` in a CMD is the shell's business: the next line is an instruction again.
  Dockerfile file = parse_dockerfile("FROM a\nCMD cat <<EOF\nUSER me\n");
  EXPECT_TRUE(file.instructions[1].heredocs.empty());
  EXPECT_EQ(file.instructions.size(), 3u);
  // A quoted `<<` is no heredoc.
  EXPECT_TRUE(parse_dockerfile("FROM a\nRUN echo '<<EOF'\n").instructions[1].heredocs.empty());
  EXPECT_EQ(error_of("FROM a\nRUN true\nRUN <<EOF\nno end\n"), "dockerfile parse error on line 3: unterminated heredoc");
  EXPECT_EQ(error_of("FROM a\nRUN <<A <<B\na\nA\nb\n"), "dockerfile parse error on line 2: unterminated heredoc");
}

TEST(SplitWords, KeepsQuotesAndEscapesSplitsOutsideQuotes) {
  EXPECT_EQ(split_words("a  \"b c\" 'd e'  f\\ g", '\\'), (Words{"a", "\"b c\"", "'d e'", "f\\ g"}));
  EXPECT_EQ(split_words("x=\"1 2\"y z", '\\'), (Words{"x=\"1 2\"y", "z"}));
  EXPECT_EQ(split_words("'a\\' b", '\\'), (Words{"'a\\'", "b"}));
  EXPECT_EQ(split_words("   ", '\\'), Words{});
}

}  // namespace
}  // namespace dockling::ch11
