// Chapter 09: capabilities, no_new_privs, seccomp, ulimits and a clean exec: attacks that
// must fail inside a default container, and the flags that open them up again.
#include <fcntl.h>
#include <sched.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "capabilities.hpp"
#include "dockling/error.hpp"
#include "dockling/fs.hpp"
#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"
#include "security.hpp"
#include "ulimits.hpp"

namespace {

namespace fs = std::filesystem;
using namespace dockling::testing;
using dockling::ch09::CapabilitySet;

std::vector<std::string> ch09(std::vector<std::string> flags, std::vector<std::string> command) {
  // --network none: not about networking; never touch the default bridge.
  std::vector<std::string> argv = {bin("ch09-security"), "run", "--network", "none"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.push_back(rootfs());
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

std::vector<std::string> names(const nlohmann::json& list) {
  std::vector<std::string> out;
  for (const auto& item : list) out.push_back(item.get<std::string>());
  std::sort(out.begin(), out.end());
  return out;
}

const std::vector<std::string> kDockerDefaults = {
    "CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_MKNOD",
    "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT"};

/// A seccomp profile file in a temporary directory.
struct ProfileFile {
  dockling::TempDir dir{"ch09-profile"};
  std::string path;
  explicit ProfileFile(const std::string& text) : path((dir.path() / "profile.json").string()) {
    std::ofstream(path) << text;
  }
};

// --- the exercises, called directly ------------------------------------------------

TEST(DropCapabilities, KeepsExactlyTheGivenSetInEverySet_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  // A random subset of docker's defaults (always with SETPCAP's neighbours varying).
  std::mt19937_64 random(std::random_device{}());
  CapabilitySet keep = dockling::ch09::default_capabilities() & random();
  int code = run_in_child(0, [&] {
    dockling::ch09::drop_capabilities(keep);
    std::string status = dockling::read_file("/proc/self/status");
    for (const char* field : {"CapInh:", "CapPrm:", "CapEff:", "CapBnd:"}) {
      size_t at = status.find(field);
      if (std::stoull(status.substr(at + 7), nullptr, 16) != keep) return 1;
    }
    if (std::stoull(status.substr(status.find("CapAmb:") + 7), nullptr, 16) != 0) return 2;
    return 0;
  });
  EXPECT_EQ(code, 0) << "kept " << std::hex << keep;
}

TEST(LoadSeccomp, TheProfilesErrnoComesBackFromTheDeniedCall_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  int error = 100 + static_cast<int>(std::random_device{}() % 100);  // random: no hard-coded answer
  nlohmann::json json = {{"defaultAction", "SCMP_ACT_ALLOW"},
                         {"syscalls", {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", error}}}}};
  auto profile = dockling::ch09::parse_seccomp_profile(json, "test");
  int code = run_in_child(0, [&] {
    dockling::ch09::load_seccomp(profile, 0);
    std::string status = dockling::read_file("/proc/self/status");
    if (status.find("Seccomp:\t2") == std::string::npos) return 1;
    if (::mkdir("/nonexistent-dir-for-ch09/x", 0700) == 0 || errno != error) return 2;
    if (::getpid() <= 0) return 3;  // everything else allowed
    return 0;
  });
  EXPECT_EQ(code, 0);
}

// --- rules and parsing ---------------------------------------------------------------

TEST(Capabilities, DockersRulesForAddAndDrop) {
  using dockling::ch09::capability_names;
  using dockling::ch09::resolve_capabilities;
  EXPECT_EQ(capability_names(resolve_capabilities({}, {}, false)).size(), 14u);
  auto added = capability_names(resolve_capabilities({"net_admin"}, {"CAP_CHOWN", "MKNOD"}, false));
  EXPECT_NE(std::find(added.begin(), added.end(), "CAP_NET_ADMIN"), added.end());
  EXPECT_EQ(std::find(added.begin(), added.end(), "CAP_CHOWN"), added.end());
  EXPECT_EQ(capability_names(resolve_capabilities({"KILL"}, {"ALL"}, false)), std::vector<std::string>{"CAP_KILL"});
  EXPECT_THROW(resolve_capabilities({"CAP_FLY"}, {}, false), dockling::Error);
}

TEST(Ulimit, ParsesDockersSyntax) {
  auto limit = dockling::ch09::parse_ulimit("nofile=1024:2048");
  EXPECT_EQ(limit.resource, RLIMIT_NOFILE);
  EXPECT_EQ(limit.soft, 1024u);
  EXPECT_EQ(limit.hard, 2048u);
  EXPECT_EQ(dockling::ch09::parse_ulimit("core=-1").hard, RLIM_INFINITY);
  EXPECT_THROW(dockling::ch09::parse_ulimit("nofile=2:1"), dockling::Error);
  EXPECT_THROW(dockling::ch09::parse_ulimit("wings=1"), dockling::Error);
}

TEST(SeccompProfile, ABadProfileNamesTheFileAndTheField) {
  DOCKLING_REQUIRE_ROOT();
  ProfileFile bad(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
      {"names": ["read"], "action": "SCMP_ACT_ALLOW"},
      {"names": ["write"], "action": "SCMP_ACT_MAYBE"}]})");
  auto result = run(ch09({"--security-opt", "seccomp=" + bad.path}, {"true"}));
  EXPECT_EQ(result.exit_code, 125) << result;
  EXPECT_NE(result.err.find(bad.path), std::string::npos) << result;
  EXPECT_NE(result.err.find("syscalls[1].action"), std::string::npos) << result;
}

// --- attacks that fail in a default container -----------------------------------------

TEST(DefaultContainer, HoldsDockersFourteenCapabilitiesAndAFilter_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  auto result = run(ch09({}, {"/bin/probe"}));
  ASSERT_EQ(result.exit_code, 0) << result;
  auto report = parse_json(result.out);
  for (const char* set : {"bounding", "permitted", "effective", "inheritable"})
    EXPECT_EQ(names(report["caps"][set]), kDockerDefaults) << set;
  EXPECT_TRUE(report["caps"]["ambient"].empty());
  EXPECT_EQ(report["seccomp"], 2);
  EXPECT_EQ(report["no_new_privs"], false);
}

TEST(DefaultContainer, MountFails_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  auto result = run(ch09({}, {"mount", "-t", "tmpfs", "none", "/tmp"}));
  EXPECT_NE(result.exit_code, 0) << result;
  EXPECT_NE(result.err.find("denied"), std::string::npos) << result;  // busybox: "permission denied"
}

TEST(DefaultContainer, UnshareFails_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  auto result = run(ch09({}, {"unshare", "-m", "true"}));
  EXPECT_NE(result.exit_code, 0) << result;
  EXPECT_NE(result.err.find("Operation not permitted"), std::string::npos) << result;
}

TEST(DefaultContainer, KeyctlFails_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  auto result = run(ch09({}, {"/bin/probe", "keyctl"}));
  ASSERT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(parse_json(result.out)["keyctl"], false) << result;
}

TEST(DefaultContainer, KernelMemoryAndSysrqAreOutOfReach_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  // /proc/kcore is masked (or absent on kernels without it): nothing of the host's memory.
  auto kcore = run(ch09({}, {"sh", "-c", "head -c 16 /proc/kcore | wc -c"}));
  EXPECT_EQ(kcore.out, "0\n") << kcore;
  auto sysrq = run(ch09({}, {"sh", "-c", "echo h > /proc/sysrq-trigger"}));
  EXPECT_NE(sysrq.exit_code, 0) << sysrq;
}

TEST(DefaultContainer, InitRunsUnderTheFilterToo_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  auto result = run(ch09({"--init"}, {"grep", "-E", "^(Seccomp|CapBnd):", "/proc/1/status"}));
  ASSERT_EQ(result.exit_code, 0) << result;
  EXPECT_NE(result.out.find("Seccomp:\t2"), std::string::npos) << result;
  EXPECT_NE(result.out.find("CapBnd:\t00000000a80425fb"), std::string::npos) << result;
}

TEST(DefaultContainer, NoRuntimeDescriptorLeaksIn_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  // A descriptor the test process leaks (no CLOEXEC) into the runtime must not reach the command.
  int leaked = ::open("/", O_RDONLY | O_DIRECTORY);
  ASSERT_GE(leaked, 3);
  auto result = run(ch09({}, {"/bin/probe", "fds"}));
  auto workdir = run(ch09({"-w", "/proc/self/fd/" + std::to_string(leaked)}, {"/bin/probe"}));
  ::close(leaked);
  ASSERT_EQ(result.exit_code, 0) << result;
  auto fds = parse_json(result.out)["fds"];
  std::vector<std::string> numbers;
  for (const auto& [fd, target] : fds.items()) numbers.push_back(fd);
  EXPECT_EQ(numbers, (std::vector<std::string>{"0", "1", "2"})) << result.out;
  // CVE-2024-21626: the leaked directory as the working directory would be the host's root.
  EXPECT_EQ(workdir.exit_code, 125) << workdir;
  EXPECT_EQ(workdir.out, "") << workdir;
}

// --- opening up ---------------------------------------------------------------------

TEST(Flags, CapAddNetAdminAllowsAnAddress_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  // Chapter 04's network namespace is not chained yet: give the runtime a fresh one.
  std::vector<std::string> with = {"/usr/bin/unshare", "-n"}, without = with;
  auto added = ch09({"--cap-add", "NET_ADMIN"}, {"ip", "addr", "add", "127.0.0.2/8", "dev", "lo"});
  auto plain = ch09({}, {"ip", "addr", "add", "127.0.0.2/8", "dev", "lo"});
  with.insert(with.end(), added.begin(), added.end());
  without.insert(without.end(), plain.begin(), plain.end());
  auto yes = run(with), no = run(without);
  EXPECT_EQ(yes.exit_code, 0) << yes;
  EXPECT_NE(no.exit_code, 0) << no;
}

TEST(Flags, PrivilegedAllowsMountAndEveryCapability_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  auto result = run(ch09({"--privileged"}, {"sh", "-c", "mount -t tmpfs none /tmp && grep -E '^(Seccomp|CapEff):' /proc/self/status"}));
  ASSERT_EQ(result.exit_code, 0) << result;
  EXPECT_NE(result.out.find("Seccomp:\t0"), std::string::npos) << result;
  std::string eff = result.out.substr(result.out.find("CapEff:") + 8, 16);
  EXPECT_EQ(std::stoull(eff, nullptr, 16), dockling::ch09::all_capabilities()) << result;
}

TEST(Flags, SeccompUnconfinedAllowsKeyctl_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  auto result = run(ch09({"--security-opt", "seccomp=unconfined"}, {"/bin/probe", "keyctl"}));
  ASSERT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(parse_json(result.out)["keyctl"], true) << result;
}

TEST(Flags, ACustomProfileThatDeniesMkdir_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  std::string dir = "/tmp/" + unique_name("d");
  ProfileFile profile(R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
      "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]})");
  // Inside a --tmpfs: nothing is left in the shared rootfs.
  auto denied = run(ch09({"--tmpfs", "/tmp", "--security-opt", "seccomp=" + profile.path}, {"mkdir", dir}));
  EXPECT_NE(denied.exit_code, 0) << denied;
  EXPECT_NE(denied.err.find("Operation not permitted"), std::string::npos) << denied;
  auto allowed = run(ch09({"--tmpfs", "/tmp"}, {"mkdir", dir}));
  EXPECT_EQ(allowed.exit_code, 0) << allowed;
}

TEST(Flags, NoNewPrivileges_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  auto result = run(ch09({"--security-opt", "no-new-privileges"}, {"/bin/probe"}));
  ASSERT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(parse_json(result.out)["no_new_privs"], true);
  EXPECT_EQ(parse_json(result.out)["seccomp"], 2);
}

TEST(Flags, UlimitSetsAndRaisingTheHardLimitFailsClearly_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  unsigned soft = 100 + std::random_device{}() % 400;
  auto result = run(ch09({"--ulimit", fmt::format("nofile={}:{}", soft, soft + 1)}, {"/bin/probe"}));
  ASSERT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(parse_json(result.out)["rlimits"]["nofile"], (nlohmann::json{soft, soft + 1}));
  rlimit current{};
  ::getrlimit(RLIMIT_NOFILE, &current);
  if ((dockling::ch09::held_capabilities() >> CAP_SYS_RESOURCE) & 1) GTEST_SKIP() << "this machine grants CAP_SYS_RESOURCE";
  std::string above = std::to_string(current.rlim_max + 1);
  auto raised = run(ch09({"--ulimit", "nofile=" + above + ":" + above}, {"true"}));
  EXPECT_EQ(raised.exit_code, 125) << raised;
  EXPECT_NE(raised.err.find("CAP_SYS_RESOURCE"), std::string::npos) << raised;
}

}  // namespace
