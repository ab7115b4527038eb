// `build`: Dockerfiles made images in chapter 10's store, each step in the cache, as docker
// builds them. Every RUN is a real container; --network none keeps the host's bridge out.
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <regex>
#include <string>
#include <vector>

#include "dockling/fs.hpp"
#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"

namespace dockling::ch11 {
namespace {

using namespace dockling::testing;

class Build : public ::testing::Test {
 protected:
  TempDir tmp{"dockling-ch11-build"};
  std::string root = (tmp.path() / "root").string();
  std::string context = (tmp.path() / "context").string();

  void SetUp() override {
    DOCKLING_REQUIRE_ROOT();
    std::filesystem::create_directories(context);
    std::string tarball = (tmp.path() / "busybox.tar").string();
    RunResult tar = run({"/bin/tar", "-C", rootfs(), "-cf", tarball, "."});
    ASSERT_EQ(tar.exit_code, 0) << tar;
    RunResult imported = ch11({"import", tarball, "busybox"});
    ASSERT_EQ(imported.exit_code, 0) << imported;
  }
  void TearDown() override {
    if (!is_root()) return;
    // Nothing of a build stays behind: no step container, no scratch directory.
    RunResult left = ch11({"ps", "-a", "-q"});
    EXPECT_EQ(left.out, "") << left;
    std::error_code error;
    EXPECT_TRUE(std::filesystem::is_empty(std::filesystem::path(root) / "build", error) || error);
  }
  RunResult ch11(std::vector<std::string> args, const std::string& input = {}) {
    args.insert(args.begin(), {bin("ch11-build"), "--root", root});
    return run(args, milliseconds(60000), input);
  }
  void put(const std::string& name, const std::string& content) {
    std::filesystem::path path = std::filesystem::path(context) / name;
    std::filesystem::create_directories(path.parent_path());
    write_file(path.string(), content);
  }
  RunResult build(std::vector<std::string> flags) {
    std::vector<std::string> args{"build", "--network", "none"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.push_back(context);
    return ch11(args);
  }
  nlohmann::json config_of(const std::string& image) {
    RunResult inspected = ch11({"inspect", "--type", "image", image});
    EXPECT_EQ(inspected.exit_code, 0) << inspected;
    return parse_json(inspected.out).at(0).at("Config");
  }
};

TEST_F(Build, BuildsRunsAndRebuildsFromTheCache) {
  put("Dockerfile",
      "FROM busybox\n"
      "ARG GREETING=hi\n"
      "ENV NAME=world\n"
      "RUN echo \"$GREETING $NAME\" > /greeting && echo made the greeting\n"
      "COPY input.txt /input.txt\n"
      "WORKDIR app\n"
      "COPY app/ ./\n"
      "EXPOSE 8080 53/udp\n"
      "LABEL course=dockling chapter=\"11\"\n"
      "CMD [\"sh\", \"run.sh\"]\n");
  put("input.txt", "one\n");
  put("app/run.sh", "cat /greeting /input.txt; pwd\n");

  RunResult first = build({"-t", "demo:1"});
  ASSERT_EQ(first.exit_code, 0) << first;
  EXPECT_TRUE(std::regex_search(first.err, std::regex(" => \\[1/5\\] FROM docker.io/library/busybox:latest\n"
                                                      " => \\[2/5\\] RUN echo \"\\$GREETING \\$NAME\" > /greeting && "
                                                      "echo made the greeting  [0-9.]+s\n"
                                                      " => => # made the greeting\n"
                                                      " => \\[3/5\\] COPY input.txt /input.txt  [0-9.]+s\n"
                                                      " => \\[4/5\\] WORKDIR app  [0-9.]+s\n"
                                                      " => \\[5/5\\] COPY app/ ./  [0-9.]+s\n")))
      << first;
  EXPECT_NE(first.err.find(" => => naming to docker.io/library/demo:1\n"), std::string::npos) << first;

  RunResult ran = ch11({"run", "--rm", "--network", "none", "demo:1"});
  EXPECT_EQ(ran.exit_code, 0) << ran;
  EXPECT_EQ(ran.out, "hi world\none\n/app\n");
  nlohmann::json config = config_of("demo:1");
  EXPECT_EQ(config.at("WorkingDir"), "/app");
  EXPECT_EQ(config.at("Cmd"), nlohmann::json({"sh", "run.sh"}));
  EXPECT_EQ(config.at("ExposedPorts"), nlohmann::json({{"8080/tcp", nlohmann::json::object()},
                                                      {"53/udp", nlohmann::json::object()}}));
  EXPECT_EQ(config.at("Labels"), nlohmann::json({{"course", "dockling"}, {"chapter", "11"}}));
  EXPECT_NE(config.at("Env").dump().find("\"NAME=world\""), std::string::npos) << config;

  // Built again: every step from the cache, and the same image.
  RunResult again = build({"-q", "-t", "demo:2"});
  ASSERT_EQ(again.exit_code, 0) << again;
  RunResult ids = ch11({"images", "-q", "--no-trunc", "demo:1"});
  EXPECT_EQ(again.out, ids.out) << again;
  RunResult shown = build({});
  EXPECT_NE(shown.err.find(" => CACHED [2/5] RUN "), std::string::npos) << shown;
  EXPECT_NE(shown.err.find(" => CACHED [5/5] COPY app/ ./\n"), std::string::npos) << shown;

  // One copied file changed: the cache breaks at its COPY, and every later step builds.
  put("input.txt", "two\n");
  RunResult changed = build({"-t", "demo:3"});
  ASSERT_EQ(changed.exit_code, 0) << changed;
  EXPECT_NE(changed.err.find(" => CACHED [2/5] RUN "), std::string::npos) << changed;
  EXPECT_TRUE(std::regex_search(changed.err, std::regex(" => \\[3/5\\] COPY input.txt /input.txt  [0-9.]+s\n"
                                                        " => \\[4/5\\] WORKDIR app  [0-9.]+s\n"
                                                        " => \\[5/5\\] COPY app/ ./  [0-9.]+s\n")))
      << changed;
  EXPECT_EQ(ch11({"run", "--rm", "--network", "none", "demo:3"}).out, "hi world\ntwo\n/app\n");
  // A --build-arg is part of the RUN's key.
  RunResult other = build({"--build-arg", "GREETING=hello", "-t", "demo:4"});
  ASSERT_EQ(other.exit_code, 0) << other;
  EXPECT_NE(other.err.find(" => [2/5] RUN "), std::string::npos) << other;
  EXPECT_EQ(ch11({"run", "--rm", "--network", "none", "demo:4"}).out, "hello world\ntwo\n/app\n");
  // `images` lists the tagged images, not the steps.
  EXPECT_EQ(ch11({"images", "-q"}).out.size(), 13U * 5) << ch11({"images"});  // busybox, demo:1 to 4

  // The cache survives the images it made; --no-cache and `builder prune` do not use it.
  ASSERT_EQ(ch11({"rmi", "demo:1", "demo:2", "demo:3", "demo:4"}).exit_code, 0);
  RunResult after_rmi = build({});
  EXPECT_NE(after_rmi.err.find(" => CACHED [5/5] COPY app/ ./\n"), std::string::npos) << after_rmi;
  RunResult no_cache = build({"--no-cache"});
  EXPECT_EQ(no_cache.err.find("CACHED"), std::string::npos) << no_cache;
  RunResult pruned = ch11({"builder", "prune", "-f"});
  EXPECT_TRUE(std::regex_search(pruned.out, std::regex("^Deleted build cache objects:\n([0-9a-f]{25}\n)+\n"
                                                       "Total reclaimed space: [0-9.]+[kM]?B\n$")))
      << pruned;
  EXPECT_EQ(read_file(root + "/build-cache.json"), "[]\n");
  RunResult cold = build({});
  EXPECT_EQ(cold.err.find("CACHED"), std::string::npos) << cold;
}

TEST_F(Build, StagesTargetsAndCopyFrom) {
  put("Dockerfile",
      "FROM busybox AS build\n"
      "RUN mkdir /out && printf '#!/bin/sh\\necho built in stage one\\n' > /out/app && chmod 755 /out/app\n"
      "FROM busybox AS broken\n"
      "RUN exit 7\n"
      "FROM busybox\n"
      "COPY --from=build /out/app /usr/local/bin/\n"
      "COPY --chown=nobody:nogroup --chmod=600 <<EOF /etc/note\n"
      "written by a heredoc\n"
      "EOF\n"
      "CMD [\"app\"]\n");
  RunResult built = build({"-t", "multi"});
  ASSERT_EQ(built.exit_code, 0) << built;  // the broken stage is never needed
  EXPECT_EQ(built.err.find("broken"), std::string::npos) << built;
  EXPECT_NE(built.err.find(" => [build 2/2] RUN mkdir /out"), std::string::npos) << built;
  RunResult ran = ch11({"run", "--rm", "--network", "none", "multi"});
  EXPECT_EQ(ran.out, "built in stage one\n") << ran;
  RunResult note = ch11({"run", "--rm", "--network", "none", "multi", "stat", "-c", "%U:%G %a %s", "/etc/note"});
  EXPECT_EQ(note.out, "nobody:nogroup 600 21\n") << note;

  RunResult target = build({"--target", "broken"});
  EXPECT_EQ(target.exit_code, 1) << target;
  EXPECT_NE(target.err.find("ch11-build: Dockerfile:4: process \"/bin/sh -c exit 7\" did not complete successfully: "
                            "exit code: 7"),
            std::string::npos)
      << target;
  EXPECT_EQ(target.err.find("[build "), std::string::npos) << target;  // --target builds what it needs only
  RunResult missing = build({"--target", "nosuch"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("failed to reach build target nosuch in Dockerfile"), std::string::npos) << missing;
}

TEST_F(Build, ErrorsNameTheLineAndLeaveNothing) {
  put("Dockerfile", "FROM busybox\nRUN true\nRUNN false\n");
  RunResult parse = build({"-t", "bad"});
  EXPECT_EQ(parse.exit_code, 1);
  EXPECT_NE(parse.err.find("ch11-build: Dockerfile: dockerfile parse error on line 3: unknown instruction: RUNN"),
            std::string::npos)
      << parse;

  put("Dockerfile", "FROM busybox\nRUN echo about to fail; echo on stderr >&2; exit 3\n");
  RunResult failed = build({"-t", "bad"});
  EXPECT_EQ(failed.exit_code, 1);
  EXPECT_NE(failed.err.find("Dockerfile:2: process \"/bin/sh -c echo about to fail; echo on stderr >&2; exit 3\" "
                            "did not complete successfully: exit code: 3\n  about to fail\n  on stderr\n"),
            std::string::npos)
      << failed;

  put("Dockerfile", "FROM busybox\nCOPY nosuch /x\n");
  RunResult missing = build({});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("Dockerfile:2: failed to compute cache key: \"/nosuch\": not found"), std::string::npos)
      << missing;
  put("Dockerfile", "FROM busybox\nCOPY ../outside /x\n");
  RunResult outside = build({});
  EXPECT_NE(outside.err.find("Dockerfile:2: failed to compute cache key: forbidden path outside the build context"),
            std::string::npos)
      << outside;
  put("a", "a");
  put("b", "b");
  put("Dockerfile", "FROM busybox\nCOPY a b /file\n");
  RunResult not_dir = build({});
  EXPECT_NE(not_dir.err.find("Dockerfile:2: When using COPY with more than one source file, the destination must be a "
                             "directory and end with a /"),
            std::string::npos)
      << not_dir;
  put("Dockerfile", "FROM busybox\nCOPY a b /etc\n");  // a directory already, but no '/': BuildKit refuses it too
  RunResult no_slash = build({});
  EXPECT_NE(no_slash.err.find("Dockerfile:2: When using COPY with more than one source file"), std::string::npos)
      << no_slash;
  put("Dockerfile", "FROM nosuch:1\n");
  RunResult no_base = build({});
  EXPECT_NE(no_base.err.find("Dockerfile:1: No such image: nosuch:1"), std::string::npos) << no_base;
  EXPECT_EQ(ch11({"images", "-q"}).out.size(), 13U) << "only busybox";
}

TEST_F(Build, HeredocsRunAsScriptsAndCountInTheCacheKey) {
  auto dockerfile = [](const std::string& second_line) {
    return "FROM busybox\n"
           "RUN <<EOF\n"
           "echo first line > /heredoc\n" +
           second_line +
           "\nEOF\n"
           "RUN cat <<-'END' > /quoted\n"
           "\t$HOME stays as written\n"
           "\tEND\n"
           "CMD [\"cat\", \"/heredoc\", \"/quoted\"]\n";
  };
  put("Dockerfile", dockerfile("echo \"second $((1 + 1))\" >> /heredoc"));
  RunResult built = build({"-t", "heredocs"});
  ASSERT_EQ(built.exit_code, 0) << built;
  EXPECT_EQ(ch11({"run", "--rm", "--network", "none", "heredocs"}).out, "first line\nsecond 2\n$HOME stays as written\n");
  // Another body is another step, though the instruction's line reads the same.
  put("Dockerfile", dockerfile("echo changed >> /heredoc"));
  RunResult changed = build({"-t", "heredocs"});
  ASSERT_EQ(changed.exit_code, 0) << changed;
  EXPECT_NE(changed.err.find(" => [2/3] RUN <<EOF  "), std::string::npos) << changed;
  EXPECT_EQ(ch11({"run", "--rm", "--network", "none", "heredocs"}).out, "first line\nchanged\n$HOME stays as written\n");
}

TEST_F(Build, DockerignoreAndTheConfigInstructions) {
  put(".dockerignore", "secret*\n*.log\n!keep.log\n");
  put("secret.txt", "no\n");
  put("debug.log", "no\n");
  put("keep.log", "yes\n");
  put("src/main.sh", "yes\n");
  put("src/other.sh", "yes\n");
  put("Dockerfile",
      "FROM busybox AS base\n"
      "ONBUILD COPY keep.log /from-trigger\n"
      "FROM base\n"
      "COPY . /ctx/\n"
      "COPY src/*.sh /scripts\n"  // one pattern, two files: into a directory
      "SHELL [\"/bin/sh\", \"-ec\"]\n"
      "ENTRYPOINT exec /bin/echo\n"
      "USER 1000:1000\n"
      "VOLUME /data\n"
      "STOPSIGNAL SIGINT\n"
      "HEALTHCHECK --interval=30s --retries=2 CMD test -e /ctx/keep.log\n"
      "MAINTAINER the course\n");
  RunResult built = build({"-t", "configured"});
  ASSERT_EQ(built.exit_code, 0) << built;
  nlohmann::json config = config_of("configured");
  EXPECT_EQ(config.at("Entrypoint"), nlohmann::json({"/bin/sh", "-ec", "exec /bin/echo"}));
  EXPECT_TRUE(config.at("Cmd").is_null()) << config;  // ENTRYPOINT drops the base's CMD
  EXPECT_EQ(config.at("User"), "1000:1000");
  EXPECT_EQ(config.at("Volumes"), nlohmann::json({{"/data", nlohmann::json::object()}}));
  EXPECT_EQ(config.at("StopSignal"), "SIGINT");
  EXPECT_EQ(config.at("Healthcheck"),
            nlohmann::json({{"Test", {"CMD-SHELL", "test -e /ctx/keep.log"}}, {"Interval", 30000000000}, {"Retries", 2}}));
  EXPECT_TRUE(config.at("OnBuild").is_null()) << "the triggers ran: they are not inherited";
  RunResult files = ch11({"run", "--rm", "--network", "none", "--entrypoint", "", "-u", "0", "configured", "sh", "-c",
                          "find /ctx /from-trigger /scripts | sort"});
  EXPECT_EQ(files.out,
            "/ctx\n/ctx/.dockerignore\n/ctx/Dockerfile\n/ctx/keep.log\n/ctx/src\n/ctx/src/main.sh\n/ctx/src/other.sh\n"
            "/from-trigger\n/scripts\n/scripts/main.sh\n/scripts/other.sh\n")
      << files;
}

TEST_F(Build, ArgumentsAreScopedAsDockerScopesThem) {
  put("Dockerfile",
      "ARG BASE=busybox\n"
      "ARG V=meta\n"
      "FROM $BASE\n"
      "LABEL before=\"[$V]\"\n"    // a meta ARG is not seen in a stage...
      "ARG V\n"                       // ...until the stage declares it: then it has the meta value
      "LABEL declared=$V\n"
      "ARG W=stage\n"
      "ENV W=env\n"                   // ENV wins over an ARG of the same name
      "LABEL w=$W\n"
      "ARG FROM_CLI\n"
      "LABEL cli=${FROM_CLI:-unset}\n");
  RunResult built = build({"--build-arg", "FROM_CLI=given", "-t", "args"});
  ASSERT_EQ(built.exit_code, 0) << built;
  EXPECT_EQ(config_of("args").at("Labels"),
            nlohmann::json({{"before", "[]"}, {"declared", "meta"}, {"w", "env"}, {"cli", "given"}}));

  put("Dockerfile", "FROM --platform=linux/s390x busybox\n");
  RunResult platform = build({});
  EXPECT_EQ(platform.exit_code, 1);
  EXPECT_NE(platform.err.find("Dockerfile:1: FROM --platform=linux/s390x: this builder builds for linux/"),
            std::string::npos)
      << platform;
}

TEST_F(Build, AddUnpacksLocalArchivesOfEveryCompression) {
  put("tree/dir/file", "in the archive\n");
  for (const auto& [flag, name] : std::vector<std::pair<std::string, std::string>>{
           {"-cf", "a.tar"}, {"-czf", "a.tar.gz"}, {"-cjf", "a.tar.bz2"}, {"-cJf", "a.tar.xz"}}) {
    RunResult tar = run({"/bin/tar", "-C", context + "/tree", flag, context + "/" + name, "dir"});
    ASSERT_EQ(tar.exit_code, 0) << tar;
  }
  RunResult gzip = run({"/bin/sh", "-c", "gzip -c " + context + "/tree/dir/file > " + context + "/plain.gz"});
  ASSERT_EQ(gzip.exit_code, 0) << gzip;
  // The Dockerfile from standard input (-f -), as docker reads it.
  std::string dockerfile =
      "FROM busybox\n"
      "ADD a.tar /tar/\n"
      "ADD a.tar.gz /gz/\n"
      "ADD a.tar.bz2 /bz2/\n"
      "ADD a.tar.xz /xz/\n"
      "ADD plain.gz /copied/\n"
      "RUN echo \"proxy=$HTTP_PROXY\"\n";
  // A predefined proxy ARG reaches RUN without an ARG line, and is no unused build-arg.
  RunResult built = ch11({"build", "--network", "none", "-f", "-", "--build-arg", "HTTP_PROXY=http://proxy.invalid:3128",
                          "-t", "added", context},
                         dockerfile);
  ASSERT_EQ(built.exit_code, 0) << built;
  EXPECT_NE(built.err.find(" => => # proxy=http://proxy.invalid:3128\n"), std::string::npos) << built;
  EXPECT_EQ(built.err.find("[Warning]"), std::string::npos) << built;
  RunResult history = ch11({"history", "--no-trunc", "added"});
  EXPECT_EQ(history.out.find("proxy.invalid"), std::string::npos) << history;
  RunResult files = ch11({"run", "--rm", "--network", "none", "added", "sh", "-c",
                          "cat /tar/dir/file /gz/dir/file /bz2/dir/file /xz/dir/file; ls /copied"});
  EXPECT_EQ(files.out, "in the archive\nin the archive\nin the archive\nin the archive\nplain.gz\n") << files;
}

TEST_F(Build, AnOrdinaryUserIsToldThatBuildNeedsRoot) {
  HostUser user;
  TempDir state("dockling-ch11-user");
  put("Dockerfile", "FROM busybox\n");
  RunResult refused = run(as_user(user, state, {bin("ch11-build"), "build", context}));
  EXPECT_EQ(refused.exit_code, 1) << refused;
  EXPECT_EQ(refused.err, "ch11-build: build needs root for now (sudo): rootless builds are not supported yet; rootless "
                         "`run` of an image is\n");
}

TEST_F(Build, AnInterruptedBuildLeavesNoContainerMountOrStep) {
  put("Dockerfile", "FROM busybox\nRUN echo started; sleep 60\n");
  Background building({bin("ch11-build"), "--root", root, "build", "--network", "none", "-t", "never", context});
  // Interrupted while its RUN runs: once the step's container is there.
  bool running = false;
  for (int i = 0; i < 200 && !running; ++i) {
    running = ch11({"ps", "-q"}).out.size() == 13;
    if (!running) ::usleep(50 * 1000);
  }
  ASSERT_TRUE(running) << "the RUN step's container never ran";
  building.signal(SIGINT);
  RunResult result = building.wait(milliseconds(20000));
  EXPECT_EQ(result.exit_code, 130) << result;
  EXPECT_NE(result.err.find("ch11-build: build interrupted by SIGINT: nothing of the unfinished step was kept\n"),
            std::string::npos)
      << result;
  EXPECT_EQ(mounts_under(root), "");
  EXPECT_EQ(ch11({"images", "-q", "never"}).out, "");  // TearDown: no container, no step directory
}

}  // namespace
}  // namespace dockling::ch11
