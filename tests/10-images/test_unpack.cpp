// Unpacking a layer: streaming, the diff id, what is kept, whiteouts, and every escape refused.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <string>
#include <vector>

#include "digest.hpp"
#include "dockling/error.hpp"
#include "dockling/testing.hpp"
#include "layer_fixture.hpp"

namespace dockling::ch10 {
namespace {

using namespace dockling::ch10::testing;

std::string xattr(const std::string& path, const std::string& name) {
  char value[256];
  ssize_t n = ::lgetxattr(path.c_str(), name.c_str(), value, sizeof value);
  return n < 0 ? std::string("<none>") : std::string(value, static_cast<size_t>(n));
}

class Unpack : public LayerTest {};

TEST_F(Unpack, KeepsOwnersModesTimesXattrsAndLinks) {
  DOCKLING_REQUIRE_ROOT();
  TarEntry tool = file("bin/tool", "#!/bin/sh\n", 04755);
  tool.uid = 1000;
  tool.gid = 1001;
  tool.mtime = 1600000000;
  tool.xattrs = {{"user.origin", "test"}};
  TarEntry home = dir("home/user/", 0700);
  home.uid = 1000;
  TarEntry fifo;
  fifo.name = "run/fifo";
  fifo.type = AE_IFIFO;
  UnpackedLayer result = unpack(make_tar({dir("bin/"), tool, symlink("bin/sh", "/bin/busybox"),
                                          hardlink("bin/tool2", "bin/tool"), home, fifo}));
  struct stat st;
  ASSERT_EQ(::lstat((layer + "/bin/tool").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 04755u);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_gid, 1001u);
  EXPECT_EQ(st.st_mtime, 1600000000);
  EXPECT_EQ(st.st_nlink, 2u) << "bin/tool2 is a hard link to it";
  EXPECT_EQ(read_file(layer + "/bin/tool2"), "#!/bin/sh\n");
  EXPECT_EQ(xattr(layer + "/bin/tool", "user.origin"), "test");
  EXPECT_EQ(std::filesystem::read_symlink(layer + "/bin/sh"), "/bin/busybox");
  ASSERT_EQ(::lstat((layer + "/home/user").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_mtime, 1700000000) << "a directory's mtime is set after its contents";
  ASSERT_EQ(::lstat((layer + "/run/fifo").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(result.size, 10u) << "bytes of regular files (a hard link adds none)";
}

TEST_F(Unpack, DiffIdIsTheDigestOfTheUncompressedStream) {
  DOCKLING_REQUIRE_ROOT();
  std::vector<TarEntry> entries{dir("etc/"), file("etc/hostname", "box\n"), file("big", std::string(300000, 'x'))};
  std::string plain = make_tar(entries);
  std::string expected = sha256_digest(plain);
  for (auto compression : {Compression::none, Compression::gzip, Compression::zstd}) {
    std::string tar = make_tar(entries, compression);
    if (compression != Compression::none) {
      ASSERT_NE(tar, plain);
    }
    remove_tree(layer);
    ASSERT_EQ(::mkdir(layer.c_str(), 0755), 0);
    UnpackedLayer result = unpack(tar);
    EXPECT_EQ(result.diff_id, expected) << "compression " << static_cast<int>(compression);
    EXPECT_EQ(read_file(layer + "/etc/hostname"), "box\n");
    EXPECT_EQ(read_file(layer + "/big").size(), 300000u);
  }
}

TEST_F(Unpack, DiffIdCoversTrailingBytes) {
  DOCKLING_REQUIRE_ROOT();
  std::string plain = make_tar({file("a")}) + std::string(10240, '\0');  // as GNU tar pads
  EXPECT_EQ(unpack(plain).diff_id, sha256_digest(plain));
}

TEST_F(Unpack, WhiteoutsBecomeOverlaysForm_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  unpack(make_tar({dir("etc/"), file("etc/.wh.passwd", ""), dir("var/cache/"), file("var/cache/.wh..wh..opq", ""),
                   file("var/cache/kept"), file(".wh.gone", "")}));
  struct stat st;
  ASSERT_EQ(::lstat((layer + "/etc/passwd").c_str(), &st), 0) << "the whiteout of etc/passwd";
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, ::makedev(0, 0));
  EXPECT_FALSE(path_exists(layer + "/etc/.wh.passwd"));
  ASSERT_EQ(::lstat((layer + "/gone").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(xattr(layer + "/var/cache", "trusted.overlay.opaque"), "y");
  EXPECT_FALSE(path_exists(layer + "/var/cache/.wh..wh..opq"));
  EXPECT_TRUE(path_exists(layer + "/var/cache/kept"));
  EXPECT_EQ(xattr(layer + "/etc", "trusted.overlay.opaque"), "<none>");
}

TEST_F(Unpack, AWhiteoutReplacesAnEarlierEntry_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  unpack(make_tar({dir("d/"), file("d/f"), file(".wh.d", "")}));
  struct stat st;
  ASSERT_EQ(::lstat((layer + "/d").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
}

TEST_F(Unpack, AufsMetadataIsIgnored_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  unpack(make_tar({dir(".wh..wh.plnk/"), file(".wh..wh.plnk/123.456"), file("kept")}));
  EXPECT_FALSE(path_exists(layer + "/.wh..wh.plnk"));
  EXPECT_TRUE(path_exists(layer + "/kept"));
}

TEST_F(Unpack, TarballXattrsCannotSteerOverlay) {
  DOCKLING_REQUIRE_ROOT();
  TarEntry d = dir("d/");
  d.xattrs = {{"trusted.overlay.redirect", "/etc"}, {"trusted.overlay.opaque", "y"}};
  unpack(make_tar({d}));
  EXPECT_EQ(xattr(layer + "/d", "trusted.overlay.redirect"), "<none>");
  EXPECT_EQ(xattr(layer + "/d", "trusted.overlay.opaque"), "<none>");
}

TEST_F(Unpack, RootlessFormMarksOpaqueWithAUserXattr_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  TarEntry d = dir("d/");
  d.xattrs = {{"user.overlay.redirect", "/etc"}, {"trusted.dockling", "x"}, {"user.kept", "y"}};
  unpack(make_tar({dir("var/cache/"), file("var/cache/.wh..wh..opq", ""), file(".wh.gone", ""), d}),
         LayerForm::rootless);
  EXPECT_EQ(xattr(layer + "/var/cache", "user.overlay.opaque"), "y");
  EXPECT_EQ(xattr(layer + "/var/cache", "trusted.overlay.opaque"), "<none>");
  struct stat st;
  ASSERT_EQ(::lstat((layer + "/gone").c_str(), &st), 0) << "whiteouts keep overlay's form: a 0/0 device";
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, ::makedev(0, 0));
  EXPECT_EQ(xattr(layer + "/d", "user.overlay.redirect"), "<none>") << "the tarball cannot steer a userxattr mount";
  EXPECT_EQ(xattr(layer + "/d", "trusted.dockling"), "<none>") << "only the host's root may set trusted.*";
  EXPECT_EQ(xattr(layer + "/d", "user.kept"), "y");
}

TEST_F(Unpack, RootlessFormRefusesDeviceNodes) {
  DOCKLING_REQUIRE_ROOT();
  TarEntry null = file("dev/null");
  null.type = AE_IFCHR;
  null.rdev = ::makedev(1, 3);
  try {
    unpack(make_tar({dir("dev/"), null}), LayerForm::rootless);
    FAIL() << "a device node was made by a rootless unpack";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("entry \"dev/null\": a device node (character 1:3): a rootless store cannot "
                                         "hold one"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(path_exists(layer + "/dev/null"));
  unpack(make_tar({dir("dev/"), null}));
  struct stat st;
  ASSERT_EQ(::lstat((layer + "/dev/null").c_str(), &st), 0) << "root's form makes it";
  EXPECT_EQ(st.st_rdev, ::makedev(1, 3));
}

TEST_F(Unpack, DamagedStreamsAreRefused) {
  DOCKLING_REQUIRE_ROOT();
  std::string data;
  for (int i = 0; i < 50000; ++i) data += std::to_string(i * 7919 % 104729);
  std::string gz = make_tar({file("big", data)}, Compression::gzip);
  EXPECT_THROW(unpack(gz.substr(0, gz.size() / 2)), Error);
  EXPECT_THROW(unpack("this is not a tarball at all, not even close to one...................."), Error);
  EXPECT_THROW(unpack(""), Error);
}

struct Escape {
  std::string label;
  std::vector<TarEntry> entries;
  std::string entry;   ///< the entry the error must name
  std::string reason;  ///< words the error must hold
};

/// Shown in test names and failures instead of the bytes.
void PrintTo(const Escape& value, std::ostream* os) { *os << value.label; }

class Escapes : public LayerTest, public ::testing::WithParamInterface<Escape> {};

TEST_P(Escapes, AreRefusedNamingTheEntry) {
  DOCKLING_REQUIRE_ROOT();
  const Escape& e = GetParam();
  std::vector<TarEntry> entries = e.entries;
  for (auto& entry : entries)
    if (entry.link == "@OUTSIDE@") entry.link = outside;  // an absolute link to a real directory
  try {
    unpack(make_tar(entries));
    ADD_FAILURE() << e.label << ": unpacked";
  } catch (const Error& error) {
    std::string message = error.what();
    EXPECT_NE(message.find("entry \"" + e.entry + "\""), std::string::npos) << message;
    EXPECT_NE(message.find(e.reason), std::string::npos) << message;
  }
  EXPECT_TRUE(outside_untouched()) << e.label;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, Escapes,
    ::testing::Values(
        Escape{"dotdot", {file("../outside/passwd", "owned\n")}, "../outside/passwd", "climbs out of the layer"},
        Escape{"dotdot-inside", {file("a/../../outside/passwd", "owned\n")}, "a/../../outside/passwd", "climbs out"},
        Escape{"absolute-climbing", {file("/../outside/passwd", "owned\n")}, "/../outside/passwd", "climbs out"},
        Escape{"symlink-climbing", {symlink("link", "../outside")}, "link", "symbolic link to \"../outside\" climbs out"},
        Escape{"symlink-deep-climbing", {dir("a/"), symlink("a/link", "../../outside/passwd")}, "a/link", "climbs out"},
        Escape{"hardlink-climbing", {hardlink("h", "../outside/passwd")}, "h", "hard link to \"../outside/passwd\" climbs out"},
        Escape{"through-symlink", {symlink("d", "@OUTSIDE@"), file("d/passwd", "owned\n")}, "d/passwd",
               "goes through the symbolic link d"},
        Escape{"through-relative-symlink", {symlink("d", "."), file("d/x")}, "d/x", "symbolic link d"},
        Escape{"whiteout-through-symlink", {symlink("d", "@OUTSIDE@"), file("d/.wh.passwd", "")}, "d/.wh.passwd",
               "a whiteout that goes through the symbolic link d"},
        Escape{"opaque-through-symlink", {symlink("d", "@OUTSIDE@"), file("d/.wh..wh..opq", "")}, "d/.wh..wh..opq",
               "symbolic link d"},
        Escape{"hardlink-through-symlink", {symlink("s", "@OUTSIDE@"), hardlink("x", "s/passwd")}, "x",
               "goes through the symbolic link s"},
        Escape{"dir-replaced-by-symlink", {dir("d/"), symlink("d", "@OUTSIDE@"), file("d/passwd", "owned\n")}, "d",
               "replaces the directory d with a symbolic link"},
        Escape{"hardlink-to-missing", {hardlink("x", "nothing")}, "x", "does not hold"},
        Escape{"whiteout-of-dotdot", {file(".wh..", "")}, ".wh..", "whiteout"}),
    [](const ::testing::TestParamInfo<Escape>& info) {
      std::string name = info.param.label;
      for (char& c : name)
        if (c == '-') c = '_';
      return name;
    });

}  // namespace
}  // namespace dockling::ch10
