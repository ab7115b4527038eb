/// @file security.hpp
/// @brief Chapter 09's exercises: drop the capabilities, build the seccomp filter.
///
/// The exercise functions are defined in exercises/09-security/ (the stubs you fill in) or
/// solutions/09-security/: drop_capabilities() in capabilities.cpp, build_seccomp() in
/// seccomp_filter.cpp.
#pragma once

#include <cstdint>

#include "seccomp_profile.hpp"
#include "seccomp_program.hpp"

namespace dockling::ch09 {

/// Exercise: keeps only the capabilities in `keep` (bit N is capability N, see
/// capabilities.hpp) in the bounding, permitted and effective sets of the calling process,
/// and none in the inheritable and ambient sets.
///
/// The process must still hold CAP_SETPCAP while it changes the bounding set. An inheritable
/// capability lets any program that carries it as an inheritable file capability gain it at
/// exec, even run by an ordinary user (CVE-2022-24769: docker and runc leave the set empty).
/// @throws SysError naming the call that failed (e.g. `prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN)`).
void drop_capabilities(CapabilitySet keep);

/// Exercise: builds the seccomp filter for `profile` and a process that holds `caps`, and
/// returns it compiled to BPF (export_program() does that last part). The runtime loads it
/// with load_program() and keeps it for the next start (seccomp_program.hpp).
///
/// The default action comes from profile.default_action; each rule of
/// applicable_rules(profile, caps) adds, for every system call name this machine knows
/// (names it does not know are skipped, as docker does), a rule with the rule's action and its
/// argument conditions. Rules whose action is the default one are left out (libseccomp
/// refuses them). The filter must not set no_new_privs by itself (docker does not).
/// @throws SysError naming the libseccomp call that failed and its argument.
SeccompProgram build_seccomp(const SeccompProfile& profile, CapabilitySet caps);

}  // namespace dockling::ch09
