#include "container_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include <nlohmann/json.hpp>

#include "dockling/error.hpp"
#include "image_store.hpp"

namespace dockling::ch14 {

namespace {

/// Longer lines are cut into entries of this size, as docker's json-file driver does (16 KiB).
constexpr size_t kMaxEntry = 16 * 1024;

}  // namespace

std::filesystem::path log_path(const std::filesystem::path& container_dir, const std::string& id) {
  return container_dir / (id + "-json.log");
}

LogWriter::LogWriter(const std::filesystem::path& path)
    : file_(open_fd(path.string(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640)) {}

void LogWriter::write_entry(std::string_view line, const std::string& stream) {
  nlohmann::json entry = {{"log", std::string(line)}, {"stream", stream}, {"time", ch10::rfc3339_now()}};
  // Invalid UTF-8 in a program's output is replaced, not a reason to lose the line.
  std::string text = entry.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::lock_guard<std::mutex> hold(mutex_);
  write_all(file_.get(), text);  // one write(2) of O_APPEND: a reader never sees half a line
}

void LogWriter::pump(int fd, const std::string& stream) {
  std::string pending;
  char buffer[8192];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buffer, static_cast<size_t>(n));
    size_t start = 0;
    for (size_t newline; (newline = pending.find('\n', start)) != std::string::npos; start = newline + 1)
      write_entry(std::string_view(pending).substr(start, newline + 1 - start), stream);
    pending.erase(0, start);
    while (pending.size() >= kMaxEntry) {
      write_entry(std::string_view(pending).substr(0, kMaxEntry), stream);
      pending.erase(0, kMaxEntry);
    }
  }
  if (!pending.empty()) write_entry(pending, stream);
}

std::optional<LogEntry> LogReader::next() {
  while (true) {
    size_t newline = pending_.find('\n');
    if (newline != std::string::npos) {
      std::string line = pending_.substr(0, newline);
      pending_.erase(0, newline + 1);
      try {
        nlohmann::json entry = nlohmann::json::parse(line);
        return LogEntry{entry.value("stream", "stdout"), entry.value("log", ""), entry.value("time", "")};
      } catch (const nlohmann::json::exception&) {
        continue;  // a line a crash cut short: skip it, as docker does
      }
    }
    char buffer[16384];
    ssize_t n = ::read(fd_.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    pending_.append(buffer, static_cast<size_t>(n));
  }
}

std::string frame(const std::string& stream, std::string_view payload) {
  std::string out(8, '\0');
  out[0] = stream == "stderr" ? 2 : 1;
  auto size = static_cast<std::uint32_t>(payload.size());
  out[4] = static_cast<char>(size >> 24);
  out[5] = static_cast<char>(size >> 16);
  out[6] = static_cast<char>(size >> 8);
  out[7] = static_cast<char>(size);
  out.append(payload);
  return out;
}

}  // namespace dockling::ch14
