#include <seccomp.h>

#include <memory>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "security.hpp"

namespace dockling::ch09 {

SeccompProgram build_seccomp(const SeccompProfile& profile, CapabilitySet caps) {
  (void)profile;
  (void)caps;
  // TODO 1: seccomp_init(profile.default_action) makes a filter (a scmp_filter_ctx); hold it
  //         in a std::unique_ptr<void, void (*)(scmp_filter_ctx)> with seccomp_release, so
  //         that it is freed on every way out.
  // TODO 2: seccomp_attr_set(filter, SCMP_FLTATR_CTL_NNP, 0): libseccomp would otherwise set
  //         no_new_privs for us; docker leaves that to --security-opt no-new-privileges.
  //         libseccomp returns -errno: throw SysError("seccomp_attr_set", "...", -rc).
  // TODO 3: seccomp_arch_add() every profile.architectures entry (-EEXIST is fine: the native
  //         one is always there).
  // TODO 4: for each rule of applicable_rules(profile, caps) whose action differs from the
  //         default: turn rule.args into scmp_arg_cmp{index, op, value, value_two}; for each
  //         name, seccomp_syscall_resolve_name() (skip __NR_SCMP_ERROR: unknown here) and
  //         seccomp_rule_add_array(filter, rule.action, number, count, conditions).
  // TODO 5: return export_program(filter.get()): the BPF program libseccomp compiled. The
  //         runtime loads it in the container's process, and keeps it for the next start.
  // Check: `sudo build-ex/bin/ch09-security run build/rootfs/busybox grep Seccomp /proc/self/status`
  //         prints "Seccomp: 2" (filter mode).
  throw NotImplemented("ch09::build_seccomp", "exercises/09-security/seccomp_filter.cpp");
}

}  // namespace dockling::ch09
