/// @file chroot.hpp
/// @brief Chapter 01's exercise function: enter a new root directory.
///
/// Defined in exercises/01-chroot/chroot.cpp (the stub you fill in) or
/// solutions/01-chroot/chroot.cpp.
#pragma once

#include <string>

namespace dockling::ch01 {

/// Exercise: makes `rootfs` this process's root directory and / its working directory.
///
/// chroot(2) changes only where "/" points; the working directory stays where it was (which
/// may be outside the new root!), so chdir("/") afterwards.
/// @throws SysError naming the failing call and its argument, e.g. chroot("/nope").
void enter_root(const std::string& rootfs);

}  // namespace dockling::ch01
