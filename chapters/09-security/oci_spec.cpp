#include "oci_spec.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>

#include <fmt/format.h>

#include "container_mounts.hpp"
#include "dockling/error.hpp"
#include "hostname.hpp"
#include "oci_hooks.hpp"
#include "oci_mounts.hpp"
#include "ulimits.hpp"

namespace dockling::ch09 {

namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string& field, const std::string& what) {
  throw Error(fmt::format("config.json: {}: {}", field, what));
}

const json* find(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

std::string text(const json& value, const std::string& field) {
  if (!value.is_string()) bad(field, "must be a string");
  return value.get<std::string>();
}

/// A hostname or domainname field, checked as `run -h` checks one (chapter 05's rules).
std::string checked_name(const json& value, const std::string& field) {
  std::string name = text(value, field);
  if (std::string problem = ch05::hostname_problem(name); !problem.empty()) bad(field, problem);
  return name;
}

std::vector<std::string> texts(const json& value, const std::string& field) {
  if (!value.is_array()) bad(field, "must be a list of strings");
  std::vector<std::string> list;
  for (const auto& item : value) list.push_back(text(item, field));
  return list;
}

std::uint64_t number(const json& value, const std::string& field) {
  if (!value.is_number_unsigned()) bad(field, "must be a non-negative number");
  return value.get<std::uint64_t>();
}

std::int64_t signed_number(const json& value, const std::string& field) {
  if (!value.is_number_integer()) bad(field, "must be a number");
  return value.get<std::int64_t>();
}

/// Warns about every key of `object` not in `known`.
void warn_unknown(const json& object, const std::string& prefix, std::set<std::string> known,
                  std::vector<std::string>& warnings) {
  if (!object.is_object()) return;
  for (const auto& [key, value] : object.items())
    if (!known.count(key) && !value.is_null())
      warnings.push_back(fmt::format("{}{} is not honoured yet; ignored", prefix, key));
}

CapabilitySet cap_list(const json* value, const std::string& field) {
  CapabilitySet set = 0;
  if (!value) return set;
  for (const auto& name : texts(*value, field)) {
    try {
      set |= CapabilitySet{1} << capability_number(name);
    } catch (const Error& e) {
      bad(field, e.what());
    }
  }
  return set;
}

// The mounts chapter 03 always makes, as runc spec lists them.
const std::set<std::string> kStandardMounts = {"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys"};

void read_process(const json& process, OciBundle& bundle) {
  warn_unknown(process, "process.",
               {"terminal", "user", "args", "env", "cwd", "capabilities", "rlimits", "noNewPrivileges", "consoleSize"},
               bundle.warnings);
  const json* args = find(process, "args");
  if (!args) bad("process.args", "missing");
  ProcessSpec& spec = bundle.spec.process;
  if (const json* terminal = find(process, "terminal")) {
    if (!terminal->is_boolean()) bad("process.terminal", "not a boolean");
    spec.terminal = terminal->get<bool>();
    spec.open_stdin = spec.terminal;  // runc relays its stdin to the terminal in the foreground
  }
  if (const json* size = find(process, "consoleSize")) {
    auto side = [&](const char* key) {
      const json* value = find(*size, key);
      std::string field = fmt::format("process.consoleSize.{}", key);
      if (!value) bad(field, "missing");
      std::uint64_t n = number(*value, field);
      if (n > 65535) bad(field, "must be at most 65535");
      return static_cast<unsigned short>(n);
    };
    spec.console_size = ConsoleSize{side("height"), side("width")};
  }
  spec.args = texts(*args, "process.args");
  if (spec.args.empty()) bad("process.args", "empty");
  if (const json* env = find(process, "env")) spec.env = texts(*env, "process.env");
  const json* cwd = find(process, "cwd");
  if (!cwd) bad("process.cwd", "missing");
  spec.cwd = text(*cwd, "process.cwd");
  if (spec.cwd.empty() || spec.cwd.front() != '/')
    bad("process.cwd", "must be an absolute path");
  if (const json* user = find(process, "user")) {
    warn_unknown(*user, "process.user.", {"uid", "gid", "additionalGids", "umask"}, bundle.warnings);
    if (const json* uid = find(*user, "uid")) spec.user.uid = static_cast<uid_t>(number(*uid, "process.user.uid"));
    if (const json* gid = find(*user, "gid")) spec.user.gid = static_cast<gid_t>(number(*gid, "process.user.gid"));
    if (const json* gids = find(*user, "additionalGids"))
      for (const auto& gid : *gids) spec.user.groups.push_back(static_cast<gid_t>(number(gid, "process.user.additionalGids")));
    if (find(*user, "umask")) bundle.warnings.push_back("process.user.umask is not honoured yet; ignored");
  }
  if (const json* caps = find(process, "capabilities")) {
    spec.capabilities.bounding = cap_list(find(*caps, "bounding"), "process.capabilities.bounding");
    spec.capabilities.effective = cap_list(find(*caps, "effective"), "process.capabilities.effective");
    spec.capabilities.permitted = cap_list(find(*caps, "permitted"), "process.capabilities.permitted");
    spec.capabilities.inheritable = cap_list(find(*caps, "inheritable"), "process.capabilities.inheritable");
    spec.capabilities.ambient = cap_list(find(*caps, "ambient"), "process.capabilities.ambient");
  }
  if (const json* rlimits = find(process, "rlimits")) {
    if (!rlimits->is_array()) bad("process.rlimits", "must be a list");
    for (size_t i = 0; i < rlimits->size(); ++i) {
      std::string field = fmt::format("process.rlimits[{}]", i);
      const json& limit = (*rlimits)[i];
      std::string type = text(limit.value("type", json()), field + ".type");
      if (type.rfind("RLIMIT_", 0) != 0) bad(field + ".type", fmt::format("unknown \"{}\"", type));
      std::string name = type.substr(7);
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::uint64_t soft = number(limit.value("soft", json()), field + ".soft");
      std::uint64_t hard = number(limit.value("hard", json()), field + ".hard");
      if (soft > hard) bad(field, fmt::format("soft limit {} is above the hard limit {}", soft, hard));
      int resource = 0;
      try {
        resource = rlimit_resource(name);
      } catch (const Error&) {
        bad(field + ".type", fmt::format("unknown \"{}\"", type));
      }
      spec.rlimits.push_back(Rlimit{name, resource, soft, hard});
    }
  }
  if (const json* nnp = find(process, "noNewPrivileges"); nnp && nnp->is_boolean())
    spec.no_new_privileges = nnp->get<bool>();
}

void read_mounts(const json& mounts, const std::filesystem::path& dir, OciBundle& bundle) {
  if (!mounts.is_array()) bad("mounts", "must be a list");
  for (size_t i = 0; i < mounts.size(); ++i) {
    std::string field = fmt::format("mounts[{}]", i);
    MountSpec mount = read_mount(mounts[i], field, dir);
    if (kStandardMounts.count(mount.destination)) continue;  // chapter 03 mounts these (with docker's options)
    bundle.spec.root.mounts.push_back(std::move(mount));
  }
}

/// A namespace of linux.namespaces.
struct OciNamespace {
  std::string type;  ///< "pid", "network", "ipc", "uts", "mount", "cgroup", "user", "time"
  std::string path;  ///< join this one (e.g. /proc/PID/ns/net) instead of making one
};

/// The namespaces chapters 02-06 always make: pid, mount, uts, ipc.
const std::set<std::string> kAlwaysMade = {"pid", "mount", "uts", "ipc"};

/// The spec's namespaces from the list: the network (its own, or the host's), those joined
/// by path, a cgroup namespace; warnings for what the list asks that the steps do not do.
void apply_namespaces(const std::vector<OciNamespace>& namespaces, OciBundle& bundle) {
  ContainerSpec& spec = bundle.spec;
  spec.network.mode = "host";
  std::set<std::string> listed;
  for (const auto& ns : namespaces) {
    listed.insert(ns.type);
    if (ns.type == "time") bundle.warnings.push_back("linux.namespaces: time is not honoured yet; ignored");
    if (ns.type == "network") spec.network.mode = "none";  // its own, with a loopback only (or joined)
    if (ns.type == "cgroup" && ns.path.empty()) spec.cgroup_namespace = true;
    if (!ns.path.empty()) spec.joined_namespaces.push_back({ns.type, ns.path});
  }
  for (const auto& type : kAlwaysMade)
    if (!listed.count(type))
      bundle.warnings.push_back(
          fmt::format("linux.namespaces has no {}: not honoured, a new one is made anyway", type));
}

/// linux.uidMappings or linux.gidMappings.
std::vector<ch07::IdMapping> id_mappings(const json& list, const std::string& field) {
  if (!list.is_array()) bad(field, "must be a list");
  std::vector<ch07::IdMapping> out;
  for (size_t i = 0; i < list.size(); ++i) {
    std::string item = fmt::format("{}[{}]", field, i);
    for (const char* key : {"containerID", "hostID", "size"})
      if (!find(list[i], key)) bad(item + "." + key, "missing");
    out.push_back({number(list[i]["containerID"], item + ".containerID"), number(list[i]["hostID"], item + ".hostID"),
                   number(list[i]["size"], item + ".size")});
    if (out.back().count == 0) bad(item + ".size", "must not be 0");
  }
  return out;
}

/// runc's rules: a sysctl is allowed only where the container has its own namespace for it.
void check_sysctl(const OciBundle& bundle, const std::vector<OciNamespace>& namespaces, bool has_hostname) {
  auto listed = [&](const char* type) {
    return std::any_of(namespaces.begin(), namespaces.end(), [&](const OciNamespace& ns) { return ns.type == type; });
  };
  static const std::set<std::string> kIpc = {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
                                            "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};
  for (const auto& [key, value] : bundle.spec.sysctl) {
    std::string field = fmt::format("linux.sysctl[\"{}\"]", key);
    if (key.empty() || key.find("..") != std::string::npos || key.front() == '.' || key.front() == '/')
      bad(field, "not a sysctl name");
    if (kIpc.count(key) || key.rfind("fs.mqueue.", 0) == 0) {
      if (!listed("ipc")) bad(field, "not allowed in the host's IPC namespace (linux.namespaces has no ipc)");
    } else if (key.rfind("net.", 0) == 0) {
      if (!listed("network")) bad(field, "not allowed in the host's network namespace (linux.namespaces has no network)");
    } else if (key == "kernel.hostname" || key == "kernel.domainname") {
      if (!listed("uts")) bad(field, "not allowed in the host's UTS namespace (linux.namespaces has no uts)");
      if (has_hostname) bad(field, "conflicts with the hostname and domainname fields; set those instead");
    } else {
      bad(field, "not in a separate kernel namespace: it would change the host");
    }
  }
}

void read_resources(const json& resources, OciBundle& bundle) {
  warn_unknown(resources, "linux.resources.", {"memory", "cpu", "pids", "blockIO", "devices", "unified"}, bundle.warnings);
  if (const json* unified = find(resources, "unified")) {
    if (!unified->is_object()) bad("linux.resources.unified", "must be an object of strings");
    for (const auto& [key, value] : unified->items()) {
      std::string field = fmt::format("linux.resources.unified[\"{}\"]", key);
      if (key.empty() || key.find('/') != std::string::npos || key.front() == '.') bad(field, "not a cgroup file name");
      bundle.spec.resources.unified.emplace_back(key, text(value, field));
    }
  }
  Resources& limits = bundle.spec.resources;
  if (const json* devices = find(resources, "devices")) {
    // runc spec's default denies every device: chapter 03's /dev holds only the harmless ones.
    bool deny_all_only = devices->is_array() && devices->size() == 1 && !(*devices)[0].value("allow", true);
    if (!deny_all_only) bundle.warnings.push_back("linux.resources.devices (device cgroup rules) is not honoured yet; ignored");
  }
  if (const json* memory = find(resources, "memory")) {
    warn_unknown(*memory, "linux.resources.memory.", {"limit", "swap", "reservation", "swappiness", "disableOOMKiller"}, bundle.warnings);
    if (const json* v = find(*memory, "limit")) limits.memory = signed_number(*v, "linux.resources.memory.limit");
    if (const json* v = find(*memory, "swap")) limits.memory_swap = signed_number(*v, "linux.resources.memory.swap");
    if (const json* v = find(*memory, "reservation"))
      limits.memory_reservation = signed_number(*v, "linux.resources.memory.reservation");
    if (const json* v = find(*memory, "swappiness")) {
      std::uint64_t swappiness = number(*v, "linux.resources.memory.swappiness");
      if (swappiness > 100) bad("linux.resources.memory.swappiness", "must be 0 to 100");
      limits.memory_swappiness = static_cast<int>(swappiness);
    }
    if (const json* v = find(*memory, "disableOOMKiller"); v && v->is_boolean()) limits.oom_kill_disable = v->get<bool>();
  }
  if (const json* cpu = find(resources, "cpu")) {
    warn_unknown(*cpu, "linux.resources.cpu.", {"shares", "quota", "period", "cpus", "mems"}, bundle.warnings);
    if (const json* v = find(*cpu, "shares")) limits.cpu_shares = number(*v, "linux.resources.cpu.shares");
    if (const json* v = find(*cpu, "period")) limits.cpu_period = static_cast<std::int64_t>(number(*v, "linux.resources.cpu.period"));
    if (const json* v = find(*cpu, "quota")) limits.cpu_quota = signed_number(*v, "linux.resources.cpu.quota");
    if (const json* v = find(*cpu, "cpus")) limits.cpuset_cpus = text(*v, "linux.resources.cpu.cpus");
    if (const json* v = find(*cpu, "mems")) limits.cpuset_mems = text(*v, "linux.resources.cpu.mems");
  }
  if (const json* pids = find(resources, "pids"))
    if (const json* v = find(*pids, "limit")) limits.pids_limit = signed_number(*v, "linux.resources.pids.limit");
  if (const json* io = find(resources, "blockIO")) {
    warn_unknown(*io, "linux.resources.blockIO.", {"weight"}, bundle.warnings);
    if (const json* v = find(*io, "weight")) limits.blkio_weight = number(*v, "linux.resources.blockIO.weight");
  }
}

void read_devices(const json& devices, OciBundle& bundle) {
  if (!devices.is_array()) bad("linux.devices", "must be a list");
  for (size_t i = 0; i < devices.size(); ++i) {
    std::string field = fmt::format("linux.devices[{}]", i);
    const json& entry = devices[i];
    DeviceNode device;
    device.path = text(entry.value("path", json()), field + ".path");
    if (device.path.empty() || device.path.front() != '/' || device.path.find("..") != std::string::npos)
      bad(field + ".path", fmt::format("\"{}\" must be an absolute path", device.path));
    std::string type = text(entry.value("type", json()), field + ".type");
    static const std::map<std::string, mode_t> kTypes = {{"c", S_IFCHR}, {"u", S_IFCHR}, {"b", S_IFBLK}, {"p", S_IFIFO}};
    auto kind = kTypes.find(type);
    if (kind == kTypes.end()) bad(field + ".type", fmt::format("unknown device type \"{}\" (c, u, b or p)", type));
    std::uint64_t major = 0, minor = 0;
    if (type != "p") {
      if (!find(entry, "major") || !find(entry, "minor")) bad(field, "a c, u or b device needs major and minor");
      major = number(entry["major"], field + ".major");
      minor = number(entry["minor"], field + ".minor");
    }
    std::uint64_t mode = find(entry, "fileMode") ? number(entry["fileMode"], field + ".fileMode") : 0666;
    if (mode > 07777) bad(field + ".fileMode", "must be permission bits (at most 07777)");
    device.mode = kind->second | static_cast<mode_t>(mode);
    device.rdev = makedev(static_cast<unsigned>(major), static_cast<unsigned>(minor));
    if (const json* uid = find(entry, "uid")) device.uid = static_cast<uid_t>(number(*uid, field + ".uid"));
    if (const json* gid = find(entry, "gid")) device.gid = static_cast<gid_t>(number(*gid, field + ".gid"));
    bundle.spec.root.devices.push_back(device);
  }
}

void read_linux(const json& linux, OciBundle& bundle, std::vector<OciNamespace>& namespace_list) {
  warn_unknown(linux, "linux.",
               {"namespaces", "resources", "seccomp", "maskedPaths", "readonlyPaths", "cgroupsPath", "uidMappings",
                "gidMappings", "sysctl", "devices"},
               bundle.warnings);
  if (const json* namespaces = find(linux, "namespaces")) {
    if (!namespaces->is_array()) bad("linux.namespaces", "must be a list");
    for (size_t i = 0; i < namespaces->size(); ++i) {
      std::string field = fmt::format("linux.namespaces[{}]", i);
      OciNamespace ns{text((*namespaces)[i].value("type", json()), field + ".type"), ""};
      if (const json* path = find((*namespaces)[i], "path")) ns.path = text(*path, field + ".path");
      static const std::set<std::string> kTypes = {"pid", "network", "ipc", "uts", "mount", "cgroup", "user", "time"};
      if (!kTypes.count(ns.type)) bad(field + ".type", fmt::format("unknown namespace type \"{}\"", ns.type));
      if (!ns.path.empty() && (ns.type == "pid" || ns.type == "mount" || ns.type == "user" || ns.type == "time"))
        bad(field + ".path", fmt::format("joining a {} namespace by path is not supported (dockling makes a new one "
                                         "when it creates the container); remove the path",
                                         ns.type));
      namespace_list.push_back(ns);
    }
  }
  const json* uids = find(linux, "uidMappings");
  const json* gids = find(linux, "gidMappings");
  bool user = std::any_of(namespace_list.begin(), namespace_list.end(),
                          [](const OciNamespace& ns) { return ns.type == "user"; });
  if (user && (!uids || !gids || uids->empty() || gids->empty()))
    bad("linux.uidMappings", "a user namespace (linux.namespaces) needs both uidMappings and gidMappings");
  if (!user && (uids || gids))
    bad(uids ? "linux.uidMappings" : "linux.gidMappings", "given, but linux.namespaces has no user namespace");
  UserNamespaceSpec& userns = bundle.spec.user_namespace;
  userns.mode = user ? "private" : "host";
  if (user) {
    userns.uid_map = id_mappings(*uids, "linux.uidMappings");
    userns.gid_map = id_mappings(*gids, "linux.gidMappings");
  }
  if (const json* sysctl = find(linux, "sysctl")) {
    if (!sysctl->is_object()) bad("linux.sysctl", "must be an object of strings");
    for (const auto& [key, value] : sysctl->items())
      bundle.spec.sysctl.emplace_back(key, text(value, fmt::format("linux.sysctl[\"{}\"]", key)));
  }
  if (const json* resources = find(linux, "resources")) read_resources(*resources, bundle);
  if (const json* devices = find(linux, "devices")) read_devices(*devices, bundle);
  SeccompSpec& seccomp = bundle.spec.process.seccomp;
  seccomp = SeccompSpec{false, std::nullopt, "config.json linux.seccomp"};  // none: unconfined, as runc
  if (const json* profile = find(linux, "seccomp")) {
    parse_seccomp_profile(*profile, seccomp.source);  // a bad one is refused now, naming the field
    seccomp.enabled = true;
    seccomp.profile = *profile;
  }
  RootSpec& root = bundle.spec.root;
  root.cgroups = "";  // a bundle mounts its cgroups where its mounts say (runc's way), not chapter 08
  root.masked_paths = find(linux, "maskedPaths") ? texts(linux["maskedPaths"], "linux.maskedPaths") : std::vector<std::string>{};
  root.readonly_paths = find(linux, "readonlyPaths") ? texts(linux["readonlyPaths"], "linux.readonlyPaths") : std::vector<std::string>{};
  if (find(linux, "cgroupsPath")) bundle.warnings.push_back("linux.cgroupsPath is not honoured; the cgroup is dockling/<id>");
}

}  // namespace

OciBundle parse_bundle(const json& config, const std::filesystem::path& dir) {
  if (!config.is_object()) bad("the top level", "must be an object");
  OciBundle bundle;
  warn_unknown(config, "", {"ociVersion", "root", "process", "hostname", "domainname", "mounts", "linux", "annotations", "hooks"},
               bundle.warnings);
  const json* root = find(config, "root");
  if (!root || !find(*root, "path")) bad("root.path", "missing");
  std::filesystem::path rootfs = text((*root)["path"], "root.path");
  bundle.spec.root.path = (rootfs.is_absolute() ? rootfs : std::filesystem::absolute(dir) / rootfs).lexically_normal();
  if (const json* readonly = find(*root, "readonly"); readonly && readonly->is_boolean() && readonly->get<bool>())
    bundle.spec.root.read_only = true;  // sealed after the bundle's mounts, which may create mount points
  const json* process = find(config, "process");
  if (!process) bad("process", "missing");
  read_process(*process, bundle);
  if (const json* hostname = find(config, "hostname")) bundle.spec.hostname = checked_name(*hostname, "hostname");
  if (const json* domainname = find(config, "domainname"))
    bundle.spec.domainname = checked_name(*domainname, "domainname");
  std::string bundle_dir = std::filesystem::absolute(dir).lexically_normal().string();
  if (bundle_dir.size() > 1 && bundle_dir.back() == '/') bundle_dir.pop_back();
  bundle.spec.bundle = bundle_dir;
  if (const json* annotations = find(config, "annotations"); annotations && annotations->is_object())
    bundle.spec.annotations = *annotations;
  if (const json* hooks = find(config, "hooks")) bundle.spec.hooks = parse_hooks(*hooks, bundle.warnings);
  if (const json* mounts = find(config, "mounts")) read_mounts(*mounts, dir, bundle);
  std::vector<OciNamespace> namespaces;
  if (const json* linux = find(config, "linux")) read_linux(*linux, bundle, namespaces);
  apply_namespaces(namespaces, bundle);
  check_sysctl(bundle, namespaces, find(config, "hostname") || find(config, "domainname"));
  return bundle;
}

ProcessSpec parse_process(const json& process, const std::string& source, std::vector<std::string>& warnings) {
  OciBundle bundle;
  try {
    read_process(process, bundle);
  } catch (const Error& e) {  // config.json's rules, the file's name
    std::string what = e.what();
    if (what.rfind("config.json: ", 0) == 0) what = source + ": " + what.substr(13);
    throw Error(what);
  }
  for (auto& warning : bundle.warnings) warnings.push_back(source + ": " + warning);
  return bundle.spec.process;
}

OciBundle read_bundle(const std::filesystem::path& dir) {
  std::filesystem::path file = dir / "config.json";
  std::ifstream in(file);
  if (!in) throw SysError("open", file.string(), errno);
  json config;
  try {
    config = json::parse(in);
  } catch (const json::parse_error& e) {
    throw Error(fmt::format("{}: not valid JSON: {}", file.string(), e.what()));
  }
  return parse_bundle(config, dir);
}

json default_spec() {
  json caps = json::array({"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"});
  return json{
      {"ociVersion", "1.0.2"},
      {"process",
       {{"terminal", false},
        {"user", {{"uid", 0}, {"gid", 0}}},
        {"args", {"sh"}},
        {"env", {std::string("PATH=") + kDefaultPath, "TERM=xterm"}},
        {"cwd", "/"},
        {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}, {"ambient", caps}}},
        {"rlimits", json::array({{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}})},
        {"noNewPrivileges", true}}},
      {"root", {{"path", "rootfs"}, {"readonly", true}}},
      {"hostname", "dockling"},
      {"mounts",
       json::array({{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
                    {{"destination", "/dev"}, {"type", "tmpfs"}, {"source", "tmpfs"},
                     {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
                    {{"destination", "/dev/pts"}, {"type", "devpts"}, {"source", "devpts"},
                     {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}}},
                    {{"destination", "/dev/shm"}, {"type", "tmpfs"}, {"source", "shm"},
                     {"options", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}}},
                    {{"destination", "/dev/mqueue"}, {"type", "mqueue"}, {"source", "mqueue"},
                     {"options", {"nosuid", "noexec", "nodev"}}},
                    {{"destination", "/sys"}, {"type", "sysfs"}, {"source", "sysfs"},
                     {"options", {"nosuid", "noexec", "nodev", "ro"}}}})},
      {"linux",
       {{"resources", {{"devices", json::array({{{"allow", false}, {"access", "rwm"}}})}}},
        {"namespaces", json::array({{{"type", "pid"}}, {{"type", "network"}}, {{"type", "ipc"}}, {{"type", "uts"}},
                                    {{"type", "mount"}}})},
        {"maskedPaths", ch03::kMaskedPaths},
        {"readonlyPaths", ch03::kReadOnlyPaths}}},
  };
}

}  // namespace dockling::ch09
