#include "exec_user.hpp"

#include <grp.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "id_ranges.hpp"

namespace dockling::ch07 {

namespace {

/// Docker's limit for ids given with -u.
constexpr unsigned long kMaxId = 2147483647;

/// `text` as an id, or nullopt when it is not entirely digits.
std::optional<unsigned long> parse_id(const std::string& text) {
  unsigned long value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (value > kMaxId) throw Error(fmt::format("invalid id {}: uids and gids must be in range 0-{}", text, kMaxId));
  return value;
}

/// The ':'-separated fields of each line of an /etc/passwd or /etc/group text.
std::vector<std::vector<std::string>> records(const std::string& text) {
  std::vector<std::vector<std::string>> result;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line.front() == '#') continue;
    std::vector<std::string> fields;
    std::istringstream parts(line);
    std::string field;
    while (std::getline(parts, field, ':')) fields.push_back(field);
    if (line.back() == ':') fields.push_back("");
    result.push_back(fields);
  }
  return result;
}

}  // namespace

ExecUser resolve_user(const std::string& spec, const std::string& passwd, const std::string& group) {
  size_t colon = spec.find(':');
  std::string user_part = spec.empty() ? "0" : spec.substr(0, colon);
  std::optional<std::string> group_part;
  if (colon != std::string::npos) group_part = spec.substr(colon + 1);
  if (user_part.empty()) throw Error(fmt::format("invalid user \"{}\": USER[:GROUP] expected", spec));

  ExecUser user;
  std::string name;  // the user's name, when passwd knows the user: for its groups
  auto uid = parse_id(user_part);
  bool found = false;
  for (const auto& fields : records(passwd)) {  // name:password:uid:gid:gecos:home:shell
    if (fields.size() < 4) continue;
    auto entry_uid = parse_id(fields[2]);
    auto entry_gid = parse_id(fields[3]);
    if (!entry_uid || !entry_gid) continue;
    if (uid ? *entry_uid == *uid : fields[0] == user_part) {
      user.uid = static_cast<uid_t>(*entry_uid);
      user.gid = static_cast<gid_t>(*entry_gid);
      if (fields.size() >= 6 && !fields[5].empty()) user.home = fields[5];
      name = fields[0];
      found = true;
      break;
    }
  }
  if (!found) {
    if (!uid) throw Error(fmt::format("unable to find user {}: no matching entries in passwd file", user_part));
    user.uid = static_cast<uid_t>(*uid);  // a number passwd does not know: used as it is, group 0
  }

  auto groups = records(group);  // name:password:gid:member,member
  if (group_part) {
    if (group_part->empty()) throw Error(fmt::format("invalid user \"{}\": GROUP is empty", spec));
    if (auto gid = parse_id(*group_part)) {
      user.gid = static_cast<gid_t>(*gid);
    } else {
      auto entry = std::find_if(groups.begin(), groups.end(), [&](const auto& fields) {
        return fields.size() >= 3 && fields[0] == *group_part && parse_id(fields[2]);
      });
      if (entry == groups.end())
        throw Error(fmt::format("unable to find group {}: no matching entries in group file", *group_part));
      user.gid = static_cast<gid_t>(*parse_id((*entry)[2]));
    }
  }
  user.groups.push_back(user.gid);  // docker 20.10 always lists the primary group too
  // A GROUP given on the command line replaces the user's memberships (docker's rule).
  if (!name.empty() && !group_part) {
    for (const auto& fields : groups) {
      if (fields.size() < 4) continue;
      auto gid = parse_id(fields[2]);
      std::istringstream members(fields[3]);
      std::string member;
      while (gid && std::getline(members, member, ','))
        if (member == name) user.groups.push_back(static_cast<gid_t>(*gid));
    }
  }
  std::sort(user.groups.begin(), user.groups.end());
  user.groups.erase(std::unique(user.groups.begin(), user.groups.end()), user.groups.end());
  return user;
}

void add_groups(ExecUser& user, const std::vector<std::string>& names, const std::string& group) {
  auto groups = records(group);
  for (const auto& wanted : names) {
    std::optional<unsigned long> gid = parse_id(wanted);
    for (const auto& fields : groups) {
      if (gid || fields.size() < 3 || fields[0] != wanted) continue;
      gid = parse_id(fields[2]);
    }
    if (!gid) throw Error(fmt::format("Unable to find group {}: no matching entries in group file", wanted));
    user.groups.push_back(static_cast<gid_t>(*gid));
  }
  std::sort(user.groups.begin(), user.groups.end());
  user.groups.erase(std::unique(user.groups.begin(), user.groups.end()), user.groups.end());
}

void switch_user(const ProcessUser& user, bool setgroups_allowed) {
  bool only_primary = user.groups.empty() || (user.groups.size() == 1 && user.groups.front() == user.gid);
  if (setgroups_allowed) {
    check(::setgroups(user.groups.size(), user.groups.data()), "setgroups",
          fmt::format("{} groups", user.groups.size()));
  } else if (!only_primary) {
    throw Error(fmt::format("cannot give uid {} its {} supplementary groups: setgroups is denied in this user "
                            "namespace (a rootless run without newuidmap or subuid ranges maps a single id)",
                            user.uid, user.groups.size() - 1));
  }
  // EINVAL: the id has no place in this user namespace's map.
  if (::setresgid(user.gid, user.gid, user.gid) != 0) {
    if (errno == EINVAL)
      throw Error(fmt::format("group {} is not mapped in the container's user namespace: see /proc/self/gid_map",
                              user.gid));
    throw_sys("setresgid", std::to_string(user.gid));
  }
  if (::setresuid(user.uid, user.uid, user.uid) != 0) {
    if (errno == EINVAL)
      throw Error(fmt::format("user {} is not mapped in the container's user namespace: see /proc/self/uid_map",
                              user.uid));
    throw_sys("setresuid", std::to_string(user.uid));
  }
}

bool setgroups_allowed() {
  std::string text = read_optional_file("/proc/self/setgroups");
  return text.rfind("deny", 0) != 0;
}

void set_default_home(std::vector<std::string>& env, const std::string& home) {
  for (const auto& entry : env)
    if (entry.rfind("HOME=", 0) == 0) return;
  env.push_back("HOME=" + home);
}

}  // namespace dockling::ch07
