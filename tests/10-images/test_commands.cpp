// ch10-images's commands as a user types them, and peers (umoci, skopeo) reading the store.
#include <gtest/gtest.h>
#include <unistd.h>

#include <regex>
#include <string>

#include "dockling/fs.hpp"
#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"
#include "peer_programs.hpp"
#include "tar_builder.hpp"

namespace dockling::ch10 {
namespace {

using namespace dockling::testing;
using namespace dockling::ch10::testing;

class Commands : public ::testing::Test {
 protected:
  TempDir tmp{"dockling-ch10-cmd"};
  std::string root = (tmp.path() / "root").string();
  std::string tarball = (tmp.path() / "rootfs.tar.gz").string();

  void SetUp() override {
    write_file(tarball, make_tar({dir("bin/"), file("bin/hello", "hello from the image\n", 0755),
                                  symlink("bin/link", "hello")},
                                 Compression::gzip));
  }
  RunResult ch10(std::vector<std::string> args, const std::string& input = {}) {
    args.insert(args.begin(), {bin("ch10-images"), "--root", root});
    return run(args, milliseconds(30000), input);
  }
  std::string layout() const { return root + "/images"; }
};

TEST_F(Commands, ImportImagesTagRmi) {
  DOCKLING_REQUIRE_ROOT();
  RunResult imported = ch10({"import", tarball, "hello:1"});
  ASSERT_EQ(imported.exit_code, 0) << imported;
  ASSERT_TRUE(std::regex_match(imported.out, std::regex("sha256:[0-9a-f]{64}\n"))) << imported;
  std::string id = imported.out.substr(7, 12);

  RunResult listed = ch10({"images"});
  ASSERT_EQ(listed.exit_code, 0) << listed;
  EXPECT_TRUE(std::regex_match(
      listed.out, std::regex("REPOSITORY   TAG       IMAGE ID       CREATED +SIZE\n"
                             "hello        1         " + id + "   (Less than a second|[0-9]+ seconds?) ago +21B\n")))
      << listed;

  std::string tar = (tmp.path() / "plain.tar").string();
  write_file(tar, make_tar({file("x", "x\n")}));
  RunResult from_stdin = ch10({"import", "-", "localhost:5000/team/app"}, read_file(tar));
  ASSERT_EQ(from_stdin.exit_code, 0) << from_stdin;
  ASSERT_EQ(ch10({"tag", "hello:1", "hello"}).exit_code, 0);

  RunResult filtered = ch10({"images", "hello"});
  EXPECT_NE(filtered.out.find("\nhello        1 "), std::string::npos) << filtered;
  EXPECT_NE(filtered.out.find("\nhello        latest "), std::string::npos) << filtered;
  EXPECT_EQ(filtered.out.find("localhost"), std::string::npos) << filtered;

  RunResult quiet = ch10({"images", "-q", "hello:latest"});
  EXPECT_EQ(quiet.out, id + "\n") << quiet;
  RunResult digests = ch10({"images", "--digests", "localhost:5000/team/app"});
  EXPECT_TRUE(std::regex_search(digests.out, std::regex("\nlocalhost:5000/team/app   latest    sha256:[0-9a-f]{64}   ")))
      << digests;

  RunResult conflict = ch10({"rmi", id});
  EXPECT_EQ(conflict.exit_code, 1) << conflict;
  EXPECT_NE(conflict.err.find("ch10-images: conflict: unable to delete " + id + " (must be forced)"), std::string::npos)
      << conflict;

  RunResult removed = ch10({"rmi", "hello:1", "nosuch", "hello"});
  EXPECT_EQ(removed.exit_code, 1) << removed;
  EXPECT_EQ(removed.err, "ch10-images: No such image: nosuch\n") << removed;
  EXPECT_TRUE(std::regex_match(removed.out, std::regex("Untagged: hello:1\n"
                                                       "Untagged: hello:latest\n"
                                                       "Deleted: sha256:" + id + "[0-9a-f]{52}\n"
                                                       "Deleted: sha256:[0-9a-f]{64}\n")))
      << removed;
  RunResult left = ch10({"images", "-q"});
  EXPECT_EQ(left.out.size(), 13u) << left;
  ASSERT_EQ(ch10({"rmi", "localhost:5000/team/app"}).exit_code, 0);
  EXPECT_EQ(ch10({"images"}).out, "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n");
}

TEST_F(Commands, BadInputSaysWhatAndExits1) {
  DOCKLING_REQUIRE_ROOT();
  RunResult bad_ref = ch10({"import", tarball, "Hello"});
  EXPECT_EQ(bad_ref.exit_code, 1);
  EXPECT_EQ(bad_ref.err, "ch10-images: invalid reference format: repository name must be lowercase\n");
  RunResult no_image = ch10({"tag", "nosuch", "x"});
  EXPECT_EQ(no_image.exit_code, 1);
  EXPECT_EQ(no_image.err, "ch10-images: No such image: nosuch:latest\n");
  std::string evil = (tmp.path() / "evil.tar").string();
  write_file(evil, make_tar({file("ok"), file("../../evil")}));
  RunResult escaped = ch10({"import", evil, "evil"});
  EXPECT_EQ(escaped.exit_code, 1);
  EXPECT_NE(escaped.err.find("entry \"../../evil\": climbs out of the layer"), std::string::npos) << escaped;
  EXPECT_FALSE(path_exists((tmp.path().parent_path() / "evil").string()));
  EXPECT_EQ(ch10({"images", "-q"}).out, "");
  RunResult missing = ch10({"import", (tmp.path() / "nothing.tar").string()});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("nothing.tar\"): No such file or directory"), std::string::npos) << missing;
}

TEST_F(Commands, KeepsChapter09sRun) {
  DOCKLING_REQUIRE_ROOT();
  RunResult result = ch10({"run", "--network", "none", rootfs(), "echo", "still a runtime"});
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, "still a runtime\n");
}

TEST_F(Commands, UmociUnpacksAnImportedImage) {
  DOCKLING_REQUIRE_ROOT();
  std::string umoci = which("umoci");
  ASSERT_FALSE(umoci.empty()) << "umoci is not installed: run sudo scripts/setup-deps";
  ASSERT_EQ(ch10({"import", tarball, "hello:1"}).exit_code, 0);
  std::string bundle = (tmp.path() / "bundle").string();
  RunResult unpacked = run({umoci, "unpack", "--image", layout() + ":docker.io/library/hello:1", bundle});
  ASSERT_EQ(unpacked.exit_code, 0) << unpacked;
  EXPECT_EQ(read_file(bundle + "/rootfs/bin/hello"), "hello from the image\n");
  EXPECT_EQ(std::filesystem::read_symlink(bundle + "/rootfs/bin/link"), "hello");
  RunResult listed = run({umoci, "ls", "--layout", layout()});
  EXPECT_EQ(listed.out, "docker.io/library/hello:1\n") << listed;
}

TEST_F(Commands, SkopeoInspectsAnImportedImage) {
  DOCKLING_REQUIRE_ROOT();
  std::string skopeo = which("skopeo");
  ASSERT_FALSE(skopeo.empty()) << "skopeo is not installed: run sudo scripts/setup-deps";
  ASSERT_EQ(ch10({"import", tarball, "registry.example.com:5000/team/hello:2.0"}).exit_code, 0);
  RunResult inspected = run({skopeo, "inspect", "oci:" + layout() + ":registry.example.com:5000/team/hello:2.0"});
  ASSERT_EQ(inspected.exit_code, 0) << inspected;
  nlohmann::json json = nlohmann::json::parse(inspected.out);
  RunResult digests = ch10({"images", "--digests"});
  EXPECT_NE(digests.out.find(json["Digest"].get<std::string>()), std::string::npos) << digests << inspected.out;
  EXPECT_EQ(json["Layers"].size(), 1u);
  EXPECT_EQ(json["Os"], "linux");
}

}  // namespace
}  // namespace dockling::ch10
