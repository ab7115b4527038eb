/// @file ulimits.hpp
/// @brief docker's --ulimit NAME=SOFT[:HARD]: resource limits set with setrlimit(2).
#pragma once

#include <sys/resource.h>

#include <string>

#include "spec.hpp"

namespace dockling::ch09 {

/// One --ulimit, parsed: the spec's Rlimit (spec.hpp).
using Ulimit = dockling::Rlimit;

/// The RLIMIT_* number of a name docker knows ("nofile" is RLIMIT_NOFILE).
/// @throws Error `invalid ulimit type: NAME`.
int rlimit_resource(const std::string& name);

/// Parses `NAME=SOFT[:HARD]` (HARD defaults to SOFT; -1 or "unlimited" means no limit).
/// @throws Error `invalid ulimit type: foo`, `invalid ulimit argument: ...`, or `ulimit soft
/// limit must be less than or equal to hard limit: 2 > 1`.
Ulimit parse_ulimit(const std::string& text);

/// Sets the limit on the calling process. Raising a hard limit needs CAP_SYS_RESOURCE: that
/// failure says so, with the current hard limit.
/// @throws SysError / Error naming the --ulimit.
void apply_ulimit(const Ulimit& limit);

}  // namespace dockling::ch09
