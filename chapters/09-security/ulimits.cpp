#include "ulimits.hpp"

#include <cerrno>
#include <map>

#include <fmt/format.h>

#include "dockling/error.hpp"

namespace dockling::ch09 {

namespace {

const std::map<std::string, int>& resources() {
  static const std::map<std::string, int> kResources = {
      {"as", RLIMIT_AS},         {"core", RLIMIT_CORE},         {"cpu", RLIMIT_CPU},
      {"data", RLIMIT_DATA},     {"fsize", RLIMIT_FSIZE},       {"locks", RLIMIT_LOCKS},
      {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
      {"nofile", RLIMIT_NOFILE}, {"nproc", RLIMIT_NPROC},       {"rss", RLIMIT_RSS},
      {"rtprio", RLIMIT_RTPRIO}, {"rttime", RLIMIT_RTTIME},     {"sigpending", RLIMIT_SIGPENDING},
      {"stack", RLIMIT_STACK}};
  return kResources;
}

rlim_t parse_value(const std::string& text, const std::string& whole) {
  if (text == "-1" || text == "unlimited") return RLIM_INFINITY;
  size_t used = 0;
  unsigned long long value = 0;
  try {
    if (text.empty() || text[0] == '-' || text[0] == '+') throw std::invalid_argument(text);
    value = std::stoull(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size()) throw Error(fmt::format("invalid ulimit argument: {}", whole));
  return static_cast<rlim_t>(value);
}

std::string show(rlim_t value) { return value == RLIM_INFINITY ? "unlimited" : std::to_string(value); }

}  // namespace

int rlimit_resource(const std::string& name) {
  auto found = resources().find(name);
  if (found == resources().end()) throw Error(fmt::format("invalid ulimit type: {}", name));
  return found->second;
}

Ulimit parse_ulimit(const std::string& text) {
  size_t equals = text.find('=');
  if (equals == std::string::npos) throw Error(fmt::format("invalid ulimit argument: {}", text));
  Ulimit limit;
  limit.name = text.substr(0, equals);
  limit.resource = rlimit_resource(limit.name);
  std::string values = text.substr(equals + 1);
  size_t colon = values.find(':');
  limit.soft = parse_value(values.substr(0, colon), text);
  limit.hard = colon == std::string::npos ? limit.soft : parse_value(values.substr(colon + 1), text);
  if (limit.hard != RLIM_INFINITY && (limit.soft == RLIM_INFINITY || limit.soft > limit.hard))
    throw Error(fmt::format("ulimit soft limit must be less than or equal to hard limit: {} > {}", show(limit.soft),
                            show(limit.hard)));
  return limit;
}

void apply_ulimit(const Ulimit& limit) {
  rlimit current{};
  check(::getrlimit(limit.resource, &current), "getrlimit", limit.name);
  rlimit wanted{limit.soft, limit.hard};
  if (::setrlimit(limit.resource, &wanted) == 0) return;
  int error = errno;
  if (error == EPERM && (limit.hard == RLIM_INFINITY || (current.rlim_max != RLIM_INFINITY && limit.hard > current.rlim_max)))
    throw Error(fmt::format("--ulimit {}={}:{}: raising the hard limit above {} needs CAP_SYS_RESOURCE, which this "
                            "runtime does not have",
                            limit.name, show(limit.soft), show(limit.hard), show(current.rlim_max)));
  throw SysError("setrlimit", fmt::format("{}={}:{}", limit.name, show(limit.soft), show(limit.hard)), error);
}

}  // namespace dockling::ch09
