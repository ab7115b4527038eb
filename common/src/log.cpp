#include "dockling/log.hpp"

#include <unistd.h>

#include <string>

namespace dockling::log {

namespace {
std::string program_name = "dockling";
Level current_level = Level::info;

std::string_view label(Level level) {
  switch (level) {
    case Level::error: return "";
    case Level::warning: return "warning: ";
    case Level::info: return "";
    case Level::debug: return "debug: ";
  }
  return "";
}
}  // namespace

void set_program(std::string_view name) { program_name = name; }
std::string_view program() { return program_name; }
void set_level(Level level) { current_level = level; }
bool enabled(Level level) { return level <= current_level; }

void write(Level level, std::string_view message) {
  // One write(2) per line, so lines from parent and child do not interleave mid-line.
  std::string line = fmt::format("{}: {}{}\n", program_name, label(level), message);
  [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace dockling::log
