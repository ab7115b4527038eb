/// @file rootless_store.hpp
/// @brief A rootless user's image store. As in podman's rootless storage, the files an image
/// gives to uid 0..N belong on the host to the ids the user's containers map them to: the
/// user's own id for 0, its /etc/subuid and /etc/subgid ranges from 1. So the commands that
/// write or remove layers (import, load, rmi) first enter a user namespace with those maps,
/// and unpack there, as that namespace's root.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "layer_unpack.hpp"

namespace dockling::ch10 {

/// True when this process is in a user namespace other than the host's: its
/// /proc/self/uid_map is not the identity ("0 0 4294967295").
bool in_user_namespace();

/// The form of the layers this process unpacks: rootless in a user namespace, root's
/// otherwise. Detected (in_user_namespace()), not assumed from who runs us.
LayerForm layer_form();

/// For an ordinary user: this process enters a new user namespace with the maps its
/// containers get (ch07::rootless_maps), as its root, so that the layers it unpacks are owned
/// by the user's ids. Nothing for root. Call it before any thread starts (setns(2) refuses
/// to move a process with threads into a user namespace).
/// @throws Error in plain words when the host refuses user namespaces to ordinary users.
void enter_rootless_namespace();

/// Runs `body` in a forked child that entered the rootless namespace first
/// (enter_rootless_namespace()), and waits for it: for the files of a rootless store that only
/// that namespace may copy or remove (a vfs copy, a container's rw layer) while this process
/// stays out of it. Call it while this process has no other thread.
/// @param body the work; what it throws comes back as an Error
/// @throws Error with the child's message when `body` failed.
void in_rootless_namespace(const std::function<void()>& body);

/// Why overlay cannot be mounted in a user namespace of this user, or "" when it can: tried,
/// not assumed (Linux 5.11+ allows it, with `userxattr`), in a forked child that makes a user
/// and mount namespace of its own and mounts overlay in `scratch` (created and removed).
/// DOCKLING_NO_ROOTLESS_OVERLAY=1 plays a kernel that refuses it (to test the fallback).
/// @param scratch a directory that does not exist yet, on the file system of the rw layers
std::string rootless_overlay_problem(const std::filesystem::path& scratch);

}  // namespace dockling::ch10
