/// @file seccomp_profile.hpp
/// @brief Seccomp profiles in docker's JSON format (also OCI's linux.seccomp), and docker's
/// default profile.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <seccomp.h>

#include "capabilities.hpp"

namespace dockling::ch09 {

/// One condition on a system call argument: `args[index] OP value` (`& value == value_two`
/// for SCMP_CMP_MASKED_EQ).
struct SeccompArg {
  unsigned index = 0;            ///< which argument (0-5)
  std::uint64_t value = 0;       ///< compared with it
  std::uint64_t value_two = 0;   ///< the second operand of SCMP_CMP_MASKED_EQ
  scmp_compare op = SCMP_CMP_EQ; ///< how they are compared
};

/// One entry of "syscalls": what happens to the named system calls.
struct SeccompRule {
  std::vector<std::string> names;  ///< the system calls' names
  std::uint32_t action = SCMP_ACT_ALLOW;  ///< a libseccomp action, errno included
  std::vector<SeccompArg> args;           ///< all must hold
  CapabilitySet include_caps = 0;         ///< applies only if the container has all of these
  CapabilitySet exclude_caps = 0;         ///< applies only if it has none of these
  std::vector<std::uint32_t> include_arches;  ///< applies only on these (empty: everywhere)
  std::vector<std::uint32_t> exclude_arches;  ///< never on these
};

/// A whole profile: the default action and the rules, parsed and checked.
struct SeccompProfile {
  std::uint32_t default_action = SCMP_ACT_ERRNO(1);  ///< for every call no rule names
  std::vector<std::uint32_t> architectures;  ///< extra ones (the native one is always there)
  std::vector<SeccompRule> rules;  ///< in the profile's order
};

/// Docker's default profile: an allow list; everything else fails with EPERM. mount, umount,
/// unshare, setns, sethostname, namespace flags for clone and the like only with CAP_SYS_ADMIN;
/// keyctl, add_key, request_key, kexec_*, userfaultfd, io_uring_*, swapon, pivot_root never.
SeccompProfile default_seccomp_profile();

/// Parses a profile in docker's format (defaultAction, defaultErrnoRet, architectures,
/// archMap, syscalls[] with names, action, errnoRet, args, includes/excludes by caps and
/// arches). `source` names the file in messages.
/// @throws Error (exit 125) naming the source and the field, e.g.
///   `seccomp profile p.json: syscalls[2].action: unknown action "SCMP_ACT_MAYBE"`.
SeccompProfile parse_seccomp_profile(const nlohmann::json& json, const std::string& source);

/// Reads a profile file's JSON, not yet checked. @throws Error naming the file.
nlohmann::json read_seccomp_json(const std::filesystem::path& path);

/// Reads and parses a profile file. @throws Error naming the file.
SeccompProfile read_seccomp_profile(const std::filesystem::path& path);

/// The rules that apply to a container holding `caps` on this machine's architecture.
std::vector<SeccompRule> applicable_rules(const SeccompProfile& profile, CapabilitySet caps);

}  // namespace dockling::ch09
