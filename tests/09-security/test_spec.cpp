// The ContainerSpec: `run`'s flags and an OCI bundle's config.json both become one, and each
// chapter's flags land in its own part. Nothing is started here.
#include <sys/resource.h>

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "capabilities.hpp"
#include "container_mounts.hpp"
#include "dockling/error.hpp"
#include "dockling/fs.hpp"
#include "dockling/testing.hpp"
#include "oci_spec.hpp"
#include "runtime_main.hpp"
#include "security_step.hpp"

namespace {

using namespace dockling::testing;
using dockling::ContainerSpec;

/// The spec `ch09-security run --network none FLAGS ROOTFS true` asks for.
ContainerSpec spec_of(std::vector<std::string> flags) {
  dockling::Steps pipeline = dockling::make_pipeline(dockling::ch09::steps());
  CLI::App app;
  dockling::RunCommand run(app, pipeline);
  std::vector<std::string> args = {"run", "--network", "none"};
  args.insert(args.end(), flags.begin(), flags.end());
  args.push_back(rootfs());
  args.push_back("true");
  std::reverse(args.begin(), args.end());  // CLI11 takes a vector last argument first
  app.parse(args);
  return run.spec(dockling::StateRoot(dockling::StateRoot::default_dir()));
}

bool has(const std::vector<std::string>& env, const std::string& entry) {
  return std::find(env.begin(), env.end(), entry) != env.end();
}

TEST(RunFlagsToSpec, WithoutFlagsDockersDefaults) {
  ContainerSpec spec = spec_of({});
  EXPECT_EQ(spec.id.size(), 64u);
  EXPECT_EQ(spec.root.path, rootfs());
  EXPECT_EQ(spec.process.args, std::vector<std::string>{"true"});
  EXPECT_EQ(spec.hostname, spec.short_id());
  EXPECT_TRUE(has(spec.process.env, "HOSTNAME=" + spec.short_id()));
  EXPECT_TRUE(has(spec.process.env, "HOME=/root"));
  EXPECT_EQ(spec.root.masked_paths, dockling::ch03::kMaskedPaths);
  EXPECT_EQ(spec.root.readonly_paths, dockling::ch03::kReadOnlyPaths);
  EXPECT_TRUE(spec.root.sys_read_only);
  EXPECT_FALSE(spec.root.host_devices);
  const auto& caps = spec.process.capabilities;
  EXPECT_EQ(caps.bounding, dockling::ch09::default_capabilities());
  EXPECT_EQ(caps.permitted, caps.bounding);
  EXPECT_EQ(caps.inheritable, 0u);  // CVE-2022-24769
  EXPECT_EQ(caps.ambient, 0u);
  EXPECT_TRUE(spec.process.seccomp.enabled);
  EXPECT_FALSE(spec.process.seccomp.profile.has_value());  // docker's default
  EXPECT_EQ(spec.process.user.uid, 0u);
  EXPECT_EQ(spec.process.user.groups, std::vector<gid_t>{0});
  EXPECT_EQ(spec.network.mode, "none");
}

TEST(RunFlagsToSpec, PrivilegedEditsThePlanInsteadOfUndoingIt) {
  DOCKLING_REQUIRE_ROOT();
  ContainerSpec spec = spec_of({"--privileged"});
  EXPECT_TRUE(spec.root.masked_paths.empty());
  EXPECT_TRUE(spec.root.readonly_paths.empty());
  EXPECT_FALSE(spec.root.sys_read_only);
  EXPECT_TRUE(spec.root.host_devices);
  EXPECT_FALSE(spec.process.seccomp.enabled);
  EXPECT_EQ(spec.process.capabilities.bounding, dockling::ch09::all_capabilities());
}

TEST(RunFlagsToSpec, EachChaptersFlagsLandInItsPart) {
  DOCKLING_REQUIRE_ROOT();  // --cap-add: the runtime must hold what it gives
  std::string word = dockling::random_hex(4);
  unsigned soft = 100 + std::stoul(word, nullptr, 16) % 500;
  ContainerSpec spec = spec_of({"-e",        "A=" + word,     "-w",        "/w" + word,  "--init",
                                "--tmpfs",   "/t" + word + ":size=1m,exec", "--read-only", "-h", "h" + word,
                                "--ipc",     "host",          "-u",        "nobody",     "-m",
                                "64m",       "--ulimit",      "nofile=" + std::to_string(soft) + ":1000",
                                "--security-opt", "no-new-privileges", "--cap-drop", "ALL", "--cap-add", "KILL"});
  EXPECT_TRUE(has(spec.process.env, "A=" + word));                        // 03
  EXPECT_EQ(spec.process.cwd, "/w" + word);                               // 03
  EXPECT_TRUE(spec.process.init);                                          // 02
  ASSERT_EQ(spec.root.mounts.size(), 1u);                                  // 03
  EXPECT_EQ(spec.root.mounts[0].destination, "/t" + word);
  EXPECT_EQ(spec.root.mounts[0].type, "tmpfs");
  EXPECT_EQ(spec.root.mounts[0].options, (std::vector<std::string>{"size=1m", "exec"}));
  EXPECT_TRUE(spec.root.read_only);                                        // 03
  EXPECT_EQ(spec.hostname, "h" + word);                                    // 05
  EXPECT_EQ(spec.ipc_mode, "host");                                        // 06
  EXPECT_EQ(spec.process.user.uid, 65534u);                                // 07, from the rootfs's passwd
  EXPECT_EQ(spec.process.user.groups, std::vector<gid_t>{65534});
  EXPECT_TRUE(has(spec.process.env, "HOME=/nonexistent"));
  EXPECT_EQ(spec.resources.memory, 64 * 1024 * 1024);                      // 08
  EXPECT_EQ(spec.resources.memory_swap, 128 * 1024 * 1024);                // docker's default: twice -m
  ASSERT_EQ(spec.process.rlimits.size(), 1u);                              // 09
  EXPECT_EQ(spec.process.rlimits[0].resource, RLIMIT_NOFILE);
  EXPECT_EQ(spec.process.rlimits[0].soft, soft);
  EXPECT_TRUE(spec.process.no_new_privileges);
  EXPECT_EQ(spec.process.capabilities.bounding, dockling::CapabilitySet{1} << dockling::ch09::capability_number("KILL"));
}

TEST(RunFlagsToSpec, BadFlagsAreRefusedBeforeAnythingStarts) {
  EXPECT_THROW(spec_of({"--tmpfs", "relative"}), dockling::Error);
  EXPECT_THROW(spec_of({"-u", "ghost" + dockling::random_hex(3)}), dockling::Error);
  EXPECT_THROW(spec_of({"--ulimit", "wings=1"}), dockling::Error);
  EXPECT_THROW(spec_of({"-m", "lots"}), dockling::Error);
}

/// `config` as a file would hold it: numbers written by C++ are signed, parsed ones unsigned.
nlohmann::json as_read(const nlohmann::json& config) { return nlohmann::json::parse(config.dump()); }

TEST(BundleToSpec, ConfigJsonBecomesTheSameSpecWithoutFlags) {
  std::string word = dockling::random_hex(4);
  nlohmann::json config = dockling::ch09::default_spec();
  config["root"]["path"] = rootfs();
  config["hostname"] = "b" + word;
  config["process"]["user"] = {{"uid", 1000}, {"gid", 1001}, {"additionalGids", {1002}}};
  config["process"]["rlimits"] = {{{"type", "RLIMIT_NPROC"}, {"soft", 50}, {"hard", 60}}};
  config["linux"]["resources"]["memory"] = {{"limit", 33554432}, {"swap", 33554432}};
  config["linux"]["resources"]["pids"] = {{"limit", 42}};
  config["linux"]["maskedPaths"] = {"/proc/" + word};
  config["linux"]["namespaces"].push_back({{"type", "user"}});
  config["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  config["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  auto bundle = dockling::ch09::parse_bundle(as_read(config), "/tmp");
  const ContainerSpec& spec = bundle.spec;
  EXPECT_EQ(spec.root.path, rootfs());
  EXPECT_TRUE(spec.root.read_only);
  EXPECT_EQ(spec.hostname, "b" + word);
  EXPECT_EQ(spec.process.user.uid, 1000u);
  EXPECT_EQ(spec.process.user.gid, 1001u);
  EXPECT_EQ(spec.process.user.groups, std::vector<gid_t>{1002});  // as written, as runc does
  ASSERT_EQ(spec.process.rlimits.size(), 1u);
  EXPECT_EQ(spec.process.rlimits[0].resource, RLIMIT_NPROC);
  EXPECT_EQ(spec.process.rlimits[0].hard, 60u);
  EXPECT_EQ(spec.resources.memory, 33554432);
  EXPECT_EQ(spec.resources.memory_swap, 33554432);
  EXPECT_EQ(spec.resources.pids_limit, 42);
  EXPECT_EQ(spec.root.masked_paths, std::vector<std::string>{"/proc/" + word});
  EXPECT_EQ(spec.user_namespace.mode, "private");
  ASSERT_TRUE(spec.user_namespace.uid_map.has_value());
  EXPECT_EQ(spec.user_namespace.uid_map->at(0).outside, 100000u);
  EXPECT_FALSE(spec.process.seccomp.enabled);  // runc spec's config has no linux.seccomp
  EXPECT_TRUE(spec.process.no_new_privileges);
}

TEST(BundleToSpec, ABadFieldIsNamed) {
  nlohmann::json config = dockling::ch09::default_spec();
  config["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 10}, {"hard", 5}}};
  try {
    dockling::ch09::parse_bundle(as_read(config), "/tmp");
    ADD_FAILURE() << "a soft limit above the hard one was accepted";
  } catch (const dockling::Error& e) {
    EXPECT_NE(std::string(e.what()).find("config.json: process.rlimits[0]"), std::string::npos) << e.what();
  }
  config = dockling::ch09::default_spec();
  config["hostname"] = "bad name!";
  EXPECT_THROW(dockling::ch09::parse_bundle(as_read(config), "/tmp"), dockling::Error);
}

}  // namespace
