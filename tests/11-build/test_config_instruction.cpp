// The instructions that only edit the image config, as BuildKit applies them: no process,
// no layer, so they are tested on the config alone.
#include <gtest/gtest.h>

#include <string>

#include "config_instruction.hpp"
#include "dockerfile.hpp"
#include "dockling/error.hpp"

namespace dockling::ch11 {
namespace {

using ojson = nlohmann::ordered_json;

/// `text` (one instruction) applied to `image`.
void apply(ojson& image, const std::string& text, bool& cmd_set) {
  Dockerfile file = parse_dockerfile("FROM scratch\n" + text + "\n");
  apply_config_instruction(image, file.instructions.at(1), cmd_set);
}

ojson applied(const std::vector<std::string>& lines, ojson image = ojson::object()) {
  bool cmd_set = false;
  for (const auto& line : lines) apply(image, line, cmd_set);
  return image;
}

TEST(ConfigInstruction, EnvReplacesByNameAndLabelsAccumulate) {
  ojson image = applied({"ENV A=1 B=2", "ENV A=3", "LABEL x=1", "LABEL y=2 x=3", "MAINTAINER me"},
                        ojson{{"config", {{"Env", {"PATH=/bin"}}}}});
  EXPECT_EQ(image["config"]["Env"], ojson({"PATH=/bin", "A=3", "B=2"}));
  EXPECT_EQ(image["config"]["Labels"], ojson({{"x", "3"}, {"y", "2"}}));
  EXPECT_EQ(image["author"], "me");
}

TEST(ConfigInstruction, ExposeTakesRangesAndProtocols) {
  ojson image = applied({"EXPOSE 80 53/UDP 7000-7002/tcp"});
  EXPECT_EQ(image["config"]["ExposedPorts"],
            ojson({{"80/tcp", ojson::object()}, {"53/udp", ojson::object()}, {"7000/tcp", ojson::object()},
                   {"7001/tcp", ojson::object()}, {"7002/tcp", ojson::object()}}));
  for (const char* bad : {"EXPOSE abc", "EXPOSE 70000", "EXPOSE 9-8", "EXPOSE 80/icmp"})
    EXPECT_THROW(applied({bad}), Error) << bad;
}

TEST(ConfigInstruction, CmdAndEntrypointFollowShellAndDockersTable) {
  // The shell form goes through SHELL; the exec form as written.
  ojson image = applied({"SHELL [\"/bin/bash\", \"-ec\"]", "CMD echo hi"});
  EXPECT_EQ(image["config"]["Cmd"], ojson({"/bin/bash", "-ec", "echo hi"}));
  // An ENTRYPOINT drops a CMD the stage did not set (the base image's)...
  ojson base{{"config", {{"Cmd", {"sh"}}}}};
  EXPECT_TRUE(applied({"ENTRYPOINT [\"/app\"]"}, base)["config"]["Cmd"].is_null());
  // ...and keeps one the stage set before it.
  ojson kept = applied({"CMD [\"--help\"]", "ENTRYPOINT [\"/app\"]"}, base);
  EXPECT_EQ(kept["config"]["Cmd"], ojson({"--help"}));
  EXPECT_EQ(kept["config"]["Entrypoint"], ojson({"/app"}));
  // `CMD []` clears it.
  EXPECT_EQ(applied({"CMD []"}, base)["config"]["Cmd"], ojson::array());
}

TEST(ConfigInstruction, HealthcheckWithGoDurations) {
  ojson image = applied({"HEALTHCHECK --interval=1m30s --timeout=500ms --start-period=2s --retries=4 CMD [\"test\", "
                         "\"-e\", \"/ok\"]"});
  EXPECT_EQ(image["config"]["Healthcheck"], ojson({{"Test", {"CMD", "test", "-e", "/ok"}},
                                                   {"Interval", 90000000000},
                                                   {"Timeout", 500000000},
                                                   {"StartPeriod", 2000000000},
                                                   {"Retries", 4}}));
  EXPECT_EQ(applied({"HEALTHCHECK NONE"})["config"]["Healthcheck"], ojson({{"Test", {"NONE"}}}));
  EXPECT_EQ(applied({"HEALTHCHECK CMD curl -f localhost"})["config"]["Healthcheck"]["Test"],
            ojson({"CMD-SHELL", "curl -f localhost"}));
  for (const char* bad : {"HEALTHCHECK --interval=30 CMD true", "HEALTHCHECK --interval=5x CMD true",
                          "HEALTHCHECK --retries=two CMD true", "HEALTHCHECK --bogus=1 CMD true", "HEALTHCHECK RUN x",
                          "HEALTHCHECK NONE extra"})
    EXPECT_THROW(applied({bad}), Error) << bad;
}

TEST(ConfigInstruction, TheRest) {
  ojson image = applied({"USER app:staff", "VOLUME /data /logs", "STOPSIGNAL SIGINT", "ONBUILD RUN make"});
  EXPECT_EQ(image["config"]["User"], "app:staff");
  EXPECT_EQ(image["config"]["Volumes"], ojson({{"/data", ojson::object()}, {"/logs", ojson::object()}}));
  EXPECT_EQ(image["config"]["StopSignal"], "SIGINT");
  EXPECT_EQ(image["config"]["OnBuild"], ojson({"RUN make"}));
  EXPECT_TRUE(edits_config_only("healthcheck"));
  EXPECT_FALSE(edits_config_only("run"));
}

TEST(ConfigInstruction, GoDurations) {
  EXPECT_EQ(parse_duration("1h2m3s"), 3723000000000);
  EXPECT_EQ(parse_duration("1.5s"), 1500000000);
  EXPECT_EQ(parse_duration("250us"), 250000);
  try {
    parse_duration("5x");
    ADD_FAILURE() << "5x parsed";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "time: unknown unit \"x\" in duration \"5x\"");
  }
}

}  // namespace
}  // namespace dockling::ch11
