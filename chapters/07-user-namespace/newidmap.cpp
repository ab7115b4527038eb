#include "newidmap.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "dockling/log.hpp"

extern char** environ;

namespace dockling::ch07 {

namespace {

/// The first executable `name` in the directories of `path_env`, or "".
std::string find_in_path(const char* path_env, const std::string& name) {
  std::istringstream dirs(path_env ? path_env : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

}  // namespace

std::optional<IdMapHelpers> find_idmap_helpers(const char* path_env) {
  IdMapHelpers helpers{find_in_path(path_env, "newuidmap"), find_in_path(path_env, "newgidmap")};
  if (helpers.newuidmap.empty() || helpers.newgidmap.empty()) return std::nullopt;
  return helpers;
}

void run_idmap_helper(const std::string& helper, pid_t pid, const std::vector<IdMapping>& mappings) {
  std::vector<std::string> args = {helper, std::to_string(pid)};
  for (const auto& m : mappings) {
    args.push_back(std::to_string(m.inside));
    args.push_back(std::to_string(m.outside));
    args.push_back(std::to_string(m.count));
  }
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  pid_t helper_pid = 0;
  int error = ::posix_spawn(&helper_pid, helper.c_str(), nullptr, nullptr, argv.data(), environ);
  if (error != 0) throw SysError("posix_spawn", helper, error);
  int status = 0;
  while (::waitpid(helper_pid, &status, 0) < 0) {
    if (errno != EINTR) throw_sys("waitpid", helper);
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw Error(fmt::format("{} {} failed (exit status {}): see its message above", helper, pid,
                            WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)));
}

void write_id_maps_with_helpers(const IdMapHelpers& helpers, pid_t pid, const IdMaps& maps) {
  log::debug("parent: {} and {} write the maps of {}", helpers.newuidmap, helpers.newgidmap, pid);
  run_idmap_helper(helpers.newuidmap, pid, maps.uids);
  run_idmap_helper(helpers.newgidmap, pid, maps.gids);
}

}  // namespace dockling::ch07
