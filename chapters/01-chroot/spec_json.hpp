/// @file spec_json.hpp
/// @brief ContainerSpec to JSON and back: how a container's state.json carries its spec to
/// the next command (`delete` in another process must know what was set up).
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

#include "spec.hpp"

// nlohmann::json 3.11.2 has no std::optional: null stands for "not set". (Hidden from
// Doxygen, which cannot place a specialization of another library's template.)
/// @cond
namespace nlohmann {
template <typename T>
struct adl_serializer<std::optional<T>> {
  static void to_json(json& out, const std::optional<T>& value) {
    if (value) out = *value;
    else out = nullptr;
  }
  static void from_json(const json& in, std::optional<T>& value) {
    if (in.is_null()) value.reset();
    else value = in.get<T>();
  }
};
}  // namespace nlohmann
/// @endcond

namespace dockling {

/// Every field, under its member's name.
void to_json(nlohmann::json& json, const ContainerSpec& spec);
/// The spec to_json wrote; a missing field keeps its default.
/// @throws nlohmann::json::exception for a value of the wrong type.
void from_json(const nlohmann::json& json, ContainerSpec& spec);

}  // namespace dockling
