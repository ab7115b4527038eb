// The exercise: decide_entry(), what one layer entry does. Every test here reaches it.
#include <gtest/gtest.h>

#include <string>

#include "images.hpp"
#include "tar_builder.hpp"

namespace dockling::ch10 {
namespace {

struct Case {
  std::string name;
  EntryKind kind;
  std::string path;  ///< for a refused entry: a word its reason must hold
};

/// Shown in test names and failures instead of the bytes.
void PrintTo(const Case& value, std::ostream* os) { *os << "\"" << value.name << "\""; }

std::string kind_name(EntryKind kind) {
  switch (kind) {
    case EntryKind::regular: return "regular";
    case EntryKind::whiteout: return "whiteout";
    case EntryKind::opaque: return "opaque";
    case EntryKind::ignored: return "ignored";
    case EntryKind::refused: return "refused";
  }
  return "?";
}

const auto kCaseName = [](const ::testing::TestParamInfo<Case>& info) {
  return testing::param_name(info.index, info.param.name);
};

class DecideEntry : public ::testing::TestWithParam<Case> {};

TEST_P(DecideEntry, FollowsTheContract_Exercise) {
  const Case& c = GetParam();
  EntryDecision d = decide_entry(c.name);
  ASSERT_EQ(kind_name(d.kind), kind_name(c.kind)) << "entry \"" << c.name << "\" (reason: " << d.reason << ")";
  if (c.kind == EntryKind::refused) {
    EXPECT_NE(d.reason.find(c.path), std::string::npos) << "entry \"" << c.name << "\": reason \"" << d.reason << "\"";
  } else {
    EXPECT_EQ(d.path, c.path) << "entry \"" << c.name << "\"";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Regular, DecideEntry,
    ::testing::Values(Case{"bin/busybox", EntryKind::regular, "bin/busybox"},
                      Case{"./bin/busybox", EntryKind::regular, "bin/busybox"},
                      Case{"etc/", EntryKind::regular, "etc"},
                      Case{"/etc/passwd", EntryKind::regular, "etc/passwd"},
                      Case{"a//b/./c", EntryKind::regular, "a/b/c"},
                      Case{"a/b/../c", EntryKind::regular, "a/c"},
                      Case{"/../etc/../etc/hosts", EntryKind::refused, "climbs out"},
                      Case{"file.wh.not", EntryKind::regular, "file.wh.not"},
                      Case{"dir/x.wh.y", EntryKind::regular, "dir/x.wh.y"},
                      Case{"..data", EntryKind::regular, "..data"},
                      Case{"...", EntryKind::regular, "..."}),
    kCaseName);

INSTANTIATE_TEST_SUITE_P(
    Root, DecideEntry,
    ::testing::Values(Case{".", EntryKind::ignored, ""}, Case{"./", EntryKind::ignored, ""},
                      Case{"/", EntryKind::ignored, ""}, Case{"a/..", EntryKind::ignored, ""}),
    kCaseName);

INSTANTIATE_TEST_SUITE_P(
    Whiteouts, DecideEntry,
    ::testing::Values(Case{".wh.file", EntryKind::whiteout, "file"},
                      Case{"etc/.wh.passwd", EntryKind::whiteout, "etc/passwd"},
                      Case{"./usr/lib/.wh.libfoo.so", EntryKind::whiteout, "usr/lib/libfoo.so"},
                      Case{"/etc/.wh.hosts", EntryKind::whiteout, "etc/hosts"},
                      Case{"a/.wh..hidden", EntryKind::whiteout, "a/.hidden"},
                      Case{".wh.", EntryKind::refused, "whiteout"},
                      Case{"dir/.wh..", EntryKind::refused, "whiteout"},
                      Case{"dir/.wh...", EntryKind::refused, "whiteout"},
                      Case{".wh.dir/file", EntryKind::refused, "whiteout"},
                      Case{"a/.wh.b/c", EntryKind::refused, "whiteout"}),
    kCaseName);

INSTANTIATE_TEST_SUITE_P(
    Opaque, DecideEntry,
    ::testing::Values(Case{"dir/.wh..wh..opq", EntryKind::opaque, "dir"},
                      Case{"./a/b/.wh..wh..opq", EntryKind::opaque, "a/b"},
                      Case{".wh..wh..opq", EntryKind::opaque, ""},
                      Case{"/var/.wh..wh..opq", EntryKind::opaque, "var"}),
    kCaseName);

INSTANTIATE_TEST_SUITE_P(
    Aufs, DecideEntry,
    ::testing::Values(Case{".wh..wh.plnk", EntryKind::ignored, ".wh..wh.plnk"},
                      Case{".wh..wh.plnk/1234.5678", EntryKind::ignored, ".wh..wh.plnk/1234.5678"},
                      Case{"dir/.wh..wh.aufs", EntryKind::ignored, "dir/.wh..wh.aufs"}),
    kCaseName);

INSTANTIATE_TEST_SUITE_P(
    Escapes, DecideEntry,
    ::testing::Values(Case{"", EntryKind::refused, "empty"},
                      Case{"..", EntryKind::refused, "climbs out"},
                      Case{"../evil", EntryKind::refused, "climbs out"},
                      Case{"./../evil", EntryKind::refused, "climbs out"},
                      Case{"a/../../evil", EntryKind::refused, "climbs out"},
                      Case{"/../evil", EntryKind::refused, "climbs out"},
                      Case{"a/b/../../../etc/passwd", EntryKind::refused, "climbs out"},
                      Case{"../.wh.passwd", EntryKind::refused, "climbs out"},
                      Case{"../.wh..wh..opq", EntryKind::refused, "climbs out"}),
    kCaseName);

}  // namespace
}  // namespace dockling::ch10
