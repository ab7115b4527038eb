/// @file etc_files.hpp
/// @brief The container's /etc/hosts, /etc/resolv.conf and /etc/hostname: generated in the
/// state directory and bind-mounted over the rootfs's files, never written into the rootfs.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "address.hpp"
#include "dockling/fd.hpp"

namespace dockling::ch04 {

/// /etc/hosts for a container named `hostname` at `address` (none with --network none),
/// with the --add-host entries, in docker's layout.
std::string hosts_file(const std::string& hostname, const std::optional<Ipv4>& address,
                       const std::vector<HostEntry>& extra);

/// /etc/resolv.conf from the host's `host_resolv_conf`: with --dns servers, these replace
/// the host's nameservers; otherwise loopback nameservers (127.0.0.53 of systemd-resolved)
/// are dropped when the container has its own network namespace, where they mean the
/// container itself, and docker's fallback 8.8.8.8 / 8.8.4.4 is used if none is left.
std::string resolv_conf(const std::string& host_resolv_conf, const std::vector<std::string>& dns,
                        bool own_network_namespace);

/// In the child, in its own mount namespace, before the root step: puts a generated file
/// over `relative` (e.g. "etc/hosts") inside `rootfs`: `tree`, its detached copy
/// (open_tree(2) with OPEN_TREE_CLONE) where the parent could make one, else a bind mount of
/// `source`. The target is resolved with openat2(RESOLVE_IN_ROOT), so a symbolic link in the
/// rootfs cannot lead the mount out of it; a missing target is created empty (a mount point,
/// as docker does).
void bind_into_rootfs(const std::filesystem::path& rootfs, const std::string& relative, const UniqueFd& tree,
                      const std::filesystem::path& source);

}  // namespace dockling::ch04
