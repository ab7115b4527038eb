/// @file registry_names.hpp
/// @brief The distribution spec's rules for repository names, tags and upload ids: checked
/// before any of them names a file under the registry's root.
#pragma once

#include <string_view>

namespace dockling::ch12 {

/// True when `name` matches the spec's
/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`, at most 255
/// characters. No component can be "." or ".." or start with "_" (the storage's own names).
bool is_repository_name(std::string_view name);

/// True when `tag` matches the spec's `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
bool is_tag(std::string_view tag);

/// True when `uuid` looks like the upload ids this registry hands out (8-4-4-4-12 lowercase hex).
bool is_upload_uuid(std::string_view uuid);

}  // namespace dockling::ch12
