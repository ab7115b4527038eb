// Rootless volumes: an ordinary user's named volume lives in its own store, owned by it; the
// image's files are copied up with their owners shifted into the user's subordinate ids; a
// bind mount brings a directory the user may read.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "../10-images/rootless_fixture.hpp"
#include "dockling/fs.hpp"
#include "dockling/testing.hpp"

namespace dockling::ch13 {
namespace {

namespace fs = std::filesystem;
using namespace dockling::testing;
using namespace dockling::ch10::testing;

class RootlessVolumes : public RootlessTest {
 protected:
  std::optional<DelegatedCgroup> cgroup;

  void SetUp() override {
    RootlessTest::SetUp();
    if (IsSkipped() || HasFailure()) return;
    cgroup.emplace(*user);
    // busybox, with /seed (a file of the image's uid 1000) declared a VOLUME.
    RootfsCopy copy;
    fs::path seed = fs::path(copy.path) / "seed";
    fs::create_directories(seed);
    write_file((seed / "a").string(), "seeded\n");
    ASSERT_EQ(::chown((seed / "a").c_str(), 1000, 1000), 0);
    std::string tar = (state->path() / "seeded.tar").string();
    RunResult packed = run({"/bin/tar", "-C", copy.path, "-cf", tar, "."});
    ASSERT_EQ(packed.exit_code, 0) << packed;
    RunResult imported = ch13({"import", "-c", "VOLUME /seed", tar, "seeded"});
    ASSERT_EQ(imported.exit_code, 0) << imported;
  }
  void TearDown() override {
    cgroup.reset();
    RootlessTest::TearDown();
  }
  /// ch13-volumes ARGS as the user, in the delegated cgroup.
  RunResult ch13(std::vector<std::string> args) {
    args.insert(args.begin(), bin("ch13-volumes"));
    return run(cgroup->wrap(as_user(*user, *state, args)), milliseconds(60000));
  }
};

TEST_F(RootlessVolumes, AUsersVolumeIsItsOwnAndCopyUpShiftsTheImagesOwners) {
  RunResult ran = ch13({"run", "--rm", "--network", "none", "-v", "mine:/data", "-v", "seeds:/seed", "seeded", "sh",
                        "-c", "echo kept > /data/f; stat -c %u /seed/a"});
  ASSERT_EQ(ran.exit_code, 0) << ran;
  EXPECT_EQ(ran.out, "1000\n") << "inside, the image's owner as it was";
  fs::path volumes = state->path() / "volumes";
  struct stat st {};
  ASSERT_EQ(::lstat((volumes / "mine" / "_data" / "f").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, user->uid) << "the container's root is the user";
  ASSERT_EQ(::lstat((volumes / "mine").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, user->uid) << "the volume belongs to the user";
  ASSERT_EQ(::lstat((volumes / "seeds" / "_data" / "a").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, uid_start + 999) << "the image's 1000 is the user's subordinate START+999";
  EXPECT_EQ(read_file((volumes / "seeds" / "_data" / "a").string()), "seeded\n");

  RunResult again = ch13({"run", "--rm", "--network", "none", "-v", "mine:/data", "seeded", "cat", "/data/f"});
  EXPECT_EQ(again.out, "kept\n") << again;
  EXPECT_EQ(ch13({"volume", "ls", "-q"}).out, "mine\nseeds\n");
  EXPECT_EQ(ch13({"volume", "prune", "-f"}).exit_code, 0);
  EXPECT_EQ(ch13({"volume", "ls", "-q"}).out, "");
}

TEST_F(RootlessVolumes, ABindMountOfADirectoryTheUserMayRead) {
  fs::path shared = state->path() / "shared";
  fs::create_directories(shared);
  write_file((shared / "note").string(), "from the host\n");
  RunResult ran = ch13({"run", "--rm", "--network", "none", "-v", shared.string() + ":/mnt/shared:ro", "seeded", "sh",
                        "-c", "cat /mnt/shared/note; touch /mnt/shared/x 2>&1 || true"});
  EXPECT_EQ(ran.exit_code, 0) << ran;
  EXPECT_NE(ran.out.find("from the host\n"), std::string::npos) << ran;
  EXPECT_NE(ran.out.find("Read-only file system"), std::string::npos) << ran;
  EXPECT_FALSE(fs::exists(shared / "x"));
}

}  // namespace
}  // namespace dockling::ch13
