/// @file container_inspect.hpp
/// @brief `docker inspect`'s object for a kept container, built from its record
/// (container_store.hpp).
#pragma once

#include <nlohmann/json.hpp>

#include "container_store.hpp"

namespace dockling::ch10 {

/// `docker container inspect`'s object for `record`, keys in docker 20.10's order: Id,
/// Created, Path, Args, State, Image, Name, RestartCount, Driver, Platform, HostConfig,
/// GraphDriver, Config, NetworkSettings. Only what the record knows: a field docker has and
/// dockling does not keep (LogPath, Mounts, IPAddress, …) is left out, never made up; a
/// record from before a field was kept lacks that field too.
nlohmann::ordered_json inspect_container(const ContainerRecord& record);

}  // namespace dockling::ch10
