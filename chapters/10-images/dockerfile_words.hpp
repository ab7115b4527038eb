/// @file dockerfile_words.hpp
/// @brief How a Dockerfile instruction's arguments split into words: the one rule that
/// `import --change` (here) and the Dockerfile parser (chapter 11) share.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dockling::ch10 {

/// Splits `text` at unquoted whitespace, keeping quotes and escapes in the words (BuildKit's
/// parseWords; the word processor removes them later). The escape character keeps the next
/// character in the word, except inside single quotes, where nothing is escaped.
/// @param text the arguments of one instruction (ENV, LABEL, VOLUME ...).
/// @param escape the escape character (`\`, or the `# escape=` directive's).
std::vector<std::string> split_words(std::string_view text, char escape = '\\');

}  // namespace dockling::ch10
