/// @file json_text.hpp
/// @brief Reading one text field deep inside a swarm object (a task, a node, a network).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace dockling::ch15 {

/// The string at the JSON pointer `pointer` ("/Status/State") of `object`; "" when it is
/// absent or not a string (the API's objects leave out what is unset).
inline std::string text_at(const nlohmann::json& object, const char* pointer) {
  nlohmann::json::json_pointer where(pointer);
  return object.contains(where) && object.at(where).is_string() ? object.at(where).get<std::string>() : "";
}

}  // namespace dockling::ch15
