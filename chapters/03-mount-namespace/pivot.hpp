/// @file pivot.hpp
/// @brief Make ROOTFS the root of the mount namespace: pivot_root(2), the old root detached.
#pragma once

#include <string>

namespace dockling::ch03 {

/// Makes `rootfs` the root of this process's mount namespace with pivot_root(2),
/// detaches the old root (the host's whole tree) and moves the working directory to the new /.
///
/// Call it in a new mount namespace whose mounts are private (see make_mounts_private()),
/// so that nothing done here reaches the host. Unlike chroot(2), the old root is not just
/// hidden: once detached, no path and no ".." leads back to it.
/// @throws SysError naming the failing call and its argument, e.g. pivot_root(".").
void pivot_into(const std::string& rootfs);

}  // namespace dockling::ch03
