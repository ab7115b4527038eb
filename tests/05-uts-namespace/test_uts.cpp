// Chapter 05: the container's own host and domain names, in its own UTS namespace.
#include <sched.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <regex>

#include <gtest/gtest.h>

#include "dockling/error.hpp"
#include "dockling/fs.hpp"
#include "dockling/testing.hpp"
#include "hostname.hpp"
#include "uts.hpp"

namespace {

namespace fs = std::filesystem;
using namespace dockling::testing;

std::vector<std::string> ch05(std::vector<std::string> flags, std::vector<std::string> command) {
  // --network none: these tests are not about networking, and must never touch the default
  // dockling0 bridge or /var/lib/dockling (chapter 04's tests use their own).
  std::vector<std::string> argv = {bin("ch05-uts-namespace"), "run", "--network", "none"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.push_back(rootfs());
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

std::string host_hostname() {
  utsname names{};
  EXPECT_EQ(::uname(&names), 0);
  return names.nodename;
}

std::string env_value(const nlohmann::json& report, const std::string& key) {
  for (const auto& entry : report["env"]) {
    std::string text = entry.get<std::string>();
    if (text.rfind(key + "=", 0) == 0) return text.substr(key.size() + 1);
  }
  return "(unset)";
}

// --- the exercise, called directly ---------------------------------------------------

TEST(SetNames, SetsBothNamesInTheCallersNamespace_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  std::string hostname = unique_name("h"), domainname = unique_name("d") + ".example";
  std::string before = host_hostname();
  int code = run_in_child(CLONE_NEWUTS, [&] {
    dockling::ch05::set_names(hostname, domainname);
    utsname names{};
    ::uname(&names);
    if (names.nodename != hostname) return 1;
    if (names.domainname != domainname) return 2;
    return 0;
  });
  EXPECT_EQ(code, 0) << "1: wrong hostname, 2: wrong domainname, 97: it threw";
  EXPECT_EQ(host_hostname(), before);
}

TEST(SetNames, EmptyDomainnameKeepsTheInheritedOne_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  std::string hostname = unique_name("h");
  int code = run_in_child(CLONE_NEWUTS, [&] {
    utsname before{};
    ::uname(&before);
    dockling::ch05::set_names(hostname, "");
    utsname after{};
    ::uname(&after);
    if (std::string(after.nodename) != hostname) return 1;
    if (std::string(after.domainname) != before.domainname) return 2;
    return 0;
  });
  EXPECT_EQ(code, 0) << "1: wrong hostname, 2: the domainname changed, 97: it threw";
}

TEST(SetNames, FailureIsASysErrorNamingTheCallAndTheName_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  std::string too_long(65, 'x');  // the kernel refuses more than 64 bytes: EINVAL
  int code = run_in_child(CLONE_NEWUTS, [&] {
    try {
      dockling::ch05::set_names(too_long, "");
    } catch (const dockling::SysError& e) {
      std::string message = e.what();
      return message.find("sethostname") != std::string::npos && message.find(too_long) != std::string::npos ? 0 : 1;
    }
    return 2;
  });
  EXPECT_EQ(code, 0) << "1: message lacks the call or the name, 2: nothing thrown, 97: not a SysError";
}

// --- name checks ---------------------------------------------------------------------

TEST(HostnameCheck, AcceptsRfc1123Names) {
  std::vector<std::string> names = {"web", "a", "Web-1.example.COM", "0abc", std::string(63, 'b'),
                                    std::string(31, 'a') + "." + std::string(32, 'b')};  // 64
  for (const auto& name : names)
    EXPECT_EQ(dockling::ch05::hostname_problem(name), "") << name;
}

TEST(HostnameCheck, RejectsOthers) {
  std::vector<std::string> names = {"",   "a_b", "a b", "-web", "web-", "a..b", ".a", "a.", "w\u00e9b", "a/b",
                                    std::string(64, 'a'), std::string(32, 'a') + "." + std::string(32, 'b')};
  for (const auto& name : names)
    EXPECT_NE(dockling::ch05::hostname_problem(name), "") << name;
}

// --- the binary ----------------------------------------------------------------------

TEST(Uts, ProbeSeesTheHostnameAndDomainnameAsked_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  std::string hostname = unique_name("web-"), domainname = unique_name("corp") + ".example";
  auto r = run(ch05({"--hostname", hostname, "--domainname", domainname}, {"/bin/probe"}));
  ASSERT_EQ(r.exit_code, 0) << r;
  auto report = parse_json(r.out);
  EXPECT_EQ(report["hostname"], hostname);
  EXPECT_EQ(report["domainname"], domainname);
  EXPECT_EQ(env_value(report, "HOSTNAME"), hostname);
}

TEST(Uts, ShortFlagAndBusyboxHostname_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  std::string hostname = unique_name("db");
  auto r = run(ch05({"-h", hostname}, {"hostname"}));
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, hostname + "\n");
}

TEST(Uts, DefaultHostnameIsTheShortIdAndInTheEnvironment_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  auto first = run(ch05({}, {"/bin/probe"}));
  auto second = run(ch05({}, {"/bin/probe"}));
  ASSERT_EQ(first.exit_code, 0) << first;
  ASSERT_EQ(second.exit_code, 0) << second;
  auto report = parse_json(first.out);
  std::string hostname = report["hostname"];
  EXPECT_TRUE(std::regex_match(hostname, std::regex("[0-9a-f]{12}"))) << hostname;
  EXPECT_EQ(env_value(report, "HOSTNAME"), hostname);
  EXPECT_NE(parse_json(second.out)["hostname"], hostname) << "each container has its own id";
  EXPECT_NE(hostname, host_hostname());
}

TEST(Uts, ContainerHasItsOwnUtsNamespace_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  ino_t inside = container_namespace(ch05({}, {}), "uts");
  EXPECT_NE(inside, 0u);
  EXPECT_NE(inside, namespace_inode("self", "uts"));
  // Where the container has a /proc of its own (chapter 03), the probe sees the same.
  auto r = run(ch05({}, {"/bin/probe"}));
  ASSERT_EQ(r.exit_code, 0) << r;
  auto seen = parse_json(r.out)["ns"]["uts"];
  if (!seen.is_null()) {
    EXPECT_NE(seen.get<ino_t>(), namespace_inode("self", "uts"));
  }
}

TEST(Uts, HostKeepsItsNames_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  std::string before = host_hostname();
  utsname names{};
  ::uname(&names);
  std::string domain_before = names.domainname;
  std::string hostname = unique_name("h"), domainname = unique_name("d");
  auto r = run(ch05({"-h", hostname, "--domainname", domainname}, {"hostname"}));
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, hostname + "\n");
  EXPECT_EQ(host_hostname(), before);
  ::uname(&names);
  EXPECT_EQ(names.domainname, domain_before);
}

TEST(Uts, BadHostnameIs125AndNamesIt) {
  std::string bad = unique_name("bad_name_");
  auto r = run(ch05({"--hostname", bad}, {"/bin/true"}));
  EXPECT_EQ(r.exit_code, 125) << r;
  EXPECT_NE(r.err.find(bad), std::string::npos) << r;
  EXPECT_NE(r.err.find("hostname"), std::string::npos) << r;

  std::string too_long = unique_name("") + std::string(60, 'a');  // 68 characters
  auto long_run = run(ch05({"-h", too_long}, {"/bin/true"}));
  EXPECT_EQ(long_run.exit_code, 125) << long_run;
  EXPECT_NE(long_run.err.find(too_long), std::string::npos) << long_run;
}

TEST(Uts, BadDomainnameIs125AndNamesIt) {
  std::string bad = unique_name("bad domain ");
  auto r = run(ch05({"--domainname", bad}, {"/bin/true"}));
  EXPECT_EQ(r.exit_code, 125) << r;
  EXPECT_NE(r.err.find(bad), std::string::npos) << r;
}

TEST(Uts, StillAChroot_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  auto r = run(ch05({}, {"/bin/probe"}));
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(parse_json(r.out)["cwd"], "/");
}

}  // namespace
