/// @file seccomp_program.hpp
/// @brief A seccomp filter compiled to BPF, loaded with seccomp(2), and kept compiled between
/// runs, as crun keeps it: building docker's default filter costs milliseconds on every start,
/// loading a compiled one microseconds.
#pragma once

#include <linux/filter.h>

#include <filesystem>
#include <vector>

#include <seccomp.h>

#include "seccomp_profile.hpp"
#include "spec.hpp"

namespace dockling::ch09 {

/// A compiled seccomp filter: the classic BPF program the kernel runs on every system call.
using SeccompProgram = std::vector<sock_filter>;

/// The program libseccomp compiled for `filter` (seccomp_export_bpf into a memfd, read back).
/// @throws SysError naming the call that failed.
SeccompProgram export_program(scmp_filter_ctx filter);

/// Loads `program` into the calling thread: seccomp(SECCOMP_SET_MODE_FILTER). Every child it
/// makes and every program it execs stays under it. Without no_new_privs it needs
/// CAP_SYS_ADMIN. @throws SysError naming seccomp.
void load_program(const SeccompProgram& program);

/// The program for `seccomp` (docker's default profile, or the spec's own) and a process
/// holding `caps`. Compiled once with build_seccomp() and kept in `cache_dir` (a directory of
/// the host's run directory, on tmpfs, root's only) under a name made of everything it
/// depends on: the profile, the capabilities, libseccomp's version and this binary (so a build
/// of the exercise never finds the solution's program). A cached file that cannot be read or
/// has the wrong size is compiled again.
/// @throws Error when the profile does not parse; SysError when building fails.
SeccompProgram seccomp_program(const SeccompSpec& seccomp, CapabilitySet caps, const std::filesystem::path& cache_dir);

}  // namespace dockling::ch09
