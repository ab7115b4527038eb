/// @file text.hpp
/// @brief Letter case in ASCII: docker's names, keywords and flags are ASCII, and a locale
/// must not change how they compare (std::tolower of the C library would follow it).
#pragma once

#include <string>
#include <string_view>

namespace dockling {

/// `text` with A-Z turned into a-z; every other byte as it is.
std::string ascii_lower(std::string_view text);

/// `text` with a-z turned into A-Z; every other byte as it is.
std::string ascii_upper(std::string_view text);

}  // namespace dockling
