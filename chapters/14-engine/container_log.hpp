/// @file container_log.hpp
/// @brief A container's output as docker's json-file driver keeps it, and as the Engine API
/// sends it: one JSON object a line in ROOT/containers/ID/ID-json.log, and 8-byte frames on
/// the wire.
///
///     {"log":"hello\n","stream":"stdout","time":"2026-12-01T01:16:09.123456789Z"}
///
/// The monitor (monitor.hpp) writes the file from the container's stdout and stderr pipes;
/// the daemon reads it for `logs` and follows it for `logs -f` and `attach`.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "dockling/fd.hpp"

namespace dockling::ch14 {

/// ROOT/containers/ID/ID-json.log: docker's LogPath.
std::filesystem::path log_path(const std::filesystem::path& container_dir, const std::string& id);

/// Appends a container's output to its json-file log, a line of output per entry (a partial
/// line is written when its pipe ends). Safe to call from one thread per stream.
class LogWriter {
 public:
  /// Opens (creates) `path` for appending.
  explicit LogWriter(const std::filesystem::path& path);
  /// Copies everything `fd` gives, until its end, to the log as `stream` ("stdout" or
  /// "stderr"), line by line.
  void pump(int fd, const std::string& stream);

 private:
  void write_entry(std::string_view line, const std::string& stream);
  std::mutex mutex_;
  UniqueFd file_;
};

/// One entry of a json-file log.
struct LogEntry {
  std::string stream;  ///< "stdout" or "stderr"
  std::string text;    ///< what was written, its newline included
  std::string time;    ///< RFC 3339 with nanoseconds, in UTC
};

/// Reads a json-file log from an open descriptor, entry by entry; more appear while the
/// container runs.
class LogReader {
 public:
  /// Reads `fd` (a json-file log, opened by the caller) from its current offset.
  explicit LogReader(UniqueFd fd) : fd_(std::move(fd)) {}
  /// The next complete entry, or nullopt when none is there yet (or the log ended).
  std::optional<LogEntry> next();

 private:
  UniqueFd fd_;
  std::string pending_;  ///< bytes read that do not end a line yet
};

/// One frame of docker's multiplexed stream (what `attach` and `logs` send when the container
/// has no terminal): a byte for the stream (1 stdout, 2 stderr), three zeros, the payload's
/// length as a 32-bit big-endian number, then the payload.
std::string frame(const std::string& stream, std::string_view payload);

}  // namespace dockling::ch14
