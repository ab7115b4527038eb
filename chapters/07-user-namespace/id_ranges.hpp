/// @file id_ranges.hpp
/// @brief Which host ids a container's user namespace gets: a range from /etc/subuid and
/// /etc/subgid for root runs, the user's own id for rootless runs.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "userns.hpp"

namespace dockling::ch07 {

/// The name looked up in /etc/subuid and /etc/subgid for root runs (docker's is "dockremap").
inline constexpr const char* kSubidName = "dockling";
/// The range used when /etc/subuid (or /etc/subgid) has no "dockling" line: host ids
/// 100000..165535, the first range useradd(8) hands out, 65536 ids like a whole system.
inline constexpr IdMapping kDefaultRange{0, 100000, 65536};

/// Finds the range of `name` (or of the numeric id `id`, when given) in the text of an
/// /etc/subuid or /etc/subgid file: lines "NAME_OR_ID:START:COUNT"; the first match wins,
/// "#" comments, blank and malformed lines are skipped. Returned as {0, START, COUNT}.
std::optional<IdMapping> find_subid_range(const std::string& text, const std::string& name,
                                          std::optional<unsigned long> id = std::nullopt);

/// The maps of a root run with --userns private: container ids 0.. are the "dockling"
/// range of `subuid_text` / `subgid_text`, or kDefaultRange where there is none. Setgroups
/// stays allowed (root may map many groups, and -u may set supplementary ones).
IdMaps root_id_maps(const std::string& subuid_text, const std::string& subgid_text);

/// The maps of a rootless run: the user `uid`/`gid` becomes root inside, and nothing else is
/// mapped. An unprivileged writer must deny setgroups.
IdMaps rootless_id_maps(uid_t uid, gid_t gid);

/// The maps of a rootless run with subordinate ids, the layout rootless podman uses: the
/// user `uid`/`gid` becomes root inside, and container ids 1.. are the range /etc/subuid
/// (`subuid_text`) and /etc/subgid (`subgid_text`) give the user `name` (or its uid).
/// E.g. "0 1000 1" and "1 100000 65536". Only newuidmap/newgidmap may write them.
/// @return nullopt when either file has no range for the user.
std::optional<IdMaps> rootless_subid_maps(uid_t uid, gid_t gid, const std::string& name,
                                          const std::string& subuid_text, const std::string& subgid_text);

/// The contents of `path`, or "" when it cannot be read (no /etc/subuid is not an error).
std::string read_optional_file(const std::string& path);

}  // namespace dockling::ch07
