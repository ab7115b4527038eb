// Chapter 09: capabilities, no_new_privs, seccomp, ulimits and a clean exec: attacks that
// must fail inside a default container, and the flags that open them up again.
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

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

TEST(DropCapabilities, KeepsTheGivenSetAndNothingInheritable_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  // A random subset of docker's defaults (always with SETPCAP's neighbours varying).
  std::mt19937_64 random(std::random_device{}());
  CapabilitySet keep = dockling::ch09::default_capabilities() & random();
  int code = run_in_child(0, [&] {
    // Start from a full inheritable set: the exercise must empty it, not just leave it alone.
    cap_t all = cap_get_proc();
    cap_fill(all, CAP_INHERITABLE, CAP_PERMITTED);
    cap_set_proc(all);
    cap_free(all);
    dockling::ch09::drop_capabilities(keep);
    std::string status = dockling::read_file("/proc/self/status");
    auto set = [&](const char* field) { return std::stoull(status.substr(status.find(field) + 7), nullptr, 16); };
    for (const char* field : {"CapPrm:", "CapEff:", "CapBnd:"})
      if (set(field) != keep) return 1;
    if (set("CapInh:") != 0) return 2;  // CVE-2022-24769
    if (set("CapAmb:") != 0) return 3;
    return 0;
  });
  EXPECT_NE(code, 1) << "permitted, effective or bounding is not " << std::hex << keep;
  EXPECT_NE(code, 2) << "the inheritable set is not empty: a program with inheritable file capabilities would "
                        "gain them (CVE-2022-24769; see capabilities(7), \"Transformation of capabilities during execve\")";
  EXPECT_EQ(code, 0);
}

TEST(BuildSeccomp, TheProfilesErrnoComesBackFromTheDeniedCall_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  int error = 100 + static_cast<int>(std::random_device{}() % 100);  // random: no hard-coded answer
  nlohmann::json json = {{"defaultAction", "SCMP_ACT_ALLOW"},
                         {"syscalls", {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", error}}}}};
  auto profile = dockling::ch09::parse_seccomp_profile(json, "test");
  int code = run_in_child(0, [&] {
    dockling::ch09::load_program(dockling::ch09::build_seccomp(profile, 0));
    std::string status = dockling::read_file("/proc/self/status");
    if (status.find("Seccomp:\t2") == std::string::npos) return 1;
    if (::mkdir("/nonexistent-dir-for-ch09/x", 0700) == 0 || errno != error) return 2;
    if (::getpid() <= 0) return 3;  // everything else allowed
    return 0;
  });
  EXPECT_EQ(code, 0);
}

/// The compiled filter is kept: the second start reads it back instead of compiling, a file
/// that is not a whole program is compiled again, and what comes back from the cache works.
TEST(SeccompProgram, TheSecondStartReadsTheCompiledFilterBack_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  namespace fs = std::filesystem;
  using dockling::ch09::SeccompProgram;
  int error = 100 + static_cast<int>(std::random_device{}() % 100);
  dockling::SeccompSpec spec{true,
                             nlohmann::json{{"defaultAction", "SCMP_ACT_ALLOW"},
                                            {"syscalls", {{{"names", {"mkdir", "mkdirat"}},
                                                           {"action", "SCMP_ACT_ERRNO"},
                                                           {"errnoRet", error}}}}},
                             "test"};
  dockling::TempDir cache("ch09-seccomp-cache");
  fs::path dir = cache.path() / "seccomp";
  SeccompProgram first = dockling::ch09::seccomp_program(spec, 0, dir);
  ASSERT_FALSE(first.empty());
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) files.push_back(entry.path());
  ASSERT_EQ(files.size(), 1u) << "one compiled program in the cache";
  EXPECT_EQ(fs::file_size(files[0]), first.size() * sizeof(sock_filter));

  // A program of its own in the file: the next call must return it, not compile again.
  SeccompProgram allow_all = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  std::ofstream(files[0], std::ios::binary).write(reinterpret_cast<const char*>(allow_all.data()), sizeof(sock_filter));
  SeccompProgram again = dockling::ch09::seccomp_program(spec, 0, dir);
  ASSERT_EQ(again.size(), 1u) << "the cached program was not read";
  EXPECT_EQ(again[0].k, static_cast<unsigned>(SECCOMP_RET_ALLOW));

  // Not a whole program (a crash, a full disk): compiled again and kept again.
  std::ofstream(files[0], std::ios::binary | std::ios::trunc) << "abc";
  SeccompProgram rebuilt = dockling::ch09::seccomp_program(spec, 0, dir);
  EXPECT_EQ(rebuilt.size(), first.size());
  EXPECT_EQ(fs::file_size(files[0]), first.size() * sizeof(sock_filter));

  // Another set of capabilities is another program.
  dockling::ch09::seccomp_program(spec, 1, dir);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 2);

  int code = run_in_child(0, [&] {
    dockling::ch09::load_program(dockling::ch09::seccomp_program(spec, 0, dir));
    if (::mkdir("/nonexistent-dir-for-ch09/x", 0700) == 0 || errno != error) return 1;
    return 0;
  });
  EXPECT_EQ(code, 0) << "the cached program does not deny mkdir with the profile's errno";
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
  for (const char* set : {"bounding", "permitted", "effective"}) EXPECT_EQ(names(report["caps"][set]), kDockerDefaults) << set;
  EXPECT_TRUE(report["caps"]["inheritable"].empty());
  EXPECT_TRUE(report["caps"]["ambient"].empty());
  EXPECT_EQ(report["seccomp"], 2);
  EXPECT_EQ(report["no_new_privs"], false);
}

// What docker 20.10.24 (Debian 12's docker.io, runc 1.1.5) shows for the same busybox rootfs:
//   docker run --rm [-u nobody] IMAGE sh -c 'id; echo $HOME; grep Cap /proc/self/status; cat /proc/net/if_inet6'
//   root:   groups=0(root)   HOME=/root         CapInh/CapAmb 0, CapPrm/CapEff/CapBnd a80425fb, no IPv6
//   nobody: groups=65534     HOME=/nonexistent  CapInh/CapPrm/CapEff/CapAmb 0, CapBnd a80425fb, no IPv6
struct DockerView {
  std::string user;
  std::vector<int> groups;
  std::string home;
  std::vector<std::string> permitted;
};

class SameAsDocker : public ::testing::TestWithParam<DockerView> {};

TEST_P(SameAsDocker, CapabilitiesGroupsHomeAndNoIPv6_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  const DockerView& docker = GetParam();
  std::vector<std::string> flags;
  if (!docker.user.empty()) flags = {"-u", docker.user};
  auto result = run(ch09(flags, {"/bin/probe"}));
  ASSERT_EQ(result.exit_code, 0) << result;
  auto report = parse_json(result.out);
  EXPECT_EQ(names(report["caps"]["bounding"]), kDockerDefaults);
  EXPECT_EQ(names(report["caps"]["permitted"]), docker.permitted);
  EXPECT_EQ(names(report["caps"]["effective"]), docker.permitted);
  EXPECT_TRUE(report["caps"]["inheritable"].empty()) << report["caps"];
  EXPECT_TRUE(report["caps"]["ambient"].empty()) << report["caps"];
  EXPECT_EQ(report["groups"], nlohmann::json(docker.groups));
  std::vector<std::string> env = report["env"];
  EXPECT_NE(std::find(env.begin(), env.end(), "HOME=" + docker.home), env.end()) << report["env"];
  // Not one IPv6 address on any link (lo would have ::1).
  for (const auto& link : report["interfaces"])
    for (const auto& address : link["addresses"])
      EXPECT_EQ(address.get<std::string>().find(':'), std::string::npos) << report["interfaces"];
  auto inet6 = run(ch09(flags, {"cat", "/proc/net/if_inet6"}));
  EXPECT_EQ(inet6.exit_code, 0) << inet6;
  EXPECT_EQ(inet6.out, "") << inet6;
}

INSTANTIATE_TEST_SUITE_P(Users, SameAsDocker,
                         ::testing::Values(DockerView{"", {0}, "/root", kDockerDefaults},
                                           DockerView{"nobody", {65534}, "/nonexistent", {}}),
                         [](const auto& info) { return info.param.user.empty() ? std::string("root") : info.param.user; });


TEST(DefaultContainer, InheritableFileCapabilitiesGiveAnOrdinaryUserNothing_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  // CVE-2022-24769: a program carrying cap_dac_override as an inheritable (+i) and effective
  // (+e) file capability. With the capability in the process's inheritable set, exec gives it
  // to any user: `-u nobody` could read a file only root may read.
  RootfsCopy root;
  std::string secret = dockling::random_hex(8);
  std::ofstream(root.path + "/secret") << secret;
  ::chmod((root.path + "/secret").c_str(), 0600);
  fs::copy_file(root.path + "/bin/busybox", root.path + "/bin/busybox-caps");
  fs::copy_file(root.path + "/bin/probe", root.path + "/bin/probe-caps");
  for (const char* file : {"/bin/busybox-caps", "/bin/probe-caps"}) {
    auto setcap = run({"/usr/sbin/setcap", "cap_dac_override+ei", root.path + file});
    ASSERT_EQ(setcap.exit_code, 0) << setcap << "(setcap is in the libcap2-bin package: scripts/setup-deps installs it)";
  }
  std::vector<std::string> as_nobody = {bin("ch09-security"), "run", "--network", "none", "-u", "nobody", root.path};
  auto probe_argv = as_nobody;
  probe_argv.push_back("/bin/probe-caps");
  auto probe = run(probe_argv);
  ASSERT_EQ(probe.exit_code, 0) << probe;
  auto caps = parse_json(probe.out)["caps"];
  EXPECT_TRUE(caps["permitted"].empty()) << caps;
  EXPECT_TRUE(caps["effective"].empty()) << caps;

  auto read_argv = as_nobody;
  read_argv.insert(read_argv.end(), {"/bin/busybox-caps", "cat", "/secret"});
  auto read = run(read_argv);
  EXPECT_NE(read.exit_code, 0) << read;
  EXPECT_EQ(read.out.find(secret), std::string::npos) << "nobody read the secret: " << read;
  EXPECT_NE(read.err.find("Permission denied"), std::string::npos) << read;
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

// Docker mounts a privileged container's cgroups read-write (chapter 08 mounts them read-only).
TEST(Flags, PrivilegedMakesTheContainersCgroupWritable_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  int limit = 50 + ::getpid() % 400;
  auto result = run(ch09({"--privileged", "--pids-limit", "1000"},
                         {"sh", "-c", fmt::format("f=/sys/fs/cgroup/pids.max; [ -e $f ] || f=/sys/fs/cgroup/pids/pids.max; "
                                                  "echo {} > $f && cat $f && grep ' /sys/fs/cgroup' /proc/self/mounts",
                                                  limit)}));
  ASSERT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out.substr(0, result.out.find('\n')), std::to_string(limit)) << result;
  std::istringstream mounts(result.out.substr(result.out.find('\n') + 1));
  int count = 0;
  for (std::string device, point, type, options; mounts >> device >> point >> type >> options; ++count) {
    EXPECT_EQ(options.rfind("rw,", 0), 0u) << point << " " << options;
    std::getline(mounts, device);  // the rest of the line
  }
  EXPECT_GT(count, 0) << result;
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
