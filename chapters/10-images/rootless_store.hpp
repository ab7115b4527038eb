/// @file rootless_store.hpp
/// @brief A rootless user's image store. As in podman's rootless storage, the files an image
/// gives to uid 0..N belong on the host to the ids the user's containers map them to: the
/// user's own id for 0, its /etc/subuid and /etc/subgid ranges from 1. So the commands that
/// write or remove layers (import, load, rmi) first enter a user namespace with those maps,
/// and unpack there, as that namespace's root.
#pragma once

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

}  // namespace dockling::ch10
