// Rootless images: an ordinary user's own store, whose layers hold the image's owners shifted
// into the user's ids (its own id for 0, its /etc/subuid and /etc/subgid ranges from 1).
#include <sys/stat.h>
#include <unistd.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dockling/fs.hpp"
#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"
#include "newidmap.hpp"
#include "rootless_fixture.hpp"
#include "tar_builder.hpp"

namespace dockling::ch10 {
namespace {

namespace fs = std::filesystem;
using namespace dockling::testing;
using namespace dockling::ch10::testing;

std::string xattr(const std::string& path, const std::string& name) {
  char value[256];
  ssize_t n = ::lgetxattr(path.c_str(), name.c_str(), value, sizeof value);
  return n < 0 ? std::string("<none>") : std::string(value, static_cast<size_t>(n));
}

/// A throwaway user with subordinate ranges of its own, and a state root it owns.
class Rootless : public RootlessTest {
 protected:
  /// ch10-images ARGS as the user, its state root the test's.
  RunResult ch10(std::vector<std::string> args) {
    args.insert(args.begin(), bin("ch10-images"));
    return run(as_user(*user, *state, args));
  }
  /// `data` as a file the user may read.
  std::string tarball(const std::string& name, const std::string& data) {
    std::string path = (state->path() / name).string();
    write_file(path, data);
    return path;
  }
  /// The unpacked layers of the store (ROOT/layers/HEX), short links and temporaries left out.
  std::vector<std::string> layers() {
    std::vector<std::string> found;
    fs::path dir = state->path() / "layers";
    if (!fs::exists(dir)) return found;
    for (const auto& entry : fs::directory_iterator(dir))
      if (entry.path().filename() != "l") found.push_back(entry.path().string());
    return found;
  }
};

TEST_F(Rootless, ImportShiftsOwnersIntoTheUsersIdsWithUserxattrWhiteouts_Exercise) {
  TarEntry home = dir("home/u/", 0700);
  home.uid = home.gid = 1000;
  TarEntry mine = file("home/u/notes", "mine\n", 0600);
  mine.uid = mine.gid = 1000;
  std::string tar = tarball("image.tar", make_tar({dir("etc/"), file("etc/hostname", "box\n"), dir("home/"), home, mine,
                                                   dir("var/cache/"), file("var/cache/.wh..wh..opq", ""),
                                                   file(".wh.gone", "")}));
  RunResult imported = ch10({"import", tar, "mine:1"});
  ASSERT_EQ(imported.exit_code, 0) << imported;
  auto found = layers();
  ASSERT_EQ(found.size(), 1u);
  std::string layer = found[0];

  struct stat st {};
  ASSERT_EQ(::lstat((layer + "/etc/hostname").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, user->uid) << "the image's root is the user";
  EXPECT_EQ(st.st_gid, user->gid);
  ASSERT_EQ(::lstat((layer + "/home/u/notes").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, uid_start + 999) << "the image's 1000 is the user's subordinate START+999";
  EXPECT_EQ(st.st_gid, gid_start + 999);
  ASSERT_EQ(::lstat((layer + "/gone").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode)) << "a whiteout: overlay's 0/0 device, made in the user namespace";
  EXPECT_EQ(st.st_rdev, ::makedev(0, 0));
  EXPECT_EQ(xattr(layer + "/var/cache", "user.overlay.opaque"), "y");
  EXPECT_EQ(xattr(layer + "/var/cache", "trusted.overlay.opaque"), "<none>");

  RunResult removed = ch10({"rmi", "mine:1"});
  ASSERT_EQ(removed.exit_code, 0) << removed;
  EXPECT_TRUE(layers().empty()) << "the user removes layers owned by its subordinate ids";
}

TEST_F(Rootless, ADeviceNodeIsRefusedInPlainWords) {
  TarEntry null = file("dev/null");
  null.type = AE_IFCHR;
  null.rdev = ::makedev(1, 3);
  std::string tar = tarball("dev.tar", make_tar({dir("dev/"), null}));
  RunResult imported = ch10({"import", tar, "dev:1"});
  EXPECT_EQ(imported.exit_code, 1) << imported;
  EXPECT_NE(imported.err.find("ch10-images: layer sha256:"), std::string::npos) << imported;
  EXPECT_NE(imported.err.find(": entry \"dev/null\": a device node (character 1:3): a rootless store cannot hold one"),
            std::string::npos)
      << imported;
  EXPECT_TRUE(layers().empty()) << "nothing is left of the refused layer";
  RunResult listed = ch10({"images", "-q"});
  EXPECT_EQ(listed.out, "") << listed;
}

TEST_F(Rootless, LoadShiftsOwnersLikeImport) {
  // An archive saved by root's store, loaded into the user's.
  TempDir root_state("dockling-ch10-rootful");
  TarEntry owned = file("srv/data", "x\n");
  owned.uid = 33;
  owned.gid = 44;
  std::string tar = tarball("srv.tar", make_tar({dir("srv/"), owned}));
  std::string archive = (state->path() / "saved.tar").string();
  RunResult imported = run({bin("ch10-images"), "--root", root_state.path().string(), "import", tar, "srv:1"});
  ASSERT_EQ(imported.exit_code, 0) << imported;
  RunResult saved = run({bin("ch10-images"), "--root", root_state.path().string(), "save", "-o", archive, "srv:1"});
  ASSERT_EQ(saved.exit_code, 0) << saved;
  ASSERT_EQ(::chmod(archive.c_str(), 0644), 0);

  RunResult loaded = ch10({"load", "-i", archive});
  ASSERT_EQ(loaded.exit_code, 0) << loaded;
  EXPECT_EQ(loaded.out, "Loaded image: srv:1\n");
  auto found = layers();
  ASSERT_EQ(found.size(), 1u);
  struct stat st {};
  ASSERT_EQ(::lstat((found[0] + "/srv/data").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, uid_start + 32);
  EXPECT_EQ(st.st_gid, gid_start + 43);
  ASSERT_EQ(::lstat((found[0] + "/srv").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, user->uid);
}

/// Rootless `run IMAGE`: a busybox image in the user's store.
class RootlessRun : public Rootless {
 protected:
  std::optional<DelegatedCgroup> cgroup;
  void SetUp() override {
    Rootless::SetUp();
    if (IsSkipped() || HasFailure()) return;
    cgroup.emplace(*user);
    std::string tar = (state->path() / "busybox.tar").string();
    RunResult packed = run({"/bin/tar", "-C", rootfs(), "-cf", tar, "."});
    ASSERT_EQ(packed.exit_code, 0) << packed;
    RunResult imported = ch10({"import", tar, "box"});
    ASSERT_EQ(imported.exit_code, 0) << imported;
  }
  void TearDown() override {
    cgroup.reset();
    Rootless::TearDown();
  }
  /// ch10-images ARGS as the user, in the delegated cgroup; `env` (NAME=VALUE) added.
  RunResult ch10_run(std::vector<std::string> args, const std::vector<std::string>& env = {}) {
    args.insert(args.begin(), bin("ch10-images"));
    args.insert(args.begin(), env.begin(), env.end());
    return run(cgroup->wrap(as_user(*user, *state, args)));
  }
  std::vector<std::string> containers() {
    std::vector<std::string> found;
    std::error_code ignored;
    for (const auto& entry : fs::directory_iterator(state->path() / "containers", ignored))
      found.push_back(entry.path().filename().string());
    return found;
  }
};

TEST_F(RootlessRun, TheChildMountsOverlayWithUserxattrAndDiffCommitRmWork_Exercise) {
  std::string name = unique_name("rl-");
  RunResult ran = ch10_run({"run", "--name", name, "box", "sh", "-c",
                            "id -u; echo hi > /hello; rm /bin/vi; grep ' / ' /proc/self/mounts"});
  ASSERT_EQ(ran.exit_code, 0) << ran;
  EXPECT_EQ(ran.out.substr(0, 2), "0\n") << ran;
  EXPECT_NE(ran.out.find("overlay / overlay "), std::string::npos) << ran;
  EXPECT_NE(ran.out.find("userxattr"), std::string::npos) << ran;
  EXPECT_EQ(mounts_under(state->path()), "") << "the overlay lived in the container's mount namespace";
  auto ids = containers();
  ASSERT_EQ(ids.size(), 1u);
  struct stat st {};
  ASSERT_EQ(::lstat((state->path() / "containers" / ids[0] / "upper" / "hello").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, user->uid) << "the container's root is the user";
  ASSERT_EQ(::lstat((state->path() / "containers" / ids[0] / "upper" / "bin" / "vi").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode)) << "overlay's whiteout, made in the user namespace";

  RunResult diff = ch10({"diff", name});
  ASSERT_EQ(diff.exit_code, 0) << diff;
  EXPECT_NE(diff.out.find("A /hello\n"), std::string::npos) << diff;
  EXPECT_NE(diff.out.find("D /bin/vi\n"), std::string::npos) << diff;
  RunResult committed = ch10({"commit", name, "box:2"});
  ASSERT_EQ(committed.exit_code, 0) << committed;
  RunResult again = ch10_run({"run", "--rm", "box:2", "sh", "-c", "cat /hello; ls /bin/vi"});
  EXPECT_EQ(again.out, "hi\n") << again;
  RunResult removed = ch10({"rm", name});
  EXPECT_EQ(removed.exit_code, 0) << removed;
  EXPECT_TRUE(containers().empty()) << "rm removed the rw layer, --rm the other one";
}

TEST_F(RootlessRun, TheVfsDriverCopiesTheImageInTheUsersNamespace) {
  RunResult ran = ch10_run({"run", "--rm", "box", "sh", "-c", "stat -c %u /bin/busybox; grep -c ' / overlay ' /proc/self/mounts"},
                           {"DOCKLING_STORAGE_DRIVER=vfs"});
  EXPECT_EQ(ran.out, "0\n0\n") << "a copy, its files root's inside\n" << ran;
  EXPECT_TRUE(containers().empty()) << "--rm removed the copy";
}

TEST_F(RootlessRun, WhereTheKernelRefusesOverlayTheVfsDriverTakesOverWithAWarning) {
  RunResult ran = ch10_run({"run", "--rm", "box", "sh", "-c", "grep -c ' / overlay ' /proc/self/mounts"},
                           {"DOCKLING_NO_ROOTLESS_OVERLAY=1"});
  EXPECT_EQ(ran.exit_code, 1) << "grep found no overlay root\n" << ran;
  EXPECT_EQ(ran.out, "0\n") << ran;
  EXPECT_NE(ran.err.find("ch10-images: warning: overlay cannot be mounted in a user namespace here"), std::string::npos)
      << ran;
  EXPECT_NE(ran.err.find("each container gets a copy of its image instead (the vfs driver: slower)"), std::string::npos)
      << ran;
  EXPECT_TRUE(containers().empty()) << "--rm removed the copy";

  RunResult asked = ch10_run({"run", "--rm", "box", "true"},
                             {"DOCKLING_NO_ROOTLESS_OVERLAY=1", "DOCKLING_STORAGE_DRIVER=overlay"});
  EXPECT_EQ(asked.exit_code, 125) << "overlay asked for, and refused: an error, not a copy\n" << asked;
  EXPECT_NE(asked.err.find("use --storage-driver vfs"), std::string::npos) << asked;
}

}  // namespace
}  // namespace dockling::ch10
