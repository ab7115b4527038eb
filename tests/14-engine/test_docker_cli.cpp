// The real docker CLI (Debian's docker.io 20.10, unpacked into the build tree by
// scripts/fetch-docker-cli) against our daemon: the lecture notes' commands, typed as written.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "dockling/fs.hpp"
#include "dockling/pty_session.hpp"
#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"
#include "docker_cli_fixture.hpp"

namespace dockling::ch14 {
namespace {

namespace fs = std::filesystem;

TEST_F(DockerCli, RunStreamsTheOutputAndReturnsTheExitCode) {
  RunResult hello = docker({"run", "--rm", "--network", "none", "busybox", "echo", "hello from dockling"});
  EXPECT_EQ(hello.exit_code, 0) << hello;
  EXPECT_EQ(hello.out, "hello from dockling\n");
  // Its stdin at its end at once (a script's </dev/null): the CLI half-closes the attach
  // connection, and still reads the output.
  RunResult closed = run({"/bin/sh", "-c", "exec \"$@\" </dev/null", "sh", "/usr/bin/env", "DOCKER_HOST=unix://" + socket,
                          docker_cli(), "run", "--rm", "--network", "none", "busybox", "echo", "stdin closed"});
  EXPECT_EQ(closed.out, "stdin closed\n") << closed;
  // -i: the container reads the CLI's stdin, to its end (the lecture notes' `echo hi | docker run -i`).
  RunResult piped = run({"/usr/bin/env", "DOCKER_HOST=unix://" + socket, docker_cli(), "run", "-i", "--rm", "--network",
                         "none", "busybox", "sh", "-c", "cat; echo end of input"},
                        milliseconds(30000), "hi\nthere\n");
  EXPECT_EQ(piped.exit_code, 0) << piped;
  EXPECT_EQ(piped.out, "hi\nthere\nend of input\n") << piped;
  RunResult failed = docker({"run", "--rm", "--network", "none", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(failed.exit_code, 3) << failed;
  EXPECT_EQ(failed.out, "out\n");
  EXPECT_EQ(failed.err, "err\n");
  EXPECT_EQ(docker({"ps", "-aq"}).out, "") << "--rm removed both";
}

TEST_F(DockerCli, ADetachedContainerIsListedLoggedStoppedAndRemoved) {
  RunResult started = docker({"run", "-d", "--name", "web", "--network", "none", "busybox", "sh", "-c",
                              "echo started; trap 'echo bye; exit 0' TERM; while true; do sleep 0.1; done"});
  ASSERT_EQ(started.exit_code, 0) << started;
  EXPECT_TRUE(std::regex_match(started.out, std::regex("[0-9a-f]{64}\n"))) << started;
  std::string id = started.out.substr(0, 12);
  RunResult ps = docker({"ps"});
  EXPECT_NE(ps.out.find(id + "   busybox   \"sh -c 'echo started…\""), std::string::npos) << ps;
  EXPECT_NE(ps.out.find("   Up "), std::string::npos) << ps;
  EXPECT_NE(ps.out.find("web\n"), std::string::npos) << ps;
  for (int i = 0; i < 100 && docker({"logs", "web"}).out.empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(docker({"logs", "web"}).out, "started\n");
  EXPECT_EQ(docker({"inspect", "--format", "{{.State.Status}} {{.Name}}", "web"}).out, "running /web\n");
  // top: the host's ps, only the container's processes (its shell and its sleep).
  RunResult top = docker({"top", "web"});
  EXPECT_EQ(top.exit_code, 0) << top;
  EXPECT_TRUE(std::regex_search(top.out, std::regex("^UID +PID +PPID +C +STIME +TTY +TIME +CMD\n"))) << top;
  EXPECT_NE(top.out.find("sh -c echo started;"), std::string::npos) << top;
  EXPECT_EQ(top.out.find("ch14-engine"), std::string::npos) << "the monitor is not the container's: " << top;
  // rename: the record's name changes; a name in use is refused.
  expect_ok({"rename", "web", "site"});
  EXPECT_EQ(docker({"inspect", "--format", "{{.Name}}", started.out.substr(0, 12)}).out, "/site\n");
  ASSERT_EQ(docker({"create", "--name", "other", "--network", "none", "busybox", "true"}).exit_code, 0);
  RunResult taken = docker({"rename", "site", "other"});
  EXPECT_EQ(taken.exit_code, 1) << taken;
  EXPECT_NE(taken.err.find("is already in use"), std::string::npos) << taken;
  expect_ok({"rm", "other"});
  expect_ok({"rename", "site", "web"});

  RunResult refused = docker({"rm", "web"});
  EXPECT_EQ(refused.exit_code, 1) << refused;
  EXPECT_NE(refused.err.find("You cannot remove a running container " + started.out.substr(0, 64)), std::string::npos) << refused;

  RunResult stopped = docker({"stop", "web"});
  EXPECT_EQ(stopped.exit_code, 0) << stopped;
  EXPECT_EQ(stopped.out, "web\n");
  EXPECT_EQ(docker({"logs", "web"}).out, "started\nbye\n");
  RunResult all = docker({"ps", "-a", "--format", "{{.Names}} {{.Status}}"});
  EXPECT_TRUE(std::regex_search(all.out, std::regex("^web Exited \\(0\\) .* ago\n$"))) << all;
  EXPECT_EQ(docker({"rm", "web"}).out, "web\n");
  EXPECT_EQ(docker({"ps", "-aq"}).out, "");
}

TEST_F(DockerCli, TheLectureNotesWebServerAnswersAtTheAddressInspectGives) {
  RunResult started = docker({"run", "-d", "--name", "web", "busybox", "sh", "-c",
                              "mkdir /www && echo hello from web > /www/index.html && exec httpd -f -p 80 -h /www"});
  ASSERT_EQ(started.exit_code, 0) << started;
  RunResult inspected = docker({"inspect", "--format", "{{.NetworkSettings.IPAddress}}", "web"});
  std::string address = inspected.out.substr(0, inspected.out.find('\n'));
  EXPECT_EQ(address.rfind(subnet.address(0).substr(0, subnet.address(0).rfind('.') + 1), 0), 0u)
      << "an address of the daemon's subnet " << subnet.cidr() << ": " << inspected;
  RunResult page;
  for (int i = 0; i < 100; ++i) {
    page = run({"/usr/bin/curl", "-s", "--max-time", "2", "http://" + address + "/"});
    if (page.out == "hello from web\n") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(page.out, "hello from web\n") << page;
  expect_ok({"stop", "-t", "1", "web"});
  EXPECT_EQ(docker({"inspect", "--format", "[{{.NetworkSettings.IPAddress}}]", "web"}).out, "[]\n")
      << "a stopped container holds no address";
  expect_ok({"rm", "web"});
}

TEST_F(DockerCli, StopKillsWhatIgnoresTheSignalAfterTheTimeout) {
  ASSERT_EQ(docker({"run", "-d", "--name", "stubborn", "--network", "none", "busybox", "sleep", "60"}).exit_code, 0);
  auto started = std::chrono::steady_clock::now();
  RunResult stopped = docker({"stop", "-t", "1", "stubborn"});
  EXPECT_EQ(stopped.exit_code, 0) << stopped;
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::seconds(1)) << "PID 1 ignores SIGTERM: SIGKILL after -t";
  EXPECT_EQ(docker({"inspect", "--format", "{{.State.ExitCode}}", "stubborn"}).out, "137\n");
  expect_ok({"rm", "stubborn"});
}

TEST_F(DockerCli, ErrorsAreDockersAndTheVersionIsTheApis) {
  RunResult version = docker({"version", "--format", "{{.Server.APIVersion}}"});
  EXPECT_EQ(version.out, "1.41\n") << version;
  RunResult missing = docker({"rm", "nosuch"});
  EXPECT_EQ(missing.exit_code, 1) << missing;
  EXPECT_EQ(missing.err, "Error: No such container: nosuch\n");
  ASSERT_EQ(docker({"create", "--name", "twice", "--network", "none", "busybox", "true"}).exit_code, 0);
  RunResult conflict = docker({"create", "--name", "twice", "--network", "none", "busybox", "true"});
  EXPECT_EQ(conflict.exit_code, 1) << conflict;  // docker create's; docker run's would be 125
  EXPECT_NE(conflict.err.find("Conflict. The container name \"/twice\" is already in use"), std::string::npos) << conflict;
  EXPECT_NE(docker({"ps", "-a", "--format", "{{.Names}} {{.Status}}"}).out.find("twice Created"), std::string::npos);
  RunResult waited = docker({"wait", "twice"}, milliseconds(10000));
  EXPECT_EQ(waited.out, "0\n") << "dockerd answers a created container's wait at once: " << waited;
  expect_ok({"rm", "twice"});
  RunResult images = docker({"images", "--format", "{{.Repository}}:{{.Tag}}"});
  EXPECT_EQ(images.out, "busybox:latest\n") << images;
  RunResult curl = run({"/usr/bin/curl", "-s", "-i", "--unix-socket", socket, "http://docker/_ping"});
  EXPECT_NE(curl.out.find("Api-Version: 1.41\r\n"), std::string::npos) << curl;
  EXPECT_NE(curl.out.find("\r\n\r\nOK"), std::string::npos) << curl;
}

TEST_F(DockerCli, VolumesThroughTheDaemonAndRmDashVRemovesTheAnonymousOnes) {
  ASSERT_EQ(docker({"run", "--rm", "--network", "none", "-v", "notes:/notes", "busybox", "sh", "-c",
                    "echo kept > /notes/n"}).exit_code,
            0);
  RunResult read = docker({"run", "--rm", "--network", "none", "-v", "notes:/notes", "busybox", "cat", "/notes/n"});
  EXPECT_EQ(read.out, "kept\n") << read;
  ASSERT_EQ(docker({"run", "--name", "scratchy", "--network", "none", "-v", "/scratch", "busybox", "true"}).exit_code, 0);
  RunResult mounts = docker({"inspect", "--format", "{{range .Mounts}}{{.Type}} {{.Destination}}{{end}}", "scratchy"});
  EXPECT_EQ(mounts.out, "volume /scratch\n") << mounts;
  RunResult volumes = run({bin("ch14-engine"), "--root", root, "volume", "ls", "-q"});
  ASSERT_EQ(volumes.out.size(), 6u + 65u) << "notes and one anonymous volume: " << volumes;
  expect_ok({"rm", "-v", "scratchy"});
  EXPECT_EQ(run({bin("ch14-engine"), "--root", root, "volume", "ls", "-q"}).out, "notes\n") << "named volumes stay";
}

TEST_F(DockerCli, ExecJoinsTheRunningContainerAsDockerExecDoes) {
  RunResult started = docker({"run", "-d", "--name", "box", "--network", "none", "busybox", "sh", "-c",
                              "echo inside > /marker; exec sleep 60"});
  ASSERT_EQ(started.exit_code, 0) << started;
  RunResult marker;
  for (int i = 0; i < 100 && (marker = docker({"exec", "box", "cat", "/marker"})).out.empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(marker.out, "inside\n") << "its root filesystem: " << marker;
  // Its namespaces: its host name (the short id), and its PID 1 is the container's sleep.
  EXPECT_EQ(docker({"exec", "box", "hostname"}).out, started.out.substr(0, 12) + "\n");
  EXPECT_EQ(docker({"exec", "box", "cat", "/proc/1/comm"}).out, "sleep\n");
  // Exit codes, and stdout and stderr kept apart.
  EXPECT_EQ(docker({"exec", "box", "sh", "-c", "exit 3"}).exit_code, 3);
  RunResult streams = docker({"exec", "box", "sh", "-c", "echo out; echo err >&2"});
  EXPECT_EQ(streams.out, "out\n") << streams;
  EXPECT_EQ(streams.err, "err\n") << streams;
  // -u (a name, looked up in the container's passwd), -w, -e; HOME is the user's.
  RunResult as = docker({"exec", "-u", "nobody", "-w", "/tmp", "-e", "GREETING=hi", "box", "sh", "-c",
                         "id; pwd; echo $GREETING $HOME"});
  EXPECT_EQ(as.out, "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n/tmp\nhi /nonexistent\n") << as;
  // -i: the command reads the client's stdin, to its end.
  RunResult piped = run({"/usr/bin/env", "DOCKER_HOST=unix://" + socket, docker_cli(), "exec", "-i", "box", "sh", "-c",
                         "cat; echo done"},
                        milliseconds(30000), "typed\n");
  EXPECT_EQ(piped.out, "typed\ndone\n") << piped;
  // -d: it runs on; the next exec sees what it did.
  expect_ok({"exec", "-d", "box", "touch", "/detached"});
  RunResult seen;
  for (int i = 0; i < 100 && (seen = docker({"exec", "box", "ls", "/detached"})).exit_code != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(seen.out, "/detached\n") << seen;
  // What cannot start: docker's 126 and its words; an unknown user.
  RunResult missing = docker({"exec", "box", "nosuch"});
  EXPECT_EQ(missing.exit_code, 126) << missing;
  EXPECT_NE(missing.out.find("OCI runtime exec failed: exec failed: unable to start container process: "),
            std::string::npos)
      << missing;
  EXPECT_NE(missing.out.find("nosuch"), std::string::npos) << missing;
  RunResult stranger = docker({"exec", "-u", "stranger", "box", "id"});
  EXPECT_EQ(stranger.exit_code, 126) << stranger;
  EXPECT_NE(stranger.out.find("unable to find user stranger: no matching entries in passwd file"), std::string::npos)
      << stranger;

  ASSERT_EQ(docker({"stop", "-t", "0", "box"}).exit_code, 0);
  RunResult stopped = docker({"exec", "box", "true"});
  EXPECT_EQ(stopped.exit_code, 1) << stopped;
  EXPECT_NE(stopped.err.find("Container " + started.out.substr(0, 64) + " is not running"), std::string::npos)
      << stopped;
  expect_ok({"rm", "box"});
}

TEST_F(DockerCli, ExecDashItGivesTheCommandATerminalOfTheClientsSize) {
  ASSERT_EQ(docker({"run", "-d", "--name", "box", "--network", "none", "busybox", "sleep", "60"}).exit_code, 0);
  {
    PtySession session({"/usr/bin/env", "DOCKER_HOST=unix://" + socket,
                        "DOCKER_CONFIG=" + (tmp.path() / "docker-config").string(), docker_cli(), "exec", "-it",
                        "box", "sh"},
                       30, 100);
    ASSERT_TRUE(session.expect("# ")) << session.output();
    session.type("tty; stty size\r");
    EXPECT_TRUE(session.expect("/dev/pts/")) << session.output();
    EXPECT_TRUE(session.expect("30 100")) << "the CLI's resize reached the terminal: " << session.output();
    session.type("exit 5\r");
    EXPECT_EQ(session.wait(), 5) << session.output();
  }
  expect_ok({"rm", "-f", "box"});
}

TEST_F(DockerCli, OnFailureRestartsUpToItsLimitKeepingTheLogAndTheLayer) {
  RunResult started = docker({"run", "-d", "--name", "flaky", "--network", "none", "--restart", "on-failure:2", "busybox",
                              "sh", "-c", "echo run >> /runs; cat /runs | wc -l; exit 1"});
  ASSERT_EQ(started.exit_code, 0) << started;
  // Three runs (the first and two restarts, 100 then 200 ms apart), then it stays exited.
  RunResult state;
  for (int i = 0; i < 250; ++i) {
    state = docker({"inspect", "--format", "{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}", "flaky"});
    if (state.out == "exited 2 1\n") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(state.out, "exited 2 1\n") << state;
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(docker({"inspect", "--format", "{{.RestartCount}}", "flaky"}).out, "2\n") << "no third restart";
  // Each run saw the files of the one before (the same rw layer); the log has every run's.
  EXPECT_EQ(docker({"logs", "flaky"}).out, "1\n2\n3\n");
  EXPECT_EQ(docker({"inspect", "--format", "{{json .HostConfig.RestartPolicy}}", "flaky"}).out,
            "{\"Name\":\"on-failure\",\"MaximumRetryCount\":2}\n");
  // docker start by hand: a fourth run, and the count starts again: two more restarts.
  RunResult again = docker({"start", "-a", "flaky"});
  EXPECT_EQ(again.exit_code, 1) << again;
  EXPECT_EQ(again.out, "4\n") << again;
  for (int i = 0; i < 250 && docker({"logs", "flaky"}).out != "1\n2\n3\n4\n5\n6\n"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(docker({"logs", "flaky"}).out, "1\n2\n3\n4\n5\n6\n");
  expect_ok({"rm", "-f", "flaky"});

  RunResult conflicting = docker({"run", "--rm", "--restart", "always", "busybox", "true"});
  EXPECT_NE(conflicting.exit_code, 0) << conflicting;
  RunResult sometimes = docker({"create", "--restart", "sometimes", "busybox", "true"});
  EXPECT_NE(sometimes.exit_code, 0) << sometimes;
  EXPECT_NE(sometimes.err.find("invalid restart policy"), std::string::npos) << sometimes;
}

TEST_F(DockerCli, AlwaysRestartsUntilStoppedAndStartsAgainWithTheDaemon) {
  ASSERT_EQ(docker({"run", "-d", "--name", "keeper", "--network", "none", "--restart", "always", "busybox", "sh", "-c",
                    "echo up; trap 'exit 0' TERM; sleep 0.2"})
                .exit_code,
            0);
  RunResult count;
  for (int i = 0; i < 250; ++i) {
    count = docker({"inspect", "--format", "{{.RestartCount}}", "keeper"});
    if (count.out != "0\n" && count.out != "1\n") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_NE(count.out, "1\n") << "it exits with 0 and starts again: " << count;
  RunResult stopped = docker({"stop", "-t", "1", "keeper"});
  EXPECT_EQ(stopped.exit_code, 0) << stopped;
  for (int i = 0; i < 100 && docker({"inspect", "--format", "{{.State.Status}}", "keeper"}).out != "exited\n"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::string after_stop = docker({"inspect", "--format", "{{.RestartCount}}", "keeper"}).out;
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_EQ(docker({"inspect", "--format", "{{.State.Status}} {{.RestartCount}}", "keeper"}).out, "exited " + after_stop)
      << "docker stop cancels the policy";
  // A new daemon starts `always` containers, stopped or not, as dockerd does.
  stop_daemon();
  start_daemon();
  RunResult status;
  for (int i = 0; i < 250; ++i) {
    status = docker({"inspect", "--format", "{{.State.Status}}", "keeper"});
    if (status.out == "running\n") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(status.out, "running\n") << status << read_file((tmp.path() / "daemon.log").string());
  expect_ok({"rm", "-f", "keeper"});
}

TEST_F(DockerCli, StartAndRestartRunAStoppedContainerAgainWithItsFiles) {
  ASSERT_EQ(docker({"run", "--name", "again", "--network", "none", "busybox", "sh", "-c",
                    "echo run >> /count; wc -l < /count"})
                .exit_code,
            0);
  RunResult second = docker({"start", "-a", "again"});
  EXPECT_EQ(second.exit_code, 0) << second;
  EXPECT_EQ(second.out, "2\n") << "its rw layer is kept between runs: " << second;
  EXPECT_EQ(docker({"logs", "again"}).out, "1\n2\n");
  ASSERT_EQ(docker({"rm", "again"}).exit_code, 0);

  RunResult started = docker({"run", "-d", "--name", "server", "--network", "none", "busybox", "sleep", "60"});
  ASSERT_EQ(started.exit_code, 0) << started;
  RunResult pid = docker({"inspect", "--format", "{{.State.Pid}}", "server"});
  RunResult restarted = docker({"restart", "-t", "0", "server"});
  EXPECT_EQ(restarted.exit_code, 0) << restarted;
  EXPECT_EQ(restarted.out, "server\n");
  EXPECT_EQ(docker({"inspect", "--format", "{{.State.Status}}", "server"}).out, "running\n");
  EXPECT_NE(docker({"inspect", "--format", "{{.State.Pid}}", "server"}).out, pid.out) << "a new process";
  expect_ok({"rm", "-f", "server"});
}

TEST_F(DockerCli, EventsTellWhatHappenedAndFollowWhatHappens) {
  std::string since = std::to_string(::time(nullptr) - 1);
  std::optional<Background> watching;
  // --since: the CLI may connect after the container started (it takes a while to start): what
  // happened since is sent first, then what happens, as it happens.
  watching.emplace(std::vector<std::string>{"/usr/bin/env", "DOCKER_HOST=unix://" + socket, docker_cli(), "events",
                                            "--since", since, "--filter", "event=start", "--format",
                                            "{{.Action}} {{.Actor.Attributes.name}}"});
  RunResult started = docker({"run", "-d", "--name", "evt", "--network", "none", "busybox", "sleep", "60"});
  ASSERT_EQ(started.exit_code, 0) << started;
  EXPECT_EQ(watching->read_line().value_or("nothing"), "start evt");
  expect_ok({"stop", "-t", "0", "evt"});
  expect_ok({"start", "evt"});
  EXPECT_EQ(watching->read_line().value_or("nothing"), "start evt") << "followed as it happened";
  watching.reset();
  expect_ok({"exec", "evt", "true"});
  expect_ok({"stop", "-t", "0", "evt"});
  expect_ok({"rename", "evt", "evt2"});
  expect_ok({"rm", "evt2"});
  RunResult events = docker({"events", "--since", since, "--until", std::to_string(::time(nullptr) + 1), "--filter",
                             "type=container", "--format", "{{.Action}}"});
  EXPECT_EQ(events.exit_code, 0) << events;
  EXPECT_EQ(events.out,
            "create\nstart\nkill\nkill\ndie\nstop\nstart\nexec_create: true \nexec_start: true \nexec_die\nkill\nkill\ndie\n"
            "stop\nrename\ndestroy\n")
      << "-t 0: SIGTERM (sleep as PID 1 has no handler), at once SIGKILL"
      << events;
  RunResult lines = docker({"events", "--since", since, "--until", std::to_string(::time(nullptr) + 1), "--filter",
                            "event=die"});
  EXPECT_TRUE(std::regex_match(lines.out, std::regex("(\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z container die [0-9a-f]{64} "
                                                     "\\(exitCode=137, image=busybox, name=evt\\)\n){2}")))
      << "docker's lines, one for each stop: " << lines;
}

TEST_F(DockerCli, StatsShowTheCgroupsFigures) {
  ASSERT_EQ(docker({"run", "-d", "--name", "measured", "--network", "none", "-m", "64m", "busybox", "sh", "-c",
                    "sleep 60 & sleep 60 & wait"})
                .exit_code,
            0);
  RunResult stats;
  for (int i = 0; i < 50; ++i) {
    stats = docker({"stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}} {{.MemUsage}} {{.CPUPerc}}", "measured"});
    if (stats.out.rfind("measured 3 ", 0) == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(std::regex_match(stats.out, std::regex("measured 3 [0-9.]+[KM]iB / 64MiB [0-9.]+%\n")))
      << "three processes (sh and its two sleeps), the memory they use against -m: " << stats;
  expect_ok({"rm", "-f", "measured"});
}

TEST_F(DockerCli, ImagesAndVolumesThroughTheDaemon) {
  expect_ok({"tag", "busybox", "localhost:5000/tools/busybox:1.0"});
  RunResult images = docker({"images", "--format", "{{.Repository}}:{{.Tag}}"});
  std::vector<std::string> names = split_lines(images.out);
  std::sort(names.begin(), names.end());  // the CLI groups tags by repository in a Go map: any order
  EXPECT_EQ(names, (std::vector<std::string>{"busybox:latest", "localhost:5000/tools/busybox:1.0"})) << images;
  RunResult history = docker({"history", "--format", "{{.Comment}}", "busybox"});
  EXPECT_EQ(history.out, "Imported from -\n") << history;
  RunResult untagged = docker({"rmi", "localhost:5000/tools/busybox:1.0"});
  EXPECT_EQ(untagged.out, "Untagged: localhost:5000/tools/busybox:1.0\n") << untagged;
  RunResult missing = docker({"rmi", "nosuch"});
  EXPECT_EQ(missing.err, "Error: No such image: nosuch\n") << missing;

  EXPECT_EQ(docker({"volume", "create", "notes"}).out, "notes\n");
  RunResult listed = docker({"volume", "ls", "--format", "{{.Driver}} {{.Name}}"});
  EXPECT_EQ(listed.out, "local notes\n") << listed;
  RunResult mountpoint = docker({"volume", "inspect", "--format", "{{.Mountpoint}}", "notes"});
  EXPECT_EQ(mountpoint.out, root + "/volumes/notes/_data\n") << mountpoint;
  ASSERT_EQ(docker({"run", "-d", "--name", "user", "--network", "none", "-v", "notes:/notes", "busybox", "sleep", "60"})
                .exit_code,
            0);
  RunResult in_use = docker({"volume", "rm", "notes"});
  EXPECT_EQ(in_use.exit_code, 1) << in_use;
  EXPECT_NE(in_use.err.find("volume is in use"), std::string::npos) << in_use;
  expect_ok({"rm", "-f", "user"});
  EXPECT_EQ(docker({"volume", "rm", "notes"}).out, "notes\n");
  RunResult gone = docker({"volume", "inspect", "notes"});
  EXPECT_EQ(gone.exit_code, 1) << gone;
  EXPECT_NE(gone.err.find("No such volume: notes"), std::string::npos) << gone;
  RunResult networks = docker({"network", "ls", "--format", "{{.Name}} {{.Driver}}"});
  EXPECT_EQ(networks.out, "bridge bridge\nhost host\nnone null\n") << networks;
}

TEST_F(DockerCli, PushToChapter12sRegistryThenPullAndRun) {
  // Chapter 12's registry on a port of its own; localhost is spoken to over plain http.
  std::string registry_root = (tmp.path() / "registry").string();
  Background registry({bin("ch14-engine"), "registry", "serve", "--addr", "127.0.0.1:0", "--root", registry_root});
  std::string address;
  for (int i = 0; i < 20 && address.empty(); ++i) {
    std::optional<std::string> line = registry.read_line();
    if (!line) break;
    if (size_t at = line->find("listening on "); at != std::string::npos)
      address = line->substr(at + 13, line->find_first_of(" \"", at + 13) - at - 13);
  }
  ASSERT_FALSE(address.empty()) << "the registry did not say where it listens";
  std::string port = address.substr(address.rfind(':') + 1);
  std::string name = "localhost:" + port + "/course/busybox:1.0";
  expect_ok({"tag", "busybox", name});
  RunResult pushed = docker({"push", name});
  EXPECT_EQ(pushed.exit_code, 0) << pushed;
  EXPECT_NE(pushed.out.find("1.0: digest: sha256:"), std::string::npos) << pushed;
  expect_ok({"rmi", name});
  RunResult pulled = docker({"pull", name});
  EXPECT_EQ(pulled.exit_code, 0) << pulled;
  EXPECT_NE(pulled.out.find("Status: "), std::string::npos) << pulled;
  EXPECT_NE(pulled.out.find(name), std::string::npos) << "the CLI's last line: " << pulled;
  RunResult ran = docker({"run", "--rm", "--network", "none", name, "echo", "pulled and run"});
  EXPECT_EQ(ran.out, "pulled and run\n") << ran;
  RunResult unknown = docker({"pull", "localhost:" + port + "/course/nosuch:1"});
  EXPECT_EQ(unknown.exit_code, 1) << unknown;
  EXPECT_NE(unknown.err.find("nosuch"), std::string::npos) << unknown;
  expect_ok({"rmi", name});
  // docker import: a tarball as an image.
  RunResult imported = run({"/bin/sh", "-c", "/bin/tar -C \"$0\" -c . | \"$1\" -H \"unix://$2\" import - imported:1",
                            rootfs(), docker_cli(), socket},
                           milliseconds(60000));
  EXPECT_EQ(imported.exit_code, 0) << imported;
  EXPECT_TRUE(std::regex_match(imported.out, std::regex("sha256:[0-9a-f]{64}\n"))) << imported;
  expect_ok({"rmi", "imported:1"});
  registry.signal(SIGTERM);
  registry.wait();
}

TEST_F(DockerCli, ContainersOutliveAKilledDaemonAndTheNextOneServesThem) {
  ASSERT_EQ(docker({"run", "-d", "--name", "survivor", "--network", "none", "busybox", "sh", "-c",
                    "echo before; trap 'exit 0' TERM; while true; do sleep 0.1; done"}).exit_code,
            0);
  daemon->signal(SIGKILL);
  daemon->wait();
  daemon.reset();
  // A second daemon on the root is refused while the first holds it; this one is gone.
  start_daemon();
  RunResult ps = docker({"ps", "--format", "{{.Names}} {{.State}}"});
  EXPECT_EQ(ps.out, "survivor running\n") << ps;
  EXPECT_EQ(docker({"logs", "survivor"}).out, "before\n");
  expect_ok({"stop", "survivor"});
  expect_ok({"rm", "survivor"});

  RunResult second = run({bin("ch14-engine"), "--root", root, "daemon"});
  EXPECT_EQ(second.exit_code, 1) << second;
  EXPECT_NE(second.err.find("another daemon (pid " + std::to_string(daemon->pid()) + ") holds the state root " + root),
            std::string::npos)
      << second;
}

}  // namespace
}  // namespace dockling::ch14
