// Chapter 07 exercises: fill in id_map_text and write_id_maps, then grade them with
//   sudo scripts/grade 7
// Their contracts are in chapters/07-user-namespace/userns.hpp.
#include "userns.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "dockling/fd.hpp"

namespace dockling::ch07 {

std::string id_map_text(const std::vector<IdMapping>& mappings) {
  // TODO:
  // One line per mapping, "INSIDE OUTSIDE COUNT\n", e.g. fmt::format("{} {} {}\n", ...).
  // The kernel reads the whole map from this text: for a root run with the default range it
  // is "0 100000 65536\n" (container root is host uid 100000), for a rootless run by uid
  // 1000 it is "0 1000 1\n" (one id: the user itself is root inside).
  (void)mappings;
  throw NotImplemented("ch07::id_map_text", "exercises/07-user-namespace/userns.cpp");
}

void write_id_maps(pid_t pid, const IdMaps& maps) {
  // TODO: three files under /proc/PID/, in this order:
  // 1. "uid_map": id_map_text(maps.uids).
  // 2. "setgroups": the text "deny", but only when maps.deny_setgroups. It must come before
  //    the gid_map: the kernel refuses an unprivileged writer's gid_map while setgroups is
  //    still "allow", and refuses "deny" once a gid_map is written.
  // 3. "gid_map": id_map_text(maps.gids).
  // Each file: open(path, O_WRONLY | O_CLOEXEC) (keep the fd in a UniqueFd), then ONE
  // write(2) of the whole text; the kernel takes only the first write to a map. Wrap both
  // calls in check(..., "open"/"write", path) so a failure names the file, e.g.
  // write("/proc/4242/gid_map"): Operation not permitted.
  // Why from the parent? The child, just cloned, has no capabilities in the parent's
  // namespace, where the host's ids live; its parent (the namespace's owner) may map them.
  (void)pid;
  (void)maps;
  throw NotImplemented("ch07::write_id_maps", "exercises/07-user-namespace/userns.cpp");
}

}  // namespace dockling::ch07
