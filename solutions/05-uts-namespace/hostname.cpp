// Chapter 05 exercise, solved.
#include "hostname.hpp"

#include <fmt/format.h>

namespace dockling::ch05 {

namespace {

/// ASCII only, whatever the locale: std::isalnum would take a Latin-1 "é" for a letter, and
/// is undefined for a negative char (every byte above 0x7f, where char is signed).
bool is_letter_or_digit(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/// A character as the user can read it: itself, or its byte value when it does not print.
std::string shown(char c) {
  auto byte = static_cast<unsigned char>(c);
  if (byte >= 0x20 && byte < 0x7f) return fmt::format("'{}'", c);
  return fmt::format("byte 0x{:02x}", byte);
}

/// Why one dot-separated label is not valid, or "".
std::string label_problem(const std::string& label) {
  if (label.empty()) return "empty label (two dots in a row, or a dot at either end)";
  if (label.size() > 63) return fmt::format("label \"{}\" is longer than 63 characters", label);
  if (label.front() == '-' || label.back() == '-')
    return fmt::format("label \"{}\" starts or ends with '-'", label);
  for (char c : label) {
    if (!is_letter_or_digit(c) && c != '-')
      return fmt::format("{} is not allowed (only letters, digits, '-' and '.')", shown(c));
  }
  return {};
}

}  // namespace

std::string hostname_problem(const std::string& name) {
  if (name.empty()) return "empty name";
  if (name.size() > kMaxNameLength)
    return fmt::format("{} characters, at most {} fit in the kernel", name.size(), kMaxNameLength);
  size_t start = 0;
  for (;;) {
    size_t dot = name.find('.', start);
    std::string problem = label_problem(name.substr(start, dot == std::string::npos ? dot : dot - start));
    if (!problem.empty()) return problem;
    if (dot == std::string::npos) return {};
    start = dot + 1;
  }
}

}  // namespace dockling::ch05
