/// @file uts.hpp
/// @brief Chapter 05's second exercise function: give the container its own host and domain
/// name.
///
/// Defined in exercises/05-uts-namespace/uts.cpp (the stub you fill in) or
/// solutions/05-uts-namespace/uts.cpp. The first, hostname_problem, is in hostname.hpp.
#pragma once

#include <string>

namespace dockling::ch05 {

/// Exercise: sets this process's host name to `hostname` and, unless `domainname` is empty,
/// its NIS domain name to `domainname`.
///
/// Called in the child, which clone(2) put in a new UTS namespace (CLONE_NEWUTS): the names
/// change for the container only. An empty `domainname` keeps the one inherited from the
/// host, as runc does when docker's --domainname is not given. Both names were checked with
/// hostname_problem() while the flags were parsed; an OCI bundle's (chapter 09) were not, so
/// the kernel may still refuse one: the names are set byte for byte as given (a NUL byte
/// inside is not a place to stop), and a refusal is an error.
/// @throws SysError naming the failing call and the name, e.g. sethostname("web").
void set_names(const std::string& hostname, const std::string& domainname);

}  // namespace dockling::ch05
