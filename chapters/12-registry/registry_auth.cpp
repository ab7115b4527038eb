#include "registry_auth.hpp"

#include <cctype>
#include <string>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "dockling/text.hpp"
#include "registry_base64.hpp"

namespace dockling::ch12 {

namespace {

/// RFC 7230's tchar: what a scheme's or a parameter's name is made of.
bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

/// Reads the text of `value` from `at` on: spaces, tabs and commas skipped.
void skip_separators(std::string_view value, size_t& at) {
  while (at < value.size() && (value[at] == ' ' || value[at] == '\t' || value[at] == ',')) ++at;
}

void skip_spaces(std::string_view value, size_t& at) {
  while (at < value.size() && (value[at] == ' ' || value[at] == '\t')) ++at;
}

std::string read_token(std::string_view value, size_t& at) {
  size_t start = at;
  while (at < value.size() && is_token_char(value[at])) ++at;
  return std::string(value.substr(start, at - start));
}

/// An unquoted parameter value: up to a comma or a space (leniently: registries write URLs
/// unquoted too).
std::string read_bare(std::string_view value, size_t& at) {
  size_t start = at;
  while (at < value.size() && value[at] != ',' && value[at] != ' ' && value[at] != '\t') ++at;
  return std::string(value.substr(start, at - start));
}

/// A quoted string from its opening quote on; `at` ends after the closing one (or at the end).
std::string read_quoted(std::string_view value, size_t& at) {
  std::string text;
  for (++at; at < value.size(); ++at) {
    if (value[at] == '"') {
      ++at;
      break;
    }
    if (value[at] == '\\' && at + 1 < value.size()) ++at;
    text += value[at];
  }
  return text;
}

}  // namespace

std::string AuthChallenge::param(const std::string& name) const {
  auto found = params.find(name);
  return found == params.end() ? "" : found->second;
}

std::vector<AuthChallenge> parse_www_authenticate(std::string_view value) {
  std::vector<AuthChallenge> challenges;
  size_t at = 0;
  while (true) {
    skip_separators(value, at);
    if (at >= value.size()) break;
    std::string word = read_token(value, at);
    if (word.empty()) {  // not a token: skip the character
      ++at;
      continue;
    }
    skip_spaces(value, at);
    if (at < value.size() && value[at] == '=' && !challenges.empty()) {
      // NAME=VALUE: a parameter of the current challenge.
      ++at;
      skip_spaces(value, at);
      std::string param_value = at < value.size() && value[at] == '"' ? read_quoted(value, at) : read_bare(value, at);
      challenges.back().params[ascii_lower(word)] = param_value;
      continue;
    }
    // A word without '=': a new challenge's scheme.
    challenges.push_back(AuthChallenge{ascii_lower(word), {}});
  }
  return challenges;
}

std::string basic_authorization(const Credentials& credentials) {
  return "Basic " + encode_base64(credentials.username + ":" + credentials.password);
}

}  // namespace dockling::ch12
