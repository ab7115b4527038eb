/// @file security.hpp
/// @brief Chapter 09's exercises: drop the capabilities, build and load the seccomp filter.
///
/// The exercise functions are defined in exercises/09-security/ (the stubs you fill in) or
/// solutions/09-security/: drop_capabilities() in capabilities.cpp, load_seccomp() in
/// seccomp_filter.cpp.
#pragma once

#include <cstdint>

#include "seccomp_profile.hpp"

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

/// Exercise: builds a seccomp filter from `profile` for a process that holds `caps`, and
/// loads it into the calling process. Every thread and child the process makes, and every
/// program it execs, stays under the filter.
///
/// The default action comes from profile.default_action; each rule of
/// applicable_rules(profile, caps) adds, for every system call name this machine knows
/// (names it does not know are skipped, as docker does), a rule with the rule's action and its
/// argument conditions. Rules whose action is the default one are left out (libseccomp
/// refuses them). The filter must not set no_new_privs by itself (docker does not).
/// @throws SysError naming the libseccomp call that failed and its argument.
void load_seccomp(const SeccompProfile& profile, CapabilitySet caps);

}  // namespace dockling::ch09
