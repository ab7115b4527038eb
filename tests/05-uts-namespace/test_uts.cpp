// Chapter 05: the container's own host and domain names, in its own UTS namespace.
#include <sched.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <algorithm>
#include <cstdio>
#include <random>
#include <regex>
#include <string_view>

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

std::mt19937& engine() {
  static std::mt19937 e{std::random_device{}()};
  return e;
}

size_t random_between(size_t low, size_t high) { return std::uniform_int_distribution<size_t>(low, high)(engine()); }

// --- the second exercise, set_names, called directly ---------------------------------------------------

TEST(SetNames, SetsBothNamesInTheCallersNamespace_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  // Up to the kernel's 64 bytes: a name cut short by one byte is the wrong name.
  std::string hostname = unique_name("h") + std::string(random_between(0, 55), 'x');
  std::string domainname = unique_name("d") + ".example" + std::string(random_between(0, 47), 'y');
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

// --- the first exercise: name checks, called directly ------------------------------

constexpr std::string_view kLabelCharacters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-";

/// A valid label of `length` characters: letters, digits and '-', no '-' at either end.
std::string random_label(size_t length) {
  std::string label;
  for (size_t i = 0; i < length; ++i) {
    bool edge = i == 0 || i + 1 == length;
    label += kLabelCharacters[random_between(0, kLabelCharacters.size() - (edge ? 2 : 1))];
  }
  return label;
}

/// A valid name of at most `max` characters: 1 to 4 labels of 1 to 63 characters.
std::string random_name(size_t max = dockling::ch05::kMaxNameLength) {
  std::string name = random_label(random_between(1, std::min<size_t>(63, max)));
  size_t labels = random_between(0, 3);
  for (size_t i = 0; i < labels && name.size() + 2 <= max; ++i)
    name += "." + random_label(random_between(1, std::min<size_t>(63, max - name.size() - 1)));
  return name;
}

/// The name as the test shows it: non-printing bytes as \xNN.
std::string printable(const std::string& name) {
  std::string shown;
  for (unsigned char c : name) {
    if (c >= 0x20 && c < 0x7f) {
      shown += static_cast<char>(c);
    } else {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\x%02x", c);
      shown += buffer;
    }
  }
  return "\"" + shown + "\" (" + std::to_string(name.size()) + " bytes)";
}

/// What hostname_problem said, or "threw: ..." (it must never throw).
std::string problem_of(const std::string& name) {
  try {
    return dockling::ch05::hostname_problem(name);
  } catch (const dockling::NotImplemented& e) {
    return std::string("threw NotImplemented: ") + e.what();
  } catch (const std::exception& e) {
    return std::string("threw: ") + e.what();
  }
}

TEST(HostnameProblem, AcceptsRfc1123Names_Exercise) {
  std::vector<std::string> names = {"web", "a", "Web-1.example.COM", "0abc", "3com.net", "1234", "xn--caf-dma",
                                    "a-b--c", std::string(63, 'b'), std::string(31, 'a') + "." + std::string(32, 'b')};
  for (int i = 0; i < 200; ++i) names.push_back(random_name());
  for (const auto& name : names)
    EXPECT_EQ(problem_of(name), "") << printable(name) << " is a valid name (RFC 1123 2.1: letters, digits, '-', "
                                    << "labels of at most 63, a digit may come first), at most 64 bytes in all";
}

TEST(HostnameProblem, RejectsEachBrokenRuleAndSaysWhat_Exercise) {
  struct Case {
    std::string name;
    std::string rule;
    std::string named;  ///< text the reason must contain ("" when not checked)
  };
  std::vector<Case> cases = {{"", "an empty name", ""}};
  for (int i = 0; i < 40; ++i) {
    std::string name = random_name(60);
    size_t at = random_between(0, name.size());
    // A character that is not allowed, anywhere.
    static const std::string kBad = "_ !@#$%/\\:;,+=*'\"~`?()[]{}<>|^&";
    char bad = kBad[random_between(0, kBad.size() - 1)];
    cases.push_back({name.substr(0, at) + bad + name.substr(at), "a character that is not allowed",
                     std::string(1, bad)});
    // Bytes that are not ASCII (UTF-8 for "é"), control characters, a NUL inside.
    static const std::string kBytes[] = {"\xc3\xa9", "\xe9", "\t", "\n", std::string(1, '\0'), "\x7f"};
    cases.push_back({name.substr(0, at) + kBytes[random_between(0, 5)] + name.substr(at),
                     "a byte that is not an ASCII letter, digit or '-'", ""});
    // A label that starts or ends with '-'.
    std::string label = random_label(random_between(1, 20));
    std::string dashed = random_between(0, 1) ? "-" + label : label + "-";
    cases.push_back({random_between(0, 1) ? dashed + "." + random_label(5) : random_label(5) + "." + dashed,
                     "a label that starts or ends with '-'", dashed});
    // An empty label: a dot at either end, or two in a row.
    std::string a = random_label(random_between(1, 20)), b = random_label(random_between(1, 20));
    const std::string empties[] = {"." + a, a + ".", a + ".." + b, "."};
    cases.push_back({empties[random_between(0, 3)], "an empty label", ""});
  }
  for (const auto& c : cases) {
    std::string reason = problem_of(c.name);
    EXPECT_FALSE(reason.empty()) << printable(c.name) << " has " << c.rule << ": hostname_problem accepted it";
    EXPECT_EQ(reason.find("threw"), std::string::npos) << printable(c.name) << ": " << reason;
    if (!reason.empty() && !c.named.empty()) {
      EXPECT_NE(reason.find(c.named), std::string::npos)
          << printable(c.name) << " has " << c.rule << "; the reason should name it (" << c.named << "): " << reason;
    }
  }
}

TEST(HostnameProblem, SixtyThreeForALabelSixtyFourForTheName_Exercise) {
  for (int round = 0; round < 20; ++round) {
    std::string label63 = random_label(63), label64 = random_label(64);
    EXPECT_EQ(problem_of(label63), "") << printable(label63) << ": a label may have 63 characters";
    std::string reason = problem_of(label64);
    EXPECT_FALSE(reason.empty()) << printable(label64) << ": a label may have at most 63 characters (RFC 1123 2.1)";
    EXPECT_NE(reason.find("63"), std::string::npos) << printable(label64) << ": say the limit: " << reason;

    size_t first = random_between(1, 62);
    std::string name64 = random_label(first) + "." + random_label(63 - first);  // 64 bytes
    std::string name65 = random_label(first) + "." + random_label(64 - first);  // 65 bytes, labels <= 63
    EXPECT_EQ(problem_of(name64), "") << printable(name64) << ": 64 bytes fit the kernel (HOST_NAME_MAX)";
    reason = problem_of(name65);
    EXPECT_FALSE(reason.empty()) << printable(name65) << ": sethostname(2) refuses more than 64 bytes";
    EXPECT_NE(reason.find("65"), std::string::npos) << printable(name65) << ": say the length: " << reason;
  }
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

TEST(Uts, BadHostnameIs125AndNamesIt_Exercise) {
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

TEST(Uts, BadDomainnameIs125AndNamesIt_Exercise) {
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
