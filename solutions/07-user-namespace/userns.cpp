// Chapter 07 exercise, solved.
#include "userns.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "dockling/fd.hpp"

namespace dockling::ch07 {

namespace {

/// Writes `text` to the /proc file `path` in one write(2): the kernel parses a map from a
/// single write and refuses a second one.
void write_proc_file(const std::string& path, const std::string& text) {
  UniqueFd file(check(::open(path.c_str(), O_WRONLY | O_CLOEXEC), "open", path));
  ssize_t written = check(::write(file.get(), text.data(), text.size()), "write", path);
  if (static_cast<size_t>(written) != text.size()) throw Error(fmt::format("write(\"{}\"): short write", path));
}

}  // namespace

std::string id_map_text(const std::vector<IdMapping>& mappings) {
  std::string text;
  for (const auto& mapping : mappings) text += fmt::format("{} {} {}\n", mapping.inside, mapping.outside, mapping.count);
  return text;
}

void write_id_maps(pid_t pid, const IdMaps& maps) {
  std::string proc = fmt::format("/proc/{}/", pid);
  write_proc_file(proc + "uid_map", id_map_text(maps.uids));
  // setgroups must be settled before gid_map: once a gid_map is written, "deny" can no
  // longer be written (EPERM), and an unprivileged writer is refused the gid_map without it.
  if (maps.deny_setgroups) write_proc_file(proc + "setgroups", "deny");
  write_proc_file(proc + "gid_map", id_map_text(maps.gids));
}

}  // namespace dockling::ch07
