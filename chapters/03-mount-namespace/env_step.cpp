#include "env_step.hpp"

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "dockling/fs.hpp"
#include "dockling/log.hpp"

namespace dockling::ch03 {

namespace {

constexpr const char* kWhitespace = " \t\n\v\f\r";

/// "KEY" alone, looked up in the runtime's environment.
std::optional<std::string> from_runtime_env(const std::string& key) {
  const char* value = std::getenv(key.c_str());
  if (value == nullptr) return std::nullopt;
  return key + "=" + value;
}

}  // namespace

void set_env(std::vector<std::string>& env, const std::string& entry) {
  std::string key = entry.substr(0, entry.find('=') + 1);  // "KEY="
  auto same_key = [&](const std::string& existing) { return existing.compare(0, key.size(), key) == 0; };
  auto it = std::find_if(env.begin(), env.end(), same_key);
  if (it != env.end()) {
    *it = entry;
  } else {
    env.push_back(entry);
  }
}

std::optional<std::string> env_from_flag(const std::string& flag) {
  size_t equals = flag.find('=');
  if (equals == 0 || flag.empty()) throw Error(fmt::format("invalid environment variable: \"{}\"", flag));
  if (equals != std::string::npos) return flag;
  return from_runtime_env(flag);
}

std::vector<std::string> read_env_file(const std::string& path) {
  std::string text = read_file(path);
  std::vector<std::string> entries;
  size_t start = 0;
  for (int number = 1; start < text.size(); ++number) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();  // a file written on Windows

    size_t first = line.find_first_not_of(kWhitespace);
    if (first == std::string::npos || line[first] == '#') continue;  // blank or comment
    line.erase(0, first);
    size_t equals = line.find('=');
    std::string key = line.substr(0, equals);
    auto bad_line = [&](const std::string& why) {
      return Error(fmt::format("env file \"{}\", line {}: {}", path, number, why));
    };
    if (key.empty()) throw bad_line(fmt::format("no variable name in \"{}\"", line));
    if (key.find_first_of(kWhitespace) != std::string::npos)
      throw bad_line(fmt::format("variable \"{}\" contains whitespace", key));
    if (equals != std::string::npos) {
      entries.push_back(line);  // the value is taken literally, quotes and spaces included
    } else if (auto entry = from_runtime_env(key)) {
      entries.push_back(*entry);
    }
  }
  return entries;
}

void EnvStep::add_flags(CLI::App& run) {
  run.add_option("-e,--env", env_, "Set an environment variable: KEY=VALUE, or KEY to pass the runtime's own")
      ->allow_extra_args(false);  // one value per -e: what follows is ROOTFS
  run.add_option("--env-file", env_files_, "Read environment variables from a file (KEY=VALUE lines)")
      ->allow_extra_args(false);
  run.add_option("-w,--workdir", workdir_, "Working directory inside the container (created if missing)");
}

void EnvStep::to_spec(ContainerSpec& spec) {
  // Docker's order: the files first, then -e, each later value winning.
  for (const auto& file : env_files_)
    for (const auto& entry : read_env_file(file)) set_env(spec.process.env, entry);
  for (const auto& flag : env_)
    if (auto entry = env_from_flag(flag)) set_env(spec.process.env, *entry);
  if (!workdir_.empty()) {
    if (workdir_.front() != '/')
      throw Error(fmt::format("the working directory \"{}\" is invalid, it needs to be an absolute path", workdir_));
    spec.process.cwd = workdir_;
  }
  log::debug("parent: env {} variables, workdir {}", spec.process.env.size(), spec.process.cwd);
}

}  // namespace dockling::ch03
