/// @file build.hpp
/// @brief Chapter 11's exercises: the variable substitution of one word of a Dockerfile, and
/// the cache key of one build step.
///
/// The exercise functions are defined in exercises/11-build/ (the stubs you fill in) or
/// solutions/11-build/: expand_word.cpp and cache_key.cpp. The instructions that docker
/// expands (ADD COPY ENV EXPOSE FROM LABEL STOPSIGNAL USER VOLUME WORKDIR ONBUILD) call
/// expand_word() for each of their words (substitution.hpp); the builder asks cache_key()
/// before each step whether the build cache holds its result (build_cache.hpp).
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

/// Exercise: the cache key of one build step: what the step starts from and everything it
/// depends on, hashed, so that two steps with the same key make the same result.
///
/// The contract:
/// - The key is the sha256 digest ("sha256:" and 64 lowercase hex digits, as
///   ch10::sha256_digest() returns it) of the step's parts, each written as a netstring:
///   its length in decimal, `:`, its bytes, `,` (`5:hello,`; `0:,` for an empty part).
/// - The parts, in this order: `parent` (the previous step's key, or the base image's id for
///   the first step of a stage), `instruction` (the instruction as written, variables
///   substituted), `files` (the checksum of what COPY or ADD copies, "" for other steps),
///   then one part `NAME=VALUE` for each of `build_args` in name order (the ARGs a RUN step
///   sees in its environment; none for other steps).
/// - Netstrings make the key unambiguous: ("ab", "c") and ("a", "bc") give different keys,
///   and so do ("a=1" as one arg) and an instruction that ends in it.
std::string cache_key(std::string_view parent, std::string_view instruction, std::string_view files,
                      const Variables& build_args);

}  // namespace dockling::ch11
