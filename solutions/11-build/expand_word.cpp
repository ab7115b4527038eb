#include <stdexcept>
#include <string>
#include <string_view>

#include "build.hpp"

namespace dockling::ch11 {
namespace {

bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// One pass over a word, left to right, as BuildKit's shellWord does.
class Expander {
 public:
  Expander(std::string_view word, const Variables& variables, char escape)
      : word_(word), variables_(variables), escape_(escape) {}

  // The text up to `stop` (not consumed; '\0': up to the end), expanded.
  std::string text(char stop) {
    std::string out;
    while (!at_end() && !(stop != '\0' && peek() == stop)) {
      char c = next();
      if (c == '\'') {
        out += single_quoted();
      } else if (c == '"') {
        out += double_quoted();
      } else if (c == '$') {
        out += dollar();
      } else if (c == escape_) {
        if (!at_end()) out += next();  // the escaped character, plain; a trailing escape goes
      } else {
        out += c;
      }
    }
    return out;
  }

  bool at_end() const { return pos_ >= word_.size(); }

 private:
  char peek() const { return word_[pos_]; }
  char next() { return word_[pos_++]; }

  std::string single_quoted() {
    std::string out;
    while (true) {
      if (at_end()) throw std::invalid_argument("unexpected end of statement while looking for matching single-quote");
      char c = next();
      if (c == '\'') return out;
      out += c;
    }
  }

  std::string double_quoted() {
    std::string out;
    while (true) {
      if (at_end()) throw std::invalid_argument("unexpected end of statement while looking for matching double-quote");
      char c = next();
      if (c == '"') return out;
      if (c == '$') {
        out += dollar();
      } else if (c == escape_ && !at_end() && (peek() == '"' || peek() == '$' || peek() == escape_)) {
        out += next();
      } else if (c == escape_ && at_end()) {
        // an escape at the end of the word is dropped; the missing quote is reported next
      } else {
        out += c;
      }
    }
  }

  std::string name() {
    std::string out;
    if (!at_end() && is_digit(peek())) {
      while (!at_end() && is_digit(peek())) out += next();
      return out;
    }
    if (at_end() || !is_name_start(peek())) return out;
    while (!at_end() && (is_name_start(peek()) || is_digit(peek()))) out += next();
    return out;
  }

  std::string dollar() {
    if (at_end() || peek() != '{') {
      std::string n = name();
      if (n.empty()) return "$";
      auto found = variables_.find(n);
      return found == variables_.end() ? "" : found->second;
    }
    next();  // '{'
    std::string n = name();
    if (n.empty()) throw std::invalid_argument("syntax error: bad substitution");
    if (at_end()) throw std::invalid_argument("missing ':' in substitution");
    auto found = variables_.find(n);
    bool set = found != variables_.end();
    std::string value = set ? found->second : "";
    char c = next();
    if (c == '}') return value;
    bool colon = c == ':';
    if (colon) c = at_end() ? '\0' : next();
    if (c != '-' && c != '+' && c != '?') {
      if (!colon) throw std::invalid_argument("missing ':' in substitution");
      throw std::invalid_argument(std::string("unsupported modifier (") + c + ") in substitution");
    }
    std::string word = text('}');
    if (!at_end()) next();  // '}'; BuildKit takes a word that the end of the text closes, too
    switch (c) {
      case '-': return (colon ? value.empty() : !set) ? word : value;
      case '+': return (colon ? value.empty() : !set) ? "" : word;
      default:
        if (!set) throw std::invalid_argument(n + ": " + (word.empty() ? "is not allowed to be unset" : word));
        if (colon && value.empty()) throw std::invalid_argument(n + ": " + (word.empty() ? "is not allowed to be empty" : word));
        return value;
    }
  }

  std::string_view word_;
  const Variables& variables_;
  char escape_;
  size_t pos_ = 0;
};

}  // namespace

std::string expand_word(std::string_view word, const Variables& variables, char escape) {
  Expander expander(word, variables, escape);
  return expander.text('\0');
}

}  // namespace dockling::ch11
