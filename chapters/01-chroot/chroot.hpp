/// @file chroot.hpp
/// @brief Chapter 01's exercise function: enter a new root directory, leaving no way back.
///
/// Defined in exercises/01-chroot/chroot.cpp (the stub you fill in) or
/// solutions/01-chroot/chroot.cpp.
#pragma once

#include <string>

namespace dockling::ch01 {

/// Exercise: makes the directory `rootfs` this process's root directory ("/") and its
/// working directory, so that nothing the process holds still leads outside the new root.
///
/// `rootfs` is a path as the caller means it: absolute, or relative to the caller's working
/// directory at the time of the call.
///
/// When it returns:
/// - "/" names `rootfs`, and the working directory is that new "/": `..` from it, any number
///   of times, stays there;
/// - no open file descriptor of this process that is *not* close-on-exec refers to a
///   directory: such a descriptor would reach the command through execve(2), and fchdir(2) to
///   it puts the command outside its root (runc's CVE-2024-21626 was one leaked directory
///   descriptor). Descriptors of files, pipes and sockets, and close-on-exec directories, are
///   left alone: enter_root closes nothing that belongs to its caller.
///
/// Errors:
/// - a directory descriptor that would survive exec: Error (exit 125) whose message names
///   the descriptor (`fd 7`) and says what it refers to, thrown before the root or the
///   working directory changes;
/// - a failing system call: SysError naming the call and its argument, e.g.
///   `chroot("/nope"): No such file or directory` for a `rootfs` that does not exist,
///   `Not a directory` for a file. After a failure, the root is unchanged.
void enter_root(const std::string& rootfs);

}  // namespace dockling::ch01
