/// @file hostname.hpp
/// @brief Chapter 05's first exercise function: which host names docker accepts.
///
/// Defined in exercises/05-uts-namespace/hostname.cpp (the stub you fill in) or
/// solutions/05-uts-namespace/hostname.cpp. The second, set_names, is in uts.hpp.
#pragma once

#include <cstddef>
#include <string>

namespace dockling::ch05 {

/// The longest name sethostname(2) and setdomainname(2) accept (HOST_NAME_MAX).
inline constexpr std::size_t kMaxNameLength = 64;

/// Exercise: why `name` is not a valid host (or domain) name, or an empty string when it is.
///
/// Valid, as RFC 1123 (section 2.1) and docker's --hostname have it, and as the kernel can
/// hold it:
/// - at most kMaxNameLength (64) bytes in all;
/// - one or more labels separated by single dots: no empty label, so no dot at either end
///   and no two dots in a row;
/// - each label 1 to 63 bytes of ASCII letters (either case), digits and '-', and neither
///   starting nor ending with '-'. A label may start with a digit ("3com"): RFC 1123 relaxed
///   RFC 952 there.
///
/// Anything else is invalid: '_', spaces, '/', a NUL byte inside the string, and every byte
/// that is not ASCII (a UTF-8 "é" is two bytes above 0x7f; this is not IDNA).
///
/// The reason is one short phrase for the user, printed after `invalid hostname "NAME": `.
/// It names what is wrong: the character that is not allowed, the label that is too long or
/// starts or ends with '-', the length when the whole name is too long.
/// Never throws for any input; runs while the flags are parsed, before anything starts.
std::string hostname_problem(const std::string& name);

}  // namespace dockling::ch05
