/// @file idmapped_root.hpp
/// @brief An id-mapped copy of the rootfs (mount_setattr(2) with MOUNT_ATTR_IDMAP), so that
/// the files root owns on the host are root's inside a remapped container too.
#pragma once

#include <optional>
#include <string>

#include "dockling/fd.hpp"
#include "newidmap.hpp"
#include "userns.hpp"

namespace dockling::ch07 {

/// A user namespace with `maps` and nothing in it: a helper child is cloned into a new user
/// namespace, its maps are written (write_id_maps, or newuidmap/newgidmap when `helpers` is
/// given: a rootless user's subordinate ranges), its /proc/PID/ns/user is opened, and it is
/// killed. The returned fd keeps the namespace alive.
/// @param maps the namespace's uid and gid maps
/// @param helpers newuidmap/newgidmap to write them with, or nullopt for the /proc files
UniqueFd make_user_namespace(const IdMaps& maps, const std::optional<IdMapHelpers>& helpers = std::nullopt);

/// A detached recursive copy (open_tree(2), OPEN_TREE_CLONE) of the mounts at `rootfs`,
/// id-mapped through the user namespace `userns_fd`: an owner stored on disk as N is seen as
/// the host id that N stands for in that namespace's map. With the container's maps
/// ("0 100000 65536") the host's root-owned files belong to host uid 100000, the container's
/// root; and what the container's root creates is stored on disk as owned by 0.
/// Returns an empty fd and sets `why_not` when the kernel or the filesystem cannot do it.
/// Needs CAP_SYS_ADMIN in the host's user namespace (a root run).
UniqueFd idmapped_copy(const std::string& rootfs, int userns_fd, std::string& why_not);

/// Attaches the detached tree `tree` at `rootfs` in the caller's mount namespace
/// (move_mount(2)). Call it in the container's own mount namespace, after its mounts were
/// made private: chapter 03's pivot_root then takes the id-mapped mount as the new root.
void attach_root(const UniqueFd& tree, const std::string& rootfs);

}  // namespace dockling::ch07
