// Chapter 07, without containers: the map text, the subuid ranges, -u lookups and the
// detection of disabled or restricted user namespaces (pure functions over given values).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "dockling/error.hpp"
#include "dockling/fs.hpp"
#include "exec_user.hpp"
#include "id_ranges.hpp"
#include "userns.hpp"
#include "userns_check.hpp"

namespace {

using namespace dockling::ch07;

/// A random number below `limit`, so that a hard-coded answer fails.
unsigned long random_below(unsigned long limit) { return std::stoul(dockling::random_hex(4), nullptr, 16) % limit; }

TEST(IdMapText, OneLineAMapping_Exercise) {
  unsigned long outside = 100000 + random_below(1000000), count = 1 + random_below(65536);
  EXPECT_EQ(id_map_text({{0, outside, count}}), "0 " + std::to_string(outside) + " " + std::to_string(count) + "\n");
  EXPECT_EQ(id_map_text({{0, 1000, 1}, {1, outside, count}}),
            "0 1000 1\n1 " + std::to_string(outside) + " " + std::to_string(count) + "\n");
  EXPECT_EQ(id_map_text({}), "");
}

TEST(SubidRanges, FindsTheNamedOrNumberedEntry) {
  unsigned long start = 200000 + random_below(1000000), count = 1 + random_below(65536);
  std::string text = "# comment\nalice:100000:65536\nbroken line\ndockling:" + std::to_string(start) + ":" +
                     std::to_string(count) + "\n1000:300000:10\n";
  auto range = find_subid_range(text, "dockling");
  ASSERT_TRUE(range);
  EXPECT_EQ(range->inside, 0u);
  EXPECT_EQ(range->outside, start);
  EXPECT_EQ(range->count, count);
  auto by_id = find_subid_range(text, "bob", 1000);
  ASSERT_TRUE(by_id);
  EXPECT_EQ(by_id->outside, 300000u);
  EXPECT_FALSE(find_subid_range(text, "carol"));
}

TEST(SubidRanges, RootRunsUseTheDocklingRangeOrTheDefault) {
  unsigned long start = 200000 + random_below(1000000);
  IdMaps maps = root_id_maps("dockling:" + std::to_string(start) + ":65536\n", "");
  ASSERT_EQ(maps.uids.size(), 1u);
  EXPECT_EQ(maps.uids[0].outside, start);
  ASSERT_EQ(maps.gids.size(), 1u);
  EXPECT_EQ(maps.gids[0].outside, kDefaultRange.outside);
  EXPECT_EQ(maps.gids[0].count, kDefaultRange.count);
  EXPECT_FALSE(maps.deny_setgroups);
}

TEST(SubidRanges, RootlessMapsTheUserAloneAndDeniesSetgroups) {
  uid_t uid = static_cast<uid_t>(1000 + random_below(50000));
  IdMaps maps = rootless_id_maps(uid, uid + 1);
  ASSERT_EQ(maps.uids.size(), 1u);
  EXPECT_EQ(maps.uids[0].outside, uid);
  EXPECT_EQ(maps.uids[0].count, 1u);
  EXPECT_EQ(maps.gids[0].outside, uid + 1);
  EXPECT_TRUE(maps.deny_setgroups);
}

TEST(SubidRanges, RootlessWithSubidsMapsTheUserThenItsRanges_Exercise) {
  uid_t uid = static_cast<uid_t>(1000 + random_below(50000));
  unsigned long ustart = 300000 + random_below(1000000), gstart = ustart + 70000, count = 1 + random_below(65536);
  std::string subuid = "other:1:2\nalice:" + std::to_string(ustart) + ":" + std::to_string(count) + "\n";
  std::string subgid = std::to_string(uid) + ":" + std::to_string(gstart) + ":" + std::to_string(count) + "\n";
  auto maps = rootless_subid_maps(uid, uid + 1, "alice", subuid, subgid);
  ASSERT_TRUE(maps.has_value());
  ASSERT_EQ(maps->uids.size(), 2u);
  EXPECT_EQ(id_map_text(maps->uids), "0 " + std::to_string(uid) + " 1\n1 " + std::to_string(ustart) + " " +
                                         std::to_string(count) + "\n");
  EXPECT_EQ(id_map_text(maps->gids), "0 " + std::to_string(uid + 1) + " 1\n1 " + std::to_string(gstart) + " " +
                                         std::to_string(count) + "\n");
  EXPECT_FALSE(maps->deny_setgroups);  // newgidmap settles setgroups
  EXPECT_FALSE(rootless_subid_maps(uid, uid, "bob", subuid, subgid).has_value());  // no subuid range
  EXPECT_FALSE(rootless_subid_maps(uid, uid, "alice", subuid, "").has_value());    // no subgid range
}

const std::string kPasswd =
    "root:x:0:0:root:/root:/bin/sh\n"
    "web:x:1234:2345:web server:/srv:/bin/sh\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
const std::string kGroup =
    "root:x:0:\n"
    "www:x:2345:\n"
    "logs:x:3001:alice,web\n"
    "audio:x:3002:web\n"
    "nogroup:x:65534:\n";

TEST(ResolveUser, NumbersAreTakenAsTheyAre) {
  uid_t uid = static_cast<uid_t>(1000 + random_below(50000));
  ExecUser user = resolve_user(std::to_string(uid) + ":" + std::to_string(uid + 7), kPasswd, kGroup);
  EXPECT_EQ(user.uid, uid);
  EXPECT_EQ(user.gid, uid + 7);
  EXPECT_EQ(user.groups, (std::vector<gid_t>{uid + 7}));  // docker 20.10 lists the primary group
  EXPECT_EQ(user.home, "/");
  EXPECT_EQ(resolve_user(std::to_string(uid), kPasswd, kGroup).gid, 0u);  // unknown uid: group 0, like docker
}

TEST(ResolveUser, NamesComeFromPasswdAndGroup) {
  ExecUser web = resolve_user("web", kPasswd, kGroup);
  EXPECT_EQ(web.uid, 1234u);
  EXPECT_EQ(web.gid, 2345u);
  EXPECT_EQ(web.groups, (std::vector<gid_t>{2345, 3001, 3002}));
  EXPECT_EQ(web.home, "/srv");
  ExecUser by_number = resolve_user("1234:logs", kPasswd, kGroup);
  EXPECT_EQ(by_number.uid, 1234u);
  EXPECT_EQ(by_number.gid, 3001u);
  EXPECT_EQ(by_number.groups, (std::vector<gid_t>{3001}));  // a GROUP given replaces the memberships
  ExecUser nobody = resolve_user("nobody", kPasswd, kGroup);
  EXPECT_EQ(nobody.uid, 65534u);
  EXPECT_EQ(nobody.gid, 65534u);
  EXPECT_EQ(nobody.groups, (std::vector<gid_t>{65534}));
  EXPECT_EQ(nobody.home, "/nonexistent");
  ExecUser root = resolve_user("", kPasswd, kGroup);  // no -u: root, as docker
  EXPECT_EQ(root.groups, (std::vector<gid_t>{0}));
  EXPECT_EQ(root.home, "/root");
}

TEST(AddGroups, NamesFromTheGroupFileAndNumbersAsTheyAre) {
  ExecUser web = resolve_user("web", kPasswd, kGroup);
  gid_t extra = static_cast<gid_t>(5000 + random_below(50000));
  add_groups(web, {"nogroup", std::to_string(extra), "logs"}, kGroup);
  std::vector<gid_t> expected = {2345, 3001, 3002, extra, 65534};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(web.groups, expected);
  try {
    add_groups(web, {"wheel"}, kGroup);
    ADD_FAILURE() << "an unknown group was accepted";
  } catch (const dockling::Error& e) {
    EXPECT_STREQ(e.what(), "Unable to find group wheel: no matching entries in group file");
  }
}

TEST(ResolveUser, UnknownNamesAreErrorsThatNameThem) {
  try {
    resolve_user("ghost", kPasswd, kGroup);
    FAIL() << "no error for an unknown user";
  } catch (const dockling::Error& e) {
    EXPECT_NE(std::string(e.what()).find("unable to find user ghost"), std::string::npos) << e.what();
  }
  EXPECT_THROW(resolve_user("web:ghosts", kPasswd, kGroup), dockling::Error);
  EXPECT_THROW(resolve_user(":1", kPasswd, kGroup), dockling::Error);
  EXPECT_THROW(resolve_user("4294967296", kPasswd, kGroup), dockling::Error);
}

// The detection of disabled or restricted user namespaces, fed with given sysctl values.

TEST(UsernsDetectionFromSysctls, NothingInTheWay) {
  UsernsSettings settings{28633, 1, 0, "unconfined"};
  EXPECT_EQ(userns_problem(settings, false), "");
  EXPECT_EQ(userns_problem(UsernsSettings{}, false), "");  // none of the files: an old, plain kernel
}

TEST(UsernsDetectionFromSysctls, MaxUserNamespacesZeroStopsEveryone) {
  UsernsSettings settings{0, std::nullopt, std::nullopt, ""};
  for (bool privileged : {false, true}) {
    std::string problem = userns_problem(settings, privileged);
    EXPECT_NE(problem.find("user.max_user_namespaces is 0"), std::string::npos) << problem;
    EXPECT_NE(problem.find("sysctl -w user.max_user_namespaces="), std::string::npos) << problem;
  }
}

TEST(UsernsDetectionFromSysctls, UnprivilegedCloneZeroStopsOrdinaryUsersOnly) {
  UsernsSettings settings{28633, 0, std::nullopt, ""};
  std::string problem = userns_problem(settings, false);
  EXPECT_NE(problem.find("kernel.unprivileged_userns_clone is 0"), std::string::npos) << problem;
  EXPECT_NE(problem.find("sysctl -w kernel.unprivileged_userns_clone=1"), std::string::npos) << problem;
  EXPECT_EQ(userns_problem(settings, true), "");
}

TEST(UsernsDetectionFromSysctls, UbuntuAppArmorRestrictionIsNamed) {
  UsernsSettings settings{28633, 1, 1, "unconfined"};
  std::string problem = userns_problem(settings, false);
  EXPECT_NE(problem.find("AppArmor"), std::string::npos) << problem;
  EXPECT_NE(problem.find("kernel.apparmor_restrict_unprivileged_userns is 1"), std::string::npos) << problem;
  EXPECT_NE(problem.find("sysctl -w kernel.apparmor_restrict_unprivileged_userns=0"), std::string::npos) << problem;
  EXPECT_EQ(userns_problem(settings, true), "");  // root is not restricted
  settings.apparmor_label = "dockling (enforce)";   // a profile of our own may allow userns
  EXPECT_EQ(userns_problem(settings, false), "");
}

TEST(UsernsDetectionFromSysctls, ReadsTheSettingsOfThisHost) {
  UsernsSettings settings = read_userns_settings();
  std::string max = dockling::read_file("/proc/sys/user/max_user_namespaces");
  ASSERT_TRUE(settings.max_user_namespaces);
  EXPECT_EQ(*settings.max_user_namespaces, std::stol(max));
  EXPECT_FALSE(read_userns_settings("/nonexistent").max_user_namespaces);
}

}  // namespace
