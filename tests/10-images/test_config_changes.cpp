// import --change: Dockerfile instructions applied to docker's container config. The
// expected configs and messages are what docker 20.10's import wrote and answered.
#include <gtest/gtest.h>

#include "config_changes.hpp"
#include "dockling/error.hpp"

namespace dockling::ch10 {
namespace {

using ojson = nlohmann::ordered_json;

ojson changed(const std::vector<std::string>& changes) {
  ojson config = docker_container_config(nullptr);
  apply_changes(config, changes);
  return config;
}

std::string refusal(const std::vector<std::string>& changes) {
  try {
    changed(changes);
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 1);
    return e.what();
  }
  return "";
}

TEST(ConfigChanges, TheEmptyConfigIsDockersInItsOrder) {
  EXPECT_EQ(docker_container_config(nullptr).dump(),
            R"({"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,)"
            R"("Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":null,"Image":"","Volumes":null,)"
            R"("WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":null})");
  // An OCI config (umoci, skopeo) has fewer fields; omitempty ones appear only when set.
  ojson oci = docker_container_config(nlohmann::json::parse(R"({"Env":["A=1"],"StopSignal":"SIGINT","ExposedPorts":{}})"));
  EXPECT_EQ(oci["Env"], ojson::array({"A=1"}));
  EXPECT_EQ(oci["StopSignal"], "SIGINT");
  EXPECT_FALSE(oci.contains("ExposedPorts"));
  EXPECT_EQ(oci.size(), 18u);
}

TEST(ConfigChanges, AsDockerWritesThem) {
  ojson config = changed({"ENV a b c", R"(ENV "x y"=1 z="q r" w=a\ b)", R"(LABEL "a b"=c d=e)", "EXPOSE 80/udp 90 100-102",
                          R"(VOLUME ["/a","/b"])", "VOLUME /c /d", R"(CMD ["a", "b"])", "ENTRYPOINT echo $HOME",
                          "HEALTHCHECK --interval=5s CMD true"});
  EXPECT_EQ(nlohmann::json(config).dump(), nlohmann::json::parse(R"({"Hostname":"","Domainname":"","User":"",
      "AttachStdin":false,"AttachStdout":false,"AttachStderr":false,
      "ExposedPorts":{"100/tcp":{},"101/tcp":{},"102/tcp":{},"80/udp":{},"90/tcp":{}},"Tty":false,"OpenStdin":false,
      "StdinOnce":false,"Env":["a=b c","x y=1","z=q r","w=a b"],"Cmd":["a","b"],
      "Healthcheck":{"Test":["CMD-SHELL","true"],"Interval":5000000000},"Image":"","Volumes":{"/a":{},"/b":{},"/c":{},"/d":{}},
      "WorkingDir":"","Entrypoint":["/bin/sh","-c","echo $HOME"],"OnBuild":null,"Labels":{"a b":"c","d":"e"}})").dump());
  // docker's field order: ExposedPorts after AttachStderr, Healthcheck after Cmd.
  auto it = config.begin();
  std::advance(it, 6);
  EXPECT_EQ(it.key(), "ExposedPorts");
  EXPECT_EQ(config["Healthcheck"].begin().key(), "Test");
}

TEST(ConfigChanges, ShellAndJsonForms) {
  EXPECT_EQ(changed({"CMD echo hi"})["Cmd"], ojson::array({"/bin/sh", "-c", "echo hi"}));
  EXPECT_EQ(changed({"cmd  echo   a  b "})["Cmd"], ojson::array({"/bin/sh", "-c", "echo   a  b"}));
  EXPECT_EQ(changed({R"(CMD ["x"])"})["Cmd"], ojson::array({"x"}));
  EXPECT_EQ(changed({"CMD [bad"})["Cmd"], ojson::array({"/bin/sh", "-c", "[bad"}));
  EXPECT_EQ(changed({"CMD"})["Cmd"], ojson::array({"/bin/sh", "-c"}));
  EXPECT_EQ(changed({"CMD []"})["Cmd"], ojson::array());
  EXPECT_TRUE(changed({"ENTRYPOINT []"})["Entrypoint"].is_null());
  EXPECT_EQ(changed({R"(HEALTHCHECK --interval=1m30s --retries=3 CMD ["curl","x"])"})["Healthcheck"].dump(),
            R"({"Test":["CMD","curl","x"],"Interval":90000000000,"Retries":3})");
  EXPECT_EQ(changed({"HEALTHCHECK NONE"})["Healthcheck"].dump(), R"({"Test":["NONE"]})");
}

TEST(ConfigChanges, EnvExpandsAndReplaces) {
  ojson config = changed({"ENV U=me", "USER $U", "ENV q=${U:-no} r=${NOPE:-def} s=${U:+set} t=$NOPE", "LABEL a=$X",
                          R"(ENV a="x\"y" b='s $q' c=\$d)", "ENV U=you", "ENV a= b="});
  EXPECT_EQ(config["User"], "me");
  EXPECT_EQ(config["Env"], ojson::array({"U=you", "q=me", "r=def", "s=set", "t=", "a=", "b=", "c=$d"}));
  EXPECT_EQ(config["Labels"]["a"], "");
  EXPECT_EQ(changed({"ENV a b=c  d"})["Env"], ojson::array({"a=b=c  d"}));
}

TEST(ConfigChanges, WorkdirOnbuildExpose) {
  EXPECT_EQ(changed({"WORKDIR rel/"})["WorkingDir"], "/rel");
  EXPECT_EQ(changed({"WORKDIR /a", "WORKDIR b/../c"})["WorkingDir"], "/a/c");
  EXPECT_EQ(changed({"ONBUILD run x", "ONBUILD RUN y"})["OnBuild"], ojson::array({"run x", "RUN y"}));
  EXPECT_EQ(changed({"EXPOSE 53/UDP 8080/tcp"})["ExposedPorts"].dump(), R"({"53/udp":{},"8080/tcp":{}})");
  EXPECT_EQ(changed({"LABEL a b"})["Labels"].dump(), R"({"a":"b"})");
}

TEST(ConfigChanges, RefusedWithDockersWords) {
  EXPECT_EQ(refusal({"STOPSIGNAL SIGTERM"}), "stopsignal is not a valid change command");
  EXPECT_EQ(refusal({"RUN x"}), "run is not a valid change command");
  EXPECT_EQ(refusal({"FROM x"}), "from is not a valid change command");
  EXPECT_EQ(refusal({"EXPOSE abc"}), "Invalid containerPort: abc");
  EXPECT_EQ(refusal({"EXPOSE 80/xyz"}), "Invalid proto: xyz");
  EXPECT_EQ(refusal({"EXPOSE 70000"}), "Invalid containerPort: 70000");
  EXPECT_EQ(refusal({"EXPOSE 80-70"}), "Invalid containerPort: 80-70");
  EXPECT_EQ(refusal({"ENV a"}), "ENV must have two arguments");
  EXPECT_EQ(refusal({"ENV a=b c"}), R"(Syntax error - can't find = in "c". Must be of the form: name=value)");
  EXPECT_EQ(refusal({"ENV"}), "ENV requires at least one argument");
  EXPECT_EQ(refusal({"LABEL a"}), "LABEL must have two arguments");
  EXPECT_EQ(refusal({"VOLUME"}), "VOLUME requires at least one argument");
  EXPECT_EQ(refusal({R"(VOLUME [""])"}), "VOLUME specified can not be an empty string");
  EXPECT_EQ(refusal({"WORKDIR"}), "WORKDIR requires exactly one argument");
  EXPECT_EQ(refusal({"USER"}), "USER requires exactly one argument");
  EXPECT_EQ(refusal({"ONBUILD ONBUILD x"}), "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  EXPECT_EQ(refusal({R"(CMD ["a", 1])"}), "when using JSON array syntax, arrays must be comprised of strings only");
  EXPECT_EQ(refusal({"HEALTHCHECK NONE x"}), "HEALTHCHECK NONE takes no arguments");
  EXPECT_EQ(refusal({"HEALTHCHECK --timeout=abc CMD x"}), R"(time: invalid duration "abc")");
  EXPECT_EQ(refusal({"HEALTHCHECK CMD"}), "Missing command after HEALTHCHECK CMD");
  EXPECT_EQ(refusal({"HEALTHCHECK --bogus=1 CMD x"}), "Unknown flag: bogus");
  EXPECT_EQ(refusal({""}), "file with no instructions");
  EXPECT_EQ(refusal({"# comment"}), "file with no instructions");
}

}  // namespace
}  // namespace dockling::ch10
