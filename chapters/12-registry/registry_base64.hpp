/// @file registry_base64.hpp
/// @brief Base64 (RFC 4648): the standard alphabet with padding, which HTTP Basic credentials
/// use, and the URL alphabet without padding, which a JSON web token's three parts use.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dockling::ch12 {

/// The two alphabets.
enum class Base64 {
  standard,  ///< A-Z a-z 0-9 + /, padded with '='
  url,       ///< A-Z a-z 0-9 - _, no padding
};

/// `data` in base64.
std::string encode_base64(std::string_view data, Base64 alphabet = Base64::standard);

/// The bytes `text` encodes; nullopt when it holds a character outside the alphabet or has a
/// length no encoding gives. Padding is optional in both alphabets.
std::optional<std::string> decode_base64(std::string_view text, Base64 alphabet = Base64::standard);

}  // namespace dockling::ch12
