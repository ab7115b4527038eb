// Volumes and bind mounts in real containers: data that outlives `rm`, shared between
// containers, read-only where asked, copied up from the image, removed with --rm or by
// prune, and never mounted outside the container's root.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "dockling/fs.hpp"
#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"

namespace dockling::ch13 {
namespace {

using namespace dockling::testing;
namespace fs = std::filesystem;

class Volumes : public ::testing::Test {
 protected:
  TempDir tmp{"dockling-ch13-volumes"};
  std::string root = (tmp.path() / "root").string();
  fs::path host = tmp.path() / "host";  ///< host paths to bind

  void SetUp() override {
    DOCKLING_REQUIRE_ROOT();
    fs::create_directories(host);
    RunResult imported = run({"/bin/sh", "-c", "/bin/tar -C \"$0\" -c . | \"$1\" --root \"$2\" import - busybox",
                              rootfs(), bin("ch13-volumes"), root},
                             milliseconds(60000));
    ASSERT_EQ(imported.exit_code, 0) << imported;
  }
  void TearDown() override {
    if (!is_root()) return;
    // Nothing stays mounted: no volume filesystem, no container root.
    EXPECT_EQ(mounts_under(tmp.path()), "");
  }
  RunResult ch13(std::vector<std::string> args, const std::string& input = {}) {
    args.insert(args.begin(), {bin("ch13-volumes"), "--root", root});
    return run(args, milliseconds(60000), input);
  }
  /// `run --network none ARGS`.
  RunResult run_container(std::vector<std::string> args) {
    args.insert(args.begin(), {"run", "--network", "none"});
    return ch13(args);
  }
  std::string volume_names() { return ch13({"volume", "ls", "-q"}).out; }
  fs::path data_of(const std::string& name) { return fs::path(root) / "volumes" / name / "_data"; }

  /// An image "seeded": busybox with /seed (a file of uid 1000 mode 0640, a symbolic link,
  /// a directory of mode 0750) declared a VOLUME, and /escape, a symbolic link to `host`.
  void import_seeded_image() {
    RootfsCopy copy;
    fs::path seed = fs::path(copy.path) / "seed";
    fs::create_directories(seed / "sub");
    write_file((seed / "a").string(), "seeded\n");
    ASSERT_EQ(::chown((seed / "a").c_str(), 1000, 1000), 0);
    ASSERT_EQ(::chmod((seed / "a").c_str(), 0640), 0);
    ASSERT_EQ(::lsetxattr((seed / "a").c_str(), "user.course", "dockling", 8, 0), 0);
    ASSERT_EQ(::chmod((seed / "sub").c_str(), 0750), 0);
    ASSERT_EQ(::chown(seed.c_str(), 1000, 1000), 0);
    fs::create_symlink("a", seed / "link");
    fs::create_symlink(host, fs::path(copy.path) / "escape");
    RunResult imported = run({"/bin/sh", "-c",
                              "/bin/tar --xattrs --xattrs-include='user.*' -C \"$0\" -c . | "
                              "\"$1\" --root \"$2\" import -c 'VOLUME /seed' - seeded",
                              copy.path, bin("ch13-volumes"), root},
                             milliseconds(60000));
    ASSERT_EQ(imported.exit_code, 0) << imported;
  }
};

TEST_F(Volumes, DataSurvivesTheContainerAndIsSeenByTheNext) {
  RunResult write = run_container({"--rm", "-v", "pgdata:/var/lib/db", "busybox", "sh", "-c", "echo row-1 > /var/lib/db/table"});
  ASSERT_EQ(write.exit_code, 0) << write;
  EXPECT_EQ(volume_names(), "pgdata\n");
  RunResult read = run_container({"--rm", "-v", "pgdata:/var/lib/db", "busybox", "cat", "/var/lib/db/table"});
  EXPECT_EQ(read.exit_code, 0) << read;
  EXPECT_EQ(read.out, "row-1\n");
  EXPECT_EQ(read_file((data_of("pgdata") / "table").string()), "row-1\n");

  RunResult inspected = ch13({"volume", "inspect", "pgdata"});
  ASSERT_EQ(inspected.exit_code, 0) << inspected;
  nlohmann::json volume = parse_json(inspected.out).at(0);
  EXPECT_EQ(volume["Name"], "pgdata");
  EXPECT_EQ(volume["Driver"], "local");
  EXPECT_EQ(volume["Scope"], "local");
  EXPECT_EQ(volume["Mountpoint"], data_of("pgdata").string());
  EXPECT_EQ(volume["Labels"], nlohmann::json::object());
  EXPECT_TRUE(std::regex_match(volume["CreatedAt"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")))
      << volume;
  EXPECT_FALSE(volume.contains("Anonymous")) << "our own field is not docker's";
}

TEST_F(Volumes, TwoContainersShareAVolumeTheWebServerSeesTheGeneratorsPage) {
  // The web server: busybox httpd serving the volume, read-only, until it serves page 2.
  Background web({bin("ch13-volumes"), "--root", root, "run", "--rm", "--network", "none", "-v", "site:/www:ro",
                  "busybox", "sh", "-c",
                  "httpd -p 127.0.0.1:8080 -h /www; echo serving; "
                  "until wget -q -O - http://127.0.0.1:8080/index.html 2>/dev/null | grep -q page-2; do sleep 0.05; done; "
                  "echo served page-2; touch /www/mine 2>&1 || true"});
  ASSERT_EQ(web.read_line(milliseconds(30000)), "serving");
  // The generator writes the page the web server serves.
  RunResult generate = run_container({"--rm", "-v", "site:/out", "busybox", "sh", "-c", "echo page-2 > /out/index.html"});
  ASSERT_EQ(generate.exit_code, 0) << generate;
  EXPECT_EQ(web.read_line(milliseconds(30000)), "served page-2");
  auto refused = web.read_line(milliseconds(30000));
  ASSERT_TRUE(refused);
  EXPECT_NE(refused->find("Read-only file system"), std::string::npos) << *refused;
  EXPECT_EQ(web.wait().exit_code, 0);
}

TEST_F(Volumes, ReadOnlyIsEnforcedByTheKernelEvenAfterARemount) {
  write_file((host / "config").string(), "v1\n");
  RunResult r = run_container({"--rm", "-v", host.string() + ":/etc/app:ro", "busybox", "sh", "-c",
                               "cat /etc/app/config; mount -o remount,rw /etc/app 2>/dev/null; "
                               "echo v2 > /etc/app/config || echo refused; grep ' /etc/app ' /proc/self/mountinfo"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("v1\nrefused"), std::string::npos) << r;
  // rprivate, docker's default: no peer group ("shared:N") or master ("master:N") on the mount.
  EXPECT_NE(r.out.find(" /etc/app ro,"), std::string::npos) << r;
  EXPECT_EQ(r.out.find("shared:"), std::string::npos) << r;
  EXPECT_EQ(r.out.find("master:"), std::string::npos) << r;
  EXPECT_NE(r.err.find("Read-only file system"), std::string::npos) << r;
  EXPECT_EQ(read_file((host / "config").string()), "v1\n");
  // Without :ro the container writes through to the host.
  RunResult rw = run_container({"--rm", "-v", host.string() + ":/etc/app", "busybox", "sh", "-c", "echo v2 > /etc/app/config"});
  EXPECT_EQ(rw.exit_code, 0) << rw;
  EXPECT_EQ(read_file((host / "config").string()), "v2\n");
}

TEST_F(Volumes, AMissingHostPathIsMadeByDashVButRefusedByMount) {
  fs::path missing = host / "made" / "by-v";
  RunResult made = run_container({"--rm", "-v", missing.string() + ":/x", "busybox", "touch", "/x/file"});
  EXPECT_EQ(made.exit_code, 0) << made;
  EXPECT_TRUE(fs::exists(missing / "file"));

  fs::path absent = host / "absent";
  RunResult refused = run_container({"--rm", "--mount", "type=bind,source=" + absent.string() + ",target=/x", "busybox", "true"});
  EXPECT_EQ(refused.exit_code, 125) << refused;
  EXPECT_NE(refused.err.find("bind source path does not exist: " + absent.string()), std::string::npos) << refused;
  EXPECT_FALSE(fs::exists(absent));
}

TEST_F(Volumes, CopyUpKeepsTheImagesOwnersModesAndLinks) {
  import_seeded_image();
  RunResult r = run_container({"--rm", "-v", "seeds:/seed", "seeded", "cat", "/seed/link"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "seeded\n");
  struct stat st {};
  ASSERT_EQ(::lstat((data_of("seeds") / "a").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_gid, 1000u);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  ASSERT_EQ(::lstat((data_of("seeds") / "sub").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  ASSERT_EQ(::lstat(data_of("seeds").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1000u) << "the volume's root takes the directory's owner";
  EXPECT_EQ(fs::read_symlink(data_of("seeds") / "link"), "a");
  char value[16] = {};
  EXPECT_EQ(::lgetxattr((data_of("seeds") / "a").c_str(), "user.course", value, sizeof value), 8);
  EXPECT_STREQ(value, "dockling") << "extended attributes are copied too";

  // Only an empty volume is filled: a second container's changes stay.
  ASSERT_EQ(run_container({"--rm", "-v", "seeds:/seed", "seeded", "rm", "/seed/a"}).exit_code, 0);
  EXPECT_EQ(run_container({"--rm", "-v", "seeds:/seed", "seeded", "ls", "/seed/a"}).exit_code, 1);
  // nocopy: the volume stays empty.
  RunResult empty = run_container({"--rm", "-v", "bare:/seed:nocopy", "seeded", "ls", "-A", "/seed"});
  EXPECT_EQ(empty.exit_code, 0) << empty;
  EXPECT_EQ(empty.out, "");
  RunResult mounted = run_container({"--rm", "--mount", "source=bare2,target=/seed,volume-nocopy", "seeded", "ls", "-A", "/seed"});
  EXPECT_EQ(mounted.exit_code, 0) << mounted;
  EXPECT_EQ(mounted.out, "");
}

TEST_F(Volumes, AnImagesSymbolicLinkCannotSendAMountOrACopyOntoTheHost) {
  write_file((host / "secret").string(), "host only\n");
  import_seeded_image();
  std::string before = host_mounts();
  // /escape is a link to the host's `host` directory: inside the root it names /<host path>
  // of the container, never the host's.
  RunResult r = run_container({"--rm", "-v", "grab:/escape", "-v", "stuff:/escape/sub", "seeded", "sh", "-c",
                               "ls -A /escape; echo planted > /escape/sub/planted"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out.find("secret"), std::string::npos) << "the host's file was copied up: " << r;
  EXPECT_FALSE(fs::exists(data_of("grab") / "secret"));
  EXPECT_FALSE(fs::exists(host / "sub")) << "a mount point was made on the host";
  EXPECT_EQ(read_file((data_of("stuff") / "planted").string()), "planted\n");
  EXPECT_EQ(host_mounts(), before);
}

TEST_F(Volumes, AnonymousVolumesGoWithRmAndStayOtherwise) {
  import_seeded_image();
  RunResult removed = run_container({"--rm", "-v", "/scratch", "seeded", "sh", "-c", "ls /seed; touch /scratch/x"});
  EXPECT_EQ(removed.exit_code, 0) << removed;
  EXPECT_NE(removed.out.find("link"), std::string::npos) << "the image's VOLUME /seed was copied up" << removed;
  EXPECT_EQ(volume_names(), "") << "--rm removes the anonymous volumes of /scratch and of VOLUME /seed";

  RunResult kept = run_container({"--name", "keeper", "-v", "/scratch", "seeded", "true"});
  EXPECT_EQ(kept.exit_code, 0) << kept;
  std::string names = volume_names();
  EXPECT_TRUE(std::regex_match(names, std::regex("([0-9a-f]{64}\n){2}"))) << names;
  RunResult inspected = ch13({"inspect", "keeper"});
  nlohmann::json mounts = parse_json(inspected.out).at(0).at("Mounts");
  ASSERT_EQ(mounts.size(), 2u) << mounts;
  for (const auto& mount : mounts) {
    EXPECT_EQ(mount["Type"], "volume");
    EXPECT_EQ(mount["Driver"], "local");
    EXPECT_EQ(mount["RW"], true);
    EXPECT_EQ(mount["Source"], data_of(mount["Name"]).string());
  }
  // In use while the container exists; removed by prune once it is gone.
  RunResult busy = ch13({"volume", "prune", "-f"});
  EXPECT_EQ(busy.out, "Total reclaimed space: 0B\n") << busy;
  ASSERT_EQ(ch13({"rm", "keeper"}).exit_code, 0);
  RunResult pruned = ch13({"volume", "prune", "-f"});
  EXPECT_EQ(pruned.exit_code, 0) << pruned;
  EXPECT_NE(pruned.out.find("Deleted Volumes:\n"), std::string::npos) << pruned;
  EXPECT_EQ(volume_names(), "");
}

TEST_F(Volumes, PruneAndRmLeaveVolumesInUseAlone) {
  for (const char* name : {"used", "idle"}) ASSERT_EQ(ch13({"volume", "create", name}).out, std::string(name) + "\n");
  RunResult generated = ch13({"volume", "create"});
  EXPECT_TRUE(std::regex_match(generated.out, std::regex("[0-9a-f]{64}\n"))) << generated;
  RunResult user = run_container({"--name", "user", "-v", "used:/d", "busybox", "sh", "-c", "head -c 3000 /dev/zero > /d/f"});
  ASSERT_EQ(user.exit_code, 0) << user;
  ASSERT_EQ(run_container({"--rm", "-v", "idle:/d", "busybox", "sh", "-c", "head -c 307200 /dev/zero > /d/f"}).exit_code, 0);

  RunResult refused = ch13({"volume", "rm", "used"});
  EXPECT_EQ(refused.exit_code, 1) << refused;
  std::string id = parse_json(ch13({"inspect", "user"}).out).at(0).at("Id");
  EXPECT_NE(refused.err.find("remove used: volume is in use - [" + id + "]"), std::string::npos) << refused;

  RunResult pruned = ch13({"volume", "prune"}, "y\n");
  EXPECT_EQ(pruned.exit_code, 0) << pruned;
  EXPECT_EQ(pruned.out,
            "WARNING! This will remove all local volumes not used by at least one container.\n"
            "Are you sure you want to continue? [y/N] Deleted Volumes:\n" +
                generated.out + "idle\n\nTotal reclaimed space: 307.2kB\n");
  EXPECT_EQ(volume_names(), "used\n");
  EXPECT_EQ(ch13({"volume", "ls", "-q", "--filter", "dangling=true"}).out, "");
  EXPECT_EQ(ch13({"volume", "ls"}).out, "DRIVER    VOLUME NAME\nlocal     used\n");

  ASSERT_EQ(ch13({"rm", "user"}).exit_code, 0);
  EXPECT_EQ(ch13({"volume", "ls", "-q", "--filter", "dangling=true"}).out, "used\n");
  RunResult gone = ch13({"volume", "rm", "used", "nosuch"});
  EXPECT_EQ(gone.exit_code, 1) << gone;
  EXPECT_EQ(gone.out, "used\n");
  EXPECT_NE(gone.err.find("No such volume: nosuch"), std::string::npos) << gone;
  EXPECT_EQ(ch13({"volume", "rm", "-f", "nosuch"}).exit_code, 0);
}

TEST_F(Volumes, VolumesFromMountsAnotherContainersVolumesAndBinds) {
  RunResult source = run_container({"--name", "source", "-v", "shared:/data", "-v", host.string() + ":/host", "busybox",
                                    "sh", "-c", "echo from-source > /data/f"});
  ASSERT_EQ(source.exit_code, 0) << source;
  RunResult r = run_container({"--rm", "--volumes-from", "source:ro", "busybox", "sh", "-c",
                               "cat /data/f; ls -d /host; touch /data/g 2>/dev/null || echo read-only"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "from-source\n/host\nread-only\n");
  RunResult missing = run_container({"--rm", "--volumes-from", "nosuch", "busybox", "true"});
  EXPECT_NE(missing.exit_code, 0) << missing;
  EXPECT_NE(missing.err.find("No such container: nosuch"), std::string::npos) << missing;
  ASSERT_EQ(ch13({"rm", "source"}).exit_code, 0);
}

TEST_F(Volumes, MountTmpfsAndAVolumeWithMountOptions) {
  RunResult tmpfs = run_container({"--rm", "--mount", "type=tmpfs,target=/scratch,tmpfs-size=1m,tmpfs-mode=1770",
                                   "busybox", "sh", "-c", "grep ' /scratch ' /proc/mounts; stat -c %a /scratch"});
  EXPECT_EQ(tmpfs.exit_code, 0) << tmpfs;
  EXPECT_NE(tmpfs.out.find("tmpfs /scratch tmpfs rw,nosuid,nodev,noexec"), std::string::npos) << tmpfs;
  EXPECT_NE(tmpfs.out.find("size=1024k"), std::string::npos) << tmpfs;
  EXPECT_NE(tmpfs.out.find("\n1770\n"), std::string::npos) << tmpfs;

  RunResult created = ch13({"volume", "create", "--label", "team=web", "--opt", "type=tmpfs", "--opt", "device=tmpfs",
                            "--opt", "o=size=2m", "ram"});
  ASSERT_EQ(created.exit_code, 0) << created;
  RunResult used = run_container({"--rm", "-v", "ram:/ram", "busybox", "sh", "-c", "df -k /ram | tail -1"});
  EXPECT_EQ(used.exit_code, 0) << used;
  EXPECT_NE(used.out.find("2048"), std::string::npos) << "a 2 MiB tmpfs: " << used;
  EXPECT_EQ(mounts_under(data_of("ram")), "") << "unmounted once no container uses it";
  nlohmann::json volume = parse_json(ch13({"volume", "inspect", "ram"}).out).at(0);
  EXPECT_EQ(volume["Labels"], (nlohmann::json{{"team", "web"}}));
  EXPECT_EQ(volume["Options"], (nlohmann::json{{"device", "tmpfs"}, {"o", "size=2m"}, {"type", "tmpfs"}}));
  EXPECT_EQ(ch13({"volume", "ls", "-q", "--filter", "label=team=web"}).out, "ram\n");
  EXPECT_EQ(ch13({"volume", "ls", "-q", "--filter", "label=team=db"}).out, "");
}

TEST_F(Volumes, BadSpecsAreRefusedNamingThemAndNothingIsMade) {
  struct Case {
    std::vector<std::string> flags;
    std::string said;  ///< what the error must name
  };
  for (const auto& [flags, said] : std::vector<Case>{
           {{"-v", ":/x"}, "':/x'"},
           {{"-v", "/a:relative"}, "'/a:relative'"},
           {{"-v", "/tmp:/x:foo"}, "invalid mode: foo"},
           {{"--mount", "type=bind,source=/tmp"}, "\"type=bind,source=/tmp\" for \"--mount\" flag: target is required"},
           {{"-v", "ok:/x", "-v", "ok2:/x"}, "Duplicate mount point: /x"},
           {{"-v", "made:/x", "--volumes-from", "nosuch"}, "No such container: nosuch"}}) {
    std::vector<std::string> args = {"--name", "refused"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.insert(args.end(), {"busybox", "true"});
    RunResult r = run_container(args);
    EXPECT_EQ(r.exit_code, 125) << said << ": " << r;
    EXPECT_NE(r.err.find(said), std::string::npos) << r;
    EXPECT_EQ(r.err.rfind("ch13-volumes: ", 0), 0u) << "prefixed with the binary's name: " << r;
  }
  EXPECT_EQ(volume_names(), "");
  EXPECT_EQ(ch13({"ps", "-a", "-q"}).out, "") << "no container was kept";
}

}  // namespace
}  // namespace dockling::ch13
