/// @file log.hpp
/// @brief Messages to stderr, prefixed with the program's name, filtered by level.
#pragma once

#include <string_view>

#include <fmt/format.h>

namespace dockling::log {

/// How much to say: errors only up to every step (debug, shown with -v/--verbose).
enum class Level { error, warning, info, debug };

/// Sets the name printed before every message (the binary's name, e.g. "ch01-chroot").
void set_program(std::string_view name);
/// The name set by set_program.
std::string_view program();
/// Sets the most detailed level that is printed (default: info).
void set_level(Level level);
/// True when messages of `level` are printed.
bool enabled(Level level);
/// Prints one line to stderr: `program: [label: ]message`.
void write(Level level, std::string_view message);

/// Prints an error.
template <typename... Args>
void error(fmt::format_string<Args...> format, Args&&... args) {
  write(Level::error, fmt::format(format, std::forward<Args>(args)...));
}
/// Prints a warning.
template <typename... Args>
void warning(fmt::format_string<Args...> format, Args&&... args) {
  if (enabled(Level::warning)) write(Level::warning, fmt::format(format, std::forward<Args>(args)...));
}
/// Prints an informational message.
template <typename... Args>
void info(fmt::format_string<Args...> format, Args&&... args) {
  if (enabled(Level::info)) write(Level::info, fmt::format(format, std::forward<Args>(args)...));
}
/// Prints a step-by-step detail (shown with -v).
template <typename... Args>
void debug(fmt::format_string<Args...> format, Args&&... args) {
  if (enabled(Level::debug)) write(Level::debug, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace dockling::log
