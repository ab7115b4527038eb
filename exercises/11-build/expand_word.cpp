#include <string>
#include <string_view>

#include "build.hpp"
#include "dockling/error.hpp"

namespace dockling::ch11 {

std::string expand_word(std::string_view word, const Variables& variables, char escape) {
  (void)word;
  (void)variables;
  (void)escape;
  // TODO 1: walk the word once, left to right. What does each of `'`, `"`, `$` and the
  //         escape character start, and where does it end? The contract in build.hpp says;
  //         the lesson's table "Substitution" shows every form.
  // TODO 2: `${name:-word}`: the word after the modifier is a word too (quotes, variables),
  //         up to the `}` that closes the braces. Which cases does the `:` change?
  // TODO 3: what is an error, and what is a plain `$`?
  // Check: `ctest --test-dir build-ex -L ch11 -L exercise`.
  throw NotImplemented("ch11::expand_word", "exercises/11-build/expand_word.cpp");
}

}  // namespace dockling::ch11
