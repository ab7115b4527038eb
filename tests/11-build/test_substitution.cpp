// Where docker substitutes: the instructions that expand their words, one value per variable
// per instruction, and the ARGs before the first FROM. These go through the exercise.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dockerfile.hpp"
#include "substitution.hpp"

namespace dockling::ch11 {
namespace {

using Words = std::vector<std::string>;

Instruction second(const std::string& text, const Variables& variables) {
  Dockerfile file = parse_dockerfile("FROM a\n" + text + "\n");
  return expand_instruction(file.instructions.at(1), variables, file.escape);
}

TEST(Substitution, TheInstructionsThatExpandAndThoseThatDoNot_Exercise) {
  const Variables variables{{"d", "/srv"}, {"u", "app"}, {"p", "8080"}, {"s", "SIGTERM"}};
  EXPECT_EQ(second("WORKDIR $d/x", variables).args, Words{"/srv/x"});
  EXPECT_EQ(second("USER ${u}:${g:-staff}", variables).args, Words{"app:staff"});
  EXPECT_EQ(second("EXPOSE $p ${p}/udp", variables).args, (Words{"8080", "8080/udp"}));
  EXPECT_EQ(second("STOPSIGNAL $s", variables).args, Words{"SIGTERM"});
  EXPECT_EQ(second("VOLUME [\"$d/data\"]", variables).args, Words{"/srv/data"});
  EXPECT_EQ(second("COPY --chown=$u:$u a* $d/", variables).args, (Words{"a*", "/srv/"}));
  EXPECT_EQ(second("COPY --chown=$u:$u a* $d/", variables).flags, Words{"--chown=app:app"});
  EXPECT_EQ(second("LABEL \"dir\"=\"$d\" 'raw'='$d'", variables).args, (Words{"dir", "/srv", "raw", "$d"}));
  // RUN, CMD, ENTRYPOINT and friends are the shell's: as written.
  EXPECT_EQ(second("RUN echo $d", variables).args, Words{"echo $d"});
  EXPECT_EQ(second("CMD [\"echo\", \"$d\"]", variables).args, (Words{"echo", "$d"}));
  EXPECT_EQ(second("HEALTHCHECK CMD test -d $d", variables).args, Words{"CMD test -d $d"});
}

TEST(Substitution, OneInstructionSeesOneValuePerVariable_Exercise) {
  Instruction env = second("ENV a=1 b=$a c=${a}x", Variables{{"a", "old"}});
  EXPECT_EQ(env.args, (Words{"a", "1", "b", "old", "c", "oldx"}));
  Instruction unset = second("ENV a=1 b=$a", Variables{});
  EXPECT_EQ(unset.args, (Words{"a", "1", "b", ""}));
  EXPECT_EQ(second("ENV PATH=$PATH:/opt/bin", Variables{{"PATH", "/bin"}}).args, (Words{"PATH", "/bin:/opt/bin"}));
  EXPECT_EQ(second("ENV msg \"hello $who\"", Variables{{"who", "you"}}).args, (Words{"msg", "hello you"}));
}

TEST(Substitution, EscapesAndTheEscapeDirective_Exercise) {
  EXPECT_EQ(second("WORKDIR \\$d", Variables{{"d", "x"}}).args, Words{"$d"});
  Dockerfile file = parse_dockerfile("# escape=`\nFROM a\nWORKDIR C:\\$d\\`$d\n");
  EXPECT_EQ(expand_instruction(file.instructions[1], Variables{{"d", "x"}}, file.escape).args, Words{"C:\\x\\$d"});
}

TEST(Substitution, AMalformedWordNamesItsLine_Exercise) {
  Dockerfile file = parse_dockerfile("FROM a\n\nWORKDIR ${d\n");
  try {
    expand_instruction(file.instructions[1], {}, file.escape);
    FAIL() << "no error";
  } catch (const ParseError& error) {
    EXPECT_STREQ(error.what(), "dockerfile parse error on line 3: failed to process \"${d\": missing ':' in substitution");
  }
}

TEST(Stages, ArgsBeforeFromAreSeenByFromOnly_Exercise) {
  Dockerfile file = parse_dockerfile(
      "ARG BASE=busybox\nARG TAG\nARG NAME=${BASE}-x\nFROM $BASE:${TAG:-latest} AS $NAME\nARG late=1\nFROM base$late\n");
  Variables meta = resolve_stages(file, Variables{{"TAG", "1.36"}});
  EXPECT_EQ(file.instructions[3].args, (Words{"busybox:1.36", "AS", "busybox-x"}));
  EXPECT_EQ(file.instructions[5].args, Words{"base"});  // an ARG inside a stage is not a meta arg
  EXPECT_EQ(meta, (Variables{{"BASE", "busybox"}, {"TAG", "1.36"}, {"NAME", "busybox-x"}}));
  Dockerfile plain = parse_dockerfile("ARG V=1\nFROM x:$V\n");
  resolve_stages(plain, {});
  EXPECT_EQ(plain.instructions[1].args, Words{"x:1"});
  Dockerfile overridden = parse_dockerfile("ARG V=1\nFROM x:$V\n");
  resolve_stages(overridden, Variables{{"V", "2"}});
  EXPECT_EQ(overridden.instructions[1].args, Words{"x:2"});
}

TEST(Stages, FromMissingOrAnUndeclaredArgIsAnError_Exercise) {
  auto error_of = [](const std::string& text) {
    try {
      Dockerfile file = parse_dockerfile(text);
      resolve_stages(file, {});
    } catch (const ParseError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error_of("ARG A=1\n\nRUN echo\nFROM a\n"), "dockerfile parse error on line 3: no build stage in current context");
  EXPECT_EQ(error_of("ARG A=1\nARG B\n"), "dockerfile parse error on line 2: dockerfile contains no stages to build");
  EXPECT_EQ(error_of("FROM $BASE\n"), "dockerfile parse error on line 1: base name ($BASE) should not be blank");
  EXPECT_EQ(error_of("ARG BASE\nFROM ${BASE}\n"), "dockerfile parse error on line 2: base name (${BASE}) should not be blank");
  EXPECT_EQ(error_of("FROM a\nARG BASE=x\nFROM $BASE\n"), "dockerfile parse error on line 3: base name ($BASE) should not be blank");
  EXPECT_EQ(error_of("ARG BASE=busybox\nFROM $BASE\n"), "no error");
}

}  // namespace
}  // namespace dockling::ch11
