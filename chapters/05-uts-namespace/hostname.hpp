/// @file hostname.hpp
/// @brief Which host names docker accepts: RFC 1123 names that fit sethostname(2).
#pragma once

#include <cstddef>
#include <string>

namespace dockling::ch05 {

/// The longest name sethostname(2) and setdomainname(2) accept (HOST_NAME_MAX).
inline constexpr std::size_t kMaxNameLength = 64;

/// Why `name` is not a valid host (or domain) name, or an empty string when it is.
///
/// Valid: at most 64 characters; dot-separated labels of 1 to 63 letters, digits and '-',
/// none starting or ending with '-' (RFC 1123, as docker checks --hostname).
std::string hostname_problem(const std::string& name);

}  // namespace dockling::ch05
