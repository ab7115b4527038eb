/// @file build.hpp
/// @brief Chapter 11's exercise: the variable substitution of one word of a Dockerfile.
///
/// The exercise function is defined in exercises/11-build/expand_word.cpp (the stub you fill
/// in) or solutions/11-build/expand_word.cpp. The instructions that docker expands (ADD COPY
/// ENV EXPOSE FROM LABEL STOPSIGNAL USER VOLUME WORKDIR ONBUILD) call it for each of their
/// words (substitution.hpp).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace dockling::ch11 {

/// The variables an instruction sees: ARGs and ENVs by name.
using Variables = std::map<std::string, std::string, std::less<>>;

/// Exercise: one word of a Dockerfile with its variables substituted and its quotes and
/// escapes removed, as BuildKit's shell lexer does (ProcessWord). `escape` is the escape
/// character (`\`, or the one the `# escape=` directive chose).
///
/// The contract:
/// - `$name` and `${name}`: the value of `name`, "" when it is not set. A name is a letter or
///   `_` followed by letters, digits and `_` (or a run of digits); a `$` that no name follows
///   is a plain `$`.
/// - `${name:-word}` word when name is unset or empty, else its value; `${name-word}` word only
///   when name is unset. `${name:+word}` word when name is set and not empty, else "";
///   `${name+word}` word when name is set. `${name:?word}` and `${name?word}` are the value,
///   and an error when (unset or empty) resp. unset. The word is itself a word: it may hold
///   quotes and variables.
/// - `'...'`: everything up to the next `'` as it is. `"..."`: variables are substituted;
///   the escape character escapes only `"`, `$` and itself, and stays before anything else.
/// - Outside quotes the escape character makes the next character plain (`\$HOME` is
///   `$HOME`) and is dropped; at the very end of the word it is dropped.
/// - Errors throw std::invalid_argument with BuildKit's words: an unclosed quote
///   ("unexpected end of statement while looking for matching single-quote" / "double-quote"),
///   `${}` ("syntax error: bad substitution"), `${name` that the text ends or another character
///   follows ("missing ':' in substitution"), `${name:X...}` with X not `-`, `+` or `?`
///   ("unsupported modifier (X) in substitution"), and `${name:?word}` ("name: word", or
///   "name: is not allowed to be unset" / "to be empty" when word is empty). As in BuildKit,
///   the end of the text also closes the word after a modifier: `${u:-abc` is `abc`.
std::string expand_word(std::string_view word, const Variables& variables, char escape = '\\');

}  // namespace dockling::ch11
