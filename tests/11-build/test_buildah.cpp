// `build` against buildah: the same Dockerfiles, built by both from the same busybox image, make
// the same image configs (the fields the Dockerfile reference defines) and the same final root
// filesystems (path, type, mode, owner, size, link target; not times).
//
// buildah runs with its own storage in the test's directory (vfs, --isolation chroot,
// --pull=never) in a mount namespace of its own where a directory of the test stands over
// /var/lib/containers: its blob-info cache goes there, not into the host's. skopeo copies the
// busybox image from our store (an OCI layout) into buildah's storage.
//
// Where buildah 1.28 (Debian 12) departs from docker's reference, the comparison follows the
// reference and says so where it happens:
//  - it adds a label io.buildah.version;
//  - it keeps `EXPOSE 7000-7002` as one key "7000-7002/tcp" (docker's nat.ParsePortSpecs makes
//    three ports of it);
//  - its RUN with chroot isolation leaves an empty /run behind (BuildKit removes the mount
//    points it made for a RUN);
//  - an ENTRYPOINT that drops CMD leaves "Cmd": [] where docker writes null;
//  - it accepts `COPY a b /dest` when /dest is not a directory (the reference refuses it);
//  - it writes "/bin/sh -c" into a shell-form CMD or ENTRYPOINT whatever SHELL says;
//  - it has no heredocs, so none of these Dockerfiles uses one.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "dockling/fs.hpp"
#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"

namespace dockling::ch11 {
namespace {

using namespace dockling::testing;
namespace fs = std::filesystem;

constexpr const char* kBuildah = "/usr/bin/buildah";

/// One line a file below `root`, sorted: path, type, mode, uid:gid, size (regular files) and
/// link target. Times are left out: the two builds ran at different moments.
std::set<std::string> files_of(const fs::path& root) {
  std::set<std::string> lines;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    struct stat st {};
    if (::lstat(entry.path().c_str(), &st) != 0) {
      ADD_FAILURE() << "lstat " << entry.path() << " failed";
      continue;
    }
    char type = S_ISDIR(st.st_mode)    ? 'd'
                : S_ISREG(st.st_mode)  ? 'f'
                : S_ISLNK(st.st_mode)  ? 'l'
                : S_ISCHR(st.st_mode)  ? 'c'
                : S_ISBLK(st.st_mode)  ? 'b'
                : S_ISFIFO(st.st_mode) ? 'p'
                                       : 's';
    std::string target = S_ISLNK(st.st_mode) ? " -> " + fs::read_symlink(entry.path()).string() : "";
    lines.insert(fmt::format("/{} {} {:04o} {}:{} {}{}", entry.path().lexically_relative(root).string(), type,
                             st.st_mode & 07777, st.st_uid, st.st_gid, S_ISREG(st.st_mode) ? st.st_size : 0, target));
  }
  return lines;
}

/// The fields of an image config that the Dockerfile reference defines, an empty list or map
/// and a missing field all written as null.
nlohmann::json reference_fields(const nlohmann::json& config) {
  nlohmann::json fields = nlohmann::json::object();
  for (const char* name :
       {"Entrypoint", "Cmd", "Env", "WorkingDir", "User", "Labels", "ExposedPorts", "Volumes", "StopSignal"}) {
    nlohmann::json value = config.contains(name) ? config.at(name) : nlohmann::json();
    if ((value.is_array() || value.is_object() || value.is_string()) && value.empty()) value = nullptr;
    fields[name] = value;
  }
  return fields;
}

/// buildah's config with its departures from the reference undone (see the top of the file).
nlohmann::json as_the_reference_writes(nlohmann::json config) {
  if (config.contains("Labels") && config["Labels"].is_object()) config["Labels"].erase("io.buildah.version");
  if (config.contains("ExposedPorts") && config["ExposedPorts"].is_object()) {
    nlohmann::json ports = nlohmann::json::object();
    for (const auto& [key, value] : config["ExposedPorts"].items()) {
      size_t slash = key.find('/'), dash = key.find('-');
      if (dash == std::string::npos || dash > slash) {
        ports[key] = value;
        continue;
      }
      int first = std::stoi(key.substr(0, dash)), last = std::stoi(key.substr(dash + 1, slash - dash - 1));
      for (int port = first; port <= last; ++port) ports[std::to_string(port) + key.substr(slash)] = value;
    }
    config["ExposedPorts"] = ports;
  }
  return reference_fields(config);
}

class Buildah : public ::testing::Test {
 protected:
  TempDir tmp{"dockling-ch11-buildah"};
  std::string root = (tmp.path() / "root").string();
  std::string context = (tmp.path() / "context").string();
  std::string storage = (tmp.path() / "buildah").string();  // root, runroot, var (the cache), tmp

  void SetUp() override {
    DOCKLING_REQUIRE_ROOT();
    if (::access(kBuildah, X_OK) != 0) GTEST_SKIP() << kBuildah << " is missing (scripts/setup-deps installs it)";
    for (const char* sub : {"root", "runroot", "var", "tmp"}) fs::create_directories(fs::path(storage) / sub);
    fs::create_directories(context);
    std::string tarball = (tmp.path() / "busybox.tar").string();
    RunResult tar = run({"/bin/tar", "-C", rootfs(), "-cf", tarball, "."});
    ASSERT_EQ(tar.exit_code, 0) << tar;
    RunResult imported = ch11({"import", tarball, "busybox"});
    ASSERT_EQ(imported.exit_code, 0) << imported;
    // The same image in buildah's storage, copied by skopeo from our store (an OCI layout).
    std::string image = "docker.io/library/busybox:latest";
    RunResult copied = contained({"/usr/bin/skopeo", "copy", "-q", "oci:" + root + "/images:" + image,
                                  "containers-storage:[vfs@" + storage + "/root+" + storage + "/runroot]" + image});
    ASSERT_EQ(copied.exit_code, 0) << copied;
  }
  RunResult ch11(std::vector<std::string> args) {
    args.insert(args.begin(), {bin("ch11-build"), "--root", root});
    return run(args, milliseconds(60000));
  }
  /// Runs argv in a mount namespace of its own where the host's /var/lib/containers (the
  /// blob-info cache that skopeo and buildah write whatever their storage) is our directory, or a
  /// tmpfs over /var/lib where it does not exist; TMPDIR is ours too.
  RunResult contained(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-c",
                                  "if [ -d /var/lib/containers ]; then mount --bind \"$0/var\" /var/lib/containers; "
                                  "else mount -t tmpfs tmpfs /var/lib; fi && TMPDIR=\"$0/tmp\" exec \"$@\"",
                                  storage};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, milliseconds(120000));
  }
  RunResult buildah(const std::vector<std::string>& args) {
    std::vector<std::string> argv{kBuildah, "--root", storage + "/root", "--runroot", storage + "/runroot",
                                  "--storage-driver", "vfs"};
    argv.insert(argv.end(), args.begin(), args.end());
    return contained(argv);
  }
  void put(const std::string& name, const std::string& content, fs::perms mode = fs::perms(0644)) {
    fs::path path = fs::path(context) / name;
    fs::create_directories(path.parent_path());
    write_file(path.string(), content);
    fs::permissions(path, mode);
  }
  /// Builds the context with both as `tag`; true when both succeeded.
  bool build_both(const std::string& tag, const std::vector<std::string>& flags = {}) {
    std::vector<std::string> ours{"build", "--network", "none", "-t", tag};
    ours.insert(ours.end(), flags.begin(), flags.end());
    ours.push_back(context);
    RunResult built = ch11(ours);
    EXPECT_EQ(built.exit_code, 0) << built;
    // --format docker: the OCI format has no SHELL (buildah ignores it there, with a warning).
    std::vector<std::string> theirs{"build", "--isolation", "chroot", "--pull=never", "--format", "docker", "-t", tag};
    theirs.insert(theirs.end(), flags.begin(), flags.end());
    theirs.push_back(context);
    RunResult peer = buildah(theirs);
    EXPECT_EQ(peer.exit_code, 0) << peer;
    return built.exit_code == 0 && peer.exit_code == 0;
  }
  /// Compares the reference's fields, but those in `ours_only`: there buildah departs from the
  /// reference, and the caller checks our side alone. Returns our config.
  nlohmann::json expect_same_config(const std::string& tag, const std::vector<std::string>& ours_only = {}) {
    RunResult ours = ch11({"inspect", "--type", "image", tag});
    EXPECT_EQ(ours.exit_code, 0) << ours;
    RunResult theirs = buildah({"inspect", "--type", "image", tag});
    EXPECT_EQ(theirs.exit_code, 0) << theirs;
    if (ours.exit_code != 0 || theirs.exit_code != 0) return nullptr;
    nlohmann::json mine = reference_fields(parse_json(ours.out).at(0).at("Config"));
    nlohmann::json peer = as_the_reference_writes(parse_json(theirs.out).at("Docker").at("config"));
    nlohmann::json result = mine;
    for (const auto& field : ours_only) mine.erase(field), peer.erase(field);
    EXPECT_EQ(mine, peer) << "dockling: " << mine.dump(1) << "\nbuildah: " << peer.dump(1);
    return result;
  }
  /// Our image unpacked by umoci from our OCI layout, buildah's as its own mount shows it.
  void expect_same_files(const std::string& tag) {
    fs::path ours = tmp.path() / ("unpacked-" + tag);
    RunResult unpacked =
        run({"/usr/bin/umoci", "raw", "unpack", "--image", root + "/images:docker.io/library/" + tag + ":latest",
             ours.string()},
            milliseconds(60000));
    ASSERT_EQ(unpacked.exit_code, 0) << unpacked;
    RunResult from = buildah({"from", "--pull-never", "--name", "files-" + tag, tag});
    ASSERT_EQ(from.exit_code, 0) << from;
    RunResult mounted = buildah({"mount", "files-" + tag});
    ASSERT_EQ(mounted.exit_code, 0) << mounted;
    std::string theirs = mounted.out.substr(0, mounted.out.find('\n'));
    std::set<std::string> mine = files_of(ours), peer = files_of(theirs);
    // buildah's RUN (chroot isolation) leaves its empty /run mount point; BuildKit removes its own.
    if (!mine.count("/run d 0755 0:0 0")) peer.erase("/run d 0755 0:0 0");
    std::string only_ours, only_theirs;
    for (const auto& line : mine)
      if (!peer.count(line)) only_ours += line + "\n";
    for (const auto& line : peer)
      if (!mine.count(line)) only_theirs += line + "\n";
    EXPECT_TRUE(only_ours.empty() && only_theirs.empty())
        << "in dockling's image only:\n" << only_ours << "in buildah's image only:\n" << only_theirs;
    EXPECT_GT(mine.size(), 250U) << "busybox's files are there";
    EXPECT_EQ(buildah({"rm", "files-" + tag}).exit_code, 0);
  }
};

TEST_F(Buildah, ConfigInstructionsMakeTheSameConfig) {
  put("Dockerfile",
      "FROM busybox\n"
      "ARG VERSION=1.0\n"
      "ARG WHO\n"
      "ENV APP_VERSION=$VERSION GREETING=\"hello ${WHO:-nobody}\"\n"
      "ENV PATH=/opt/bin:$PATH\n"
      "WORKDIR app\n"
      "WORKDIR sub\n"
      "USER 1000:1000\n"
      "LABEL org.example.name=\"demo app\" version=$VERSION\n"
      "LABEL multi.word=\"a b\" empty=\"\"\n"
      "EXPOSE 8080 53/udp 7000-7002/tcp\n"
      "EXPOSE 9000-9001/udp\n"
      "VOLUME [\"/data\", \"/logs\"]\n"
      "VOLUME /cache\n"
      "STOPSIGNAL SIGUSR1\n"
      "CMD echo $GREETING\n");
  ASSERT_TRUE(build_both("config", {"--build-arg", "WHO=world", "--build-arg", "VERSION=2.0"}));
  expect_same_config("config");
  expect_same_files("config");  // the two WORKDIRs made /app/sub
}

TEST_F(Buildah, CmdEntrypointAndShellForms) {
  // ENTRYPOINT after CMD drops the CMD, also one the base stage set.
  put("Dockerfile",
      "FROM busybox AS base\n"
      "CMD [\"from\", \"base\"]\n"
      "FROM base\n"
      "ENTRYPOINT [\"/bin/echo\", \"exec\"]\n");
  ASSERT_TRUE(build_both("dropped"));
  expect_same_config("dropped");
  // A CMD after ENTRYPOINT stays; both in shell form.
  put("Dockerfile",
      "FROM busybox\n"
      "ENTRYPOINT echo entry \"$0\"\n"
      "CMD echo cmd\n");
  ASSERT_TRUE(build_both("kept"));
  expect_same_config("kept");
  // SHELL changes what a shell form becomes, in RUN, CMD and ENTRYPOINT (BuildKit's withShell,
  // the classic builder's getShell). buildah (openshift/imagebuilder) writes "/bin/sh -c" into
  // CMD and ENTRYPOINT whatever SHELL says: those two are checked on our side only.
  put("Dockerfile",
      "FROM busybox\n"
      "SHELL [\"/bin/sh\", \"-e\", \"-u\", \"-c\"]\n"
      "RUN echo \"$-\" > /shell-flags\n"
      "ENTRYPOINT echo with the shell\n"
      "CMD echo cmd\n");
  ASSERT_TRUE(build_both("shell"));
  nlohmann::json ours = expect_same_config("shell", {"Entrypoint", "Cmd"});
  EXPECT_EQ(ours.at("Entrypoint"), nlohmann::json({"/bin/sh", "-e", "-u", "-c", "echo with the shell"})) << ours;
  EXPECT_EQ(ours.at("Cmd"), nlohmann::json({"/bin/sh", "-e", "-u", "-c", "echo cmd"})) << ours;
  expect_same_files("shell");  // RUN ran under the SHELL in both: /shell-flags holds the same
}

TEST_F(Buildah, FilesStagesAndWhiteoutsMakeTheSameRootfs) {
  put(".dockerignore", "ignored.conf\ntree/*.tmp\n");
  put("single.txt", "one file\n");
  put("tree/a.txt", "a\n");
  put("tree/sub/b.txt", "b, only for its owner\n", fs::perms(0600));
  put("tree/run.sh", "#!/bin/sh\necho run\n", fs::perms(0755));
  put("tree/skip.tmp", "ignored\n");
  put("a.conf", "a=1\n");
  put("b.conf", "b=2\n");
  put("ignored.conf", "never copied\n");
  put("owned.txt", "owned\n");
  fs::permissions(fs::path(context) / "tree", fs::perms(0750));
  // A local tar.gz that ADD extracts: a directory, a file, a link.
  fs::path src = tmp.path() / "tarsrc";
  fs::create_directories(src / "pkg" / "share");
  write_file((src / "pkg/share/data").string(), "from the tarball\n");
  fs::create_symlink("share/data", src / "pkg" / "data-link");
  RunResult tar = run({"/bin/tar", "--owner=0", "--group=0", "-C", src.string(), "-czf",
                       (fs::path(context) / "pkg.tar.gz").string(), "pkg"});
  ASSERT_EQ(tar.exit_code, 0) << tar;
  put("Dockerfile",
      "FROM busybox AS tools\n"
      "RUN mkdir -p /out/lib && echo tool > /out/tool && chmod 750 /out/tool && ln -s tool /out/link"
      " && echo lib > /out/lib/a.so\n"
      "FROM busybox\n"
      "COPY single.txt /\n"
      "COPY tree/ /opt/tree/\n"
      "COPY *.conf /etc/confs/\n"
      "COPY tree /opt/whole\n"
      "COPY --chown=1000:1000 owned.txt /home/owned.txt\n"
      "COPY --chown=nobody:nogroup tree /home/nobody-tree\n"
      "COPY --chmod=640 single.txt /secret.txt\n"
      "COPY --from=tools /out /usr/local/tools\n"
      "COPY --from=tools /out/tool /usr/local/bin/\n"
      "ADD pkg.tar.gz /srv/\n"
      "RUN rm /bin/ls /bin/vi /linuxrc && rm -r /usr/sbin && echo made > /made.txt"
      " && mkdir -p /var/made && touch /var/made/empty\n"
      "USER 1000:1000\n"
      "WORKDIR /var/made/dir/below\n");  // made as USER
  ASSERT_TRUE(build_both("files"));
  expect_same_config("files");
  expect_same_files("files");
}

TEST_F(Buildah, ScratchAndARootfsTar) {
  // ADD of a plain tar as a stage's first step: unpacked into an empty root.
  RunResult tar = run({"/bin/tar", "-C", rootfs(), "-cf", (fs::path(context) / "rootfs.tar").string(), "."});
  ASSERT_EQ(tar.exit_code, 0) << tar;
  put("Dockerfile",
      "FROM scratch\n"
      "ADD rootfs.tar /\n"
      "RUN echo hi > /x && rm /bin/ls\n"
      "CMD [\"sh\"]\n");
  ASSERT_TRUE(build_both("rootfs"));  // not "scratch": `buildah from scratch` is an empty container
  expect_same_config("rootfs");
  expect_same_files("rootfs");
}

TEST_F(Buildah, ManySourcesIntoAFileFollowTheReference) {
  // buildah 1.28 makes /file a directory and copies both into it; the reference refuses the
  // instruction. We follow the reference: no comparison here, only our side.
  put("a", "a");
  put("b", "b");
  put("Dockerfile", "FROM busybox\nCOPY a b /file\n");
  RunResult ours = ch11({"build", "--network", "none", context});
  EXPECT_EQ(ours.exit_code, 1) << ours;
  EXPECT_NE(ours.err.find("When using COPY with more than one source file, the destination must be a directory and "
                          "end with a /"),
            std::string::npos)
      << ours;
}

}  // namespace
}  // namespace dockling::ch11
