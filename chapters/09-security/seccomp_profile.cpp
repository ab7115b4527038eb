#include "seccomp_profile.hpp"

#include <linux/capability.h>

#include <cerrno>
#include <fstream>
#include <map>

#include <fmt/format.h>

#include "dockling/error.hpp"

namespace dockling::ch09 {

namespace {

using nlohmann::json;

// Docker's allow list: what an ordinary program needs, and nothing that reaches outside the
// container (no mount, no module loading, no keyring, no clock setting, no reboot).
const char* const kAllowed[] = {
    "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "capget", "capset", "chdir", "chmod",
    "chown", "chown32", "clock_adjtime", "clock_adjtime64", "clock_getres", "clock_getres_time64",
    "clock_gettime", "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64", "close", "close_range",
    "connect", "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl",
    "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2",
    "execve", "execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64", "fadvise64_64",
    "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchown", "fchown32", "fchownat", "fcntl",
    "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr", "fstat",
    "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex",
    "futex_time64", "futex_waitv", "futimesat", "getcpu", "getcwd", "getdents", "getdents64", "getegid",
    "getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32", "getitimer",
    "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority", "getrandom", "getresgid",
    "getresgid32", "getresuid", "getresuid32", "getrlimit", "get_robust_list", "getrusage", "getsid",
    "getsockname", "getsockopt", "get_thread_area", "gettid", "gettimeofday", "getuid", "getuid32",
    "getxattr", "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel", "ioctl",
    "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64", "ioprio_get", "ioprio_set",
    "io_setup", "io_submit", "ipc", "kill", "landlock_add_rule", "landlock_create_ruleset",
    "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link", "linkat", "listen", "listxattr",
    "llistxattr", "_llseek", "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64", "madvise", "membarrier",
    "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat", "mlock", "mlock2",
    "mlockall", "mmap", "mmap2", "mprotect", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
    "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink", "mremap", "msgctl",
    "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall", "munmap", "name_to_handle_at",
    "nanosleep", "newfstatat", "_newselect", "open", "openat", "openat2", "pause", "pidfd_open",
    "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll",
    "ppoll_time64", "prctl", "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease", "pselect6",
    "pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink", "readlinkat",
    "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr",
    "rename", "renameat", "renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending",
    "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
    "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr", "sched_getparam",
    "sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler", "sched_rr_get_interval",
    "sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr", "sched_setparam",
    "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl", "semget", "semop", "semtimedop",
    "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto", "setfsgid",
    "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32", "setitimer",
    "setpgid", "setpriority", "setregid", "setregid32", "setresgid", "setresgid32", "setresuid",
    "setresuid32", "setreuid", "setreuid32", "setrlimit", "set_robust_list", "setsid", "setsockopt",
    "set_thread_area", "set_tid_address", "setuid", "setuid32", "setxattr", "shmat", "shmctl", "shmdt",
    "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4", "sigprocmask", "sigreturn", "socketcall",
    "socketpair", "splice", "stat", "stat64", "statfs", "statfs64", "statx", "symlink", "symlinkat", "sync",
    "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create", "timer_delete",
    "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64",
    "timerfd_create", "timerfd_gettime", "timerfd_gettime64", "timerfd_settime", "timerfd_settime64",
    "times", "tkill", "truncate", "truncate64", "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "utime",
    "utimensat", "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write",
    "writev", "process_vm_readv", "process_vm_writev", "ptrace", "arch_prctl", "modify_ldt",
};

// The clone(2) flags that make a namespace: CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC |
// NEWUSER | NEWPID | NEWNET. clone without them is an ordinary fork.
constexpr std::uint64_t kNamespaceFlags = 0x7E020000;

CapabilitySet cap(unsigned number) { return CapabilitySet{1} << number; }

SeccompRule allow(std::vector<std::string> names, CapabilitySet only_with = 0) {
  SeccompRule rule;
  rule.names = std::move(names);
  rule.include_caps = only_with;
  return rule;
}

/// "where": the field a message names, like `syscalls[2].action`.
[[noreturn]] void bad(const std::string& source, const std::string& where, const std::string& what) {
  throw Error(fmt::format("seccomp profile {}: {}: {}", source, where, what));
}

std::uint32_t parse_action(const json& value, std::optional<int> errno_ret, const std::string& source,
                           const std::string& where) {
  if (!value.is_string()) bad(source, where, "must be a string like \"SCMP_ACT_ALLOW\"");
  std::string name = value.get<std::string>();
  int error = errno_ret.value_or(EPERM);
  if (name == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(static_cast<std::uint16_t>(error));
  if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL_THREAD;
  if (name == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (name == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (name == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(static_cast<std::uint16_t>(error));
  if (name == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  bad(source, where, fmt::format("unknown action \"{}\"", name));
}

scmp_compare parse_operator(const json& value, const std::string& source, const std::string& where) {
  static const std::map<std::string, scmp_compare> kOperators = {
      {"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT}, {"SCMP_CMP_LE", SCMP_CMP_LE},
      {"SCMP_CMP_EQ", SCMP_CMP_EQ}, {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
      {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ}};
  if (value.is_string()) {
    auto found = kOperators.find(value.get<std::string>());
    if (found != kOperators.end()) return found->second;
  }
  bad(source, where, fmt::format("unknown operator {}", value.dump()));
}

/// "SCMP_ARCH_X86_64" (docker) or "amd64" (the arches of includes/excludes).
std::uint32_t parse_arch(const json& value, const std::string& source, const std::string& where) {
  static const std::map<std::string, std::string> kGoNames = {
      {"amd64", "x86_64"}, {"386", "x86"}, {"x86", "x86"}, {"x32", "x32"}, {"arm64", "aarch64"}, {"arm", "arm"},
      {"ppc64le", "ppc64le"}, {"s390x", "s390x"}, {"s390", "s390"}, {"riscv64", "riscv64"}};
  if (!value.is_string()) bad(source, where, "must be a string");
  std::string name = value.get<std::string>();
  std::string libseccomp_name;
  if (name.rfind("SCMP_ARCH_", 0) == 0) {
    libseccomp_name = name.substr(10);
    for (auto& c : libseccomp_name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  } else if (auto found = kGoNames.find(name); found != kGoNames.end()) {
    libseccomp_name = found->second;
  } else {
    libseccomp_name = name;
  }
  std::uint32_t token = seccomp_arch_resolve_name(libseccomp_name.c_str());
  if (token == 0) bad(source, where, fmt::format("unknown architecture \"{}\"", name));
  return token;
}

std::optional<int> parse_errno(const json& object, const char* key, const std::string& source,
                               const std::string& where) {
  if (!object.contains(key)) return std::nullopt;
  const json& value = object.at(key);
  if (!value.is_number_integer() || value.get<std::int64_t>() < 0 || value.get<std::int64_t>() > 4095)
    bad(source, where + "." + key, "must be an errno number between 0 and 4095");
  return value.get<int>();
}

std::vector<std::string> string_list(const json& value, const std::string& source, const std::string& where) {
  std::vector<std::string> list;
  if (value.is_null()) return list;
  if (!value.is_array()) bad(source, where, "must be a list of strings");
  for (const auto& item : value) {
    if (!item.is_string()) bad(source, where, "must be a list of strings");
    list.push_back(item.get<std::string>());
  }
  return list;
}

CapabilitySet parse_caps(const json& value, const std::string& source, const std::string& where) {
  CapabilitySet set = 0;
  for (const auto& name : string_list(value, source, where)) {
    try {
      set |= cap(capability_number(name));
    } catch (const Error& e) {
      bad(source, where, e.what());
    }
  }
  return set;
}

/// includes / excludes: {"caps": [...], "arches": [...], "minKernel": "4.8"}.
void parse_filter(const json& value, CapabilitySet& caps, std::vector<std::uint32_t>& arches,
                  const std::string& source, const std::string& where) {
  if (value.is_null()) return;
  if (!value.is_object()) bad(source, where, "must be an object");
  for (const auto& [key, item] : value.items()) {
    if (key == "caps") caps = parse_caps(item, source, where + ".caps");
    else if (key == "arches")
      for (const auto& arch : string_list(item, source, where + ".arches"))
        arches.push_back(parse_arch(json(arch), source, where + ".arches"));
    else if (key == "minKernel") continue;  // every kernel this course runs on is newer than docker's checks
    else bad(source, where, fmt::format("unknown field \"{}\"", key));
  }
}

}  // namespace

SeccompProfile default_seccomp_profile() {
  SeccompProfile profile;
  profile.default_action = SCMP_ACT_ERRNO(EPERM);
  profile.rules.push_back(allow({std::begin(kAllowed), std::end(kAllowed)}));

  // socket(2) for every family but AF_VSOCK (40), which reaches the host's hypervisor.
  SeccompRule socket = allow({"socket"});
  socket.args.push_back({0, 40, 0, SCMP_CMP_NE});
  profile.rules.push_back(socket);
  // personality(2) only for the harmless personas (0, 8, 0x20000, 0x20008, 0xffffffff: query).
  for (std::uint64_t persona : {0x0ULL, 0x8ULL, 0x20000ULL, 0x20008ULL, 0xffffffffULL}) {
    SeccompRule rule = allow({"personality"});
    rule.args.push_back({0, persona, 0, SCMP_CMP_EQ});
    profile.rules.push_back(rule);
  }

  // What each extra capability unlocks.
  profile.rules.push_back(allow({"bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick",
                                 "lookup_dcookie", "mount", "mount_setattr", "move_mount", "open_tree",
                                 "perf_event_open", "quotactl", "quotactl_fd", "setdomainname", "sethostname",
                                 "setns", "syslog", "umount", "umount2", "unshare"},
                                cap(CAP_SYS_ADMIN)));
  // Without CAP_SYS_ADMIN: clone only without namespace flags; clone3 (whose flags sit in
  // memory, out of a filter's reach) says ENOSYS, so that the C library falls back to clone.
  SeccompRule clone = allow({"clone"});
  clone.args.push_back({0, kNamespaceFlags, 0, SCMP_CMP_MASKED_EQ});
  clone.exclude_caps = cap(CAP_SYS_ADMIN);
  profile.rules.push_back(clone);
  SeccompRule clone3;
  clone3.names = {"clone3"};
  clone3.action = SCMP_ACT_ERRNO(ENOSYS);
  clone3.exclude_caps = cap(CAP_SYS_ADMIN);
  profile.rules.push_back(clone3);

  profile.rules.push_back(allow({"open_by_handle_at"}, cap(CAP_DAC_READ_SEARCH)));
  profile.rules.push_back(allow({"reboot"}, cap(CAP_SYS_BOOT)));
  profile.rules.push_back(allow({"chroot"}, cap(CAP_SYS_CHROOT)));
  profile.rules.push_back(allow({"delete_module", "init_module", "finit_module"}, cap(CAP_SYS_MODULE)));
  profile.rules.push_back(allow({"acct"}, cap(CAP_SYS_PACCT)));
  profile.rules.push_back(allow({"kcmp", "pidfd_getfd", "process_madvise"}, cap(CAP_SYS_PTRACE)));
  profile.rules.push_back(allow({"iopl", "ioperm"}, cap(CAP_SYS_RAWIO)));
  profile.rules.push_back(allow({"settimeofday", "stime", "clock_settime", "clock_settime64"}, cap(CAP_SYS_TIME)));
  profile.rules.push_back(allow({"vhangup"}, cap(CAP_SYS_TTY_CONFIG)));
  profile.rules.push_back(allow({"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"},
                                cap(CAP_SYS_NICE)));
  profile.rules.push_back(allow({"syslog"}, cap(CAP_SYSLOG)));
  profile.rules.push_back(allow({"bpf"}, cap(CAP_BPF)));
  profile.rules.push_back(allow({"perf_event_open"}, cap(CAP_PERFMON)));
  // Never, whatever the capabilities: keyctl, add_key, request_key, kexec_load,
  // kexec_file_load, userfaultfd, io_uring_*, swapon, swapoff, pivot_root — they fall to the
  // default action.
  return profile;
}

SeccompProfile parse_seccomp_profile(const json& root, const std::string& source) {
  if (!root.is_object()) bad(source, "the top level", "must be an object");
  SeccompProfile profile;
  std::optional<int> default_errno = parse_errno(root, "defaultErrnoRet", source, "");
  if (!root.contains("defaultAction")) bad(source, "defaultAction", "missing");
  profile.default_action = parse_action(root.at("defaultAction"), default_errno, source, "defaultAction");

  if (root.contains("architectures"))
    for (const auto& arch : string_list(root.at("architectures"), source, "architectures"))
      profile.architectures.push_back(parse_arch(json(arch), source, "architectures"));
  if (root.contains("archMap") && !root.at("archMap").is_null()) {
    const json& map = root.at("archMap");
    if (!map.is_array()) bad(source, "archMap", "must be a list");
    for (size_t i = 0; i < map.size(); ++i) {
      std::string where = fmt::format("archMap[{}]", i);
      if (!map[i].is_object() || !map[i].contains("architecture")) bad(source, where, "needs \"architecture\"");
      profile.architectures.push_back(parse_arch(map[i].at("architecture"), source, where + ".architecture"));
      if (map[i].contains("subArchitectures"))
        for (const auto& sub : string_list(map[i].at("subArchitectures"), source, where + ".subArchitectures"))
          profile.architectures.push_back(parse_arch(json(sub), source, where + ".subArchitectures"));
    }
  }

  const json syscalls = root.value("syscalls", json::array());
  if (!syscalls.is_array() && !syscalls.is_null()) bad(source, "syscalls", "must be a list");
  for (size_t i = 0; i < syscalls.size(); ++i) {
    std::string where = fmt::format("syscalls[{}]", i);
    const json& entry = syscalls[i];
    if (!entry.is_object()) bad(source, where, "must be an object");
    SeccompRule rule;
    if (entry.contains("names")) rule.names = string_list(entry.at("names"), source, where + ".names");
    if (entry.contains("name") && entry.at("name").is_string()) rule.names.push_back(entry.at("name").get<std::string>());
    if (rule.names.empty()) bad(source, where + ".names", "missing or empty");
    if (!entry.contains("action")) bad(source, where + ".action", "missing");
    std::optional<int> errno_ret = parse_errno(entry, "errnoRet", source, where);
    rule.action = parse_action(entry.at("action"), errno_ret ? errno_ret : default_errno, source, where + ".action");
    if (entry.contains("args") && !entry.at("args").is_null()) {
      const json& args = entry.at("args");
      if (!args.is_array()) bad(source, where + ".args", "must be a list");
      for (size_t a = 0; a < args.size(); ++a) {
        std::string arg_where = fmt::format("{}.args[{}]", where, a);
        const json& arg = args[a];
        if (!arg.is_object()) bad(source, arg_where, "must be an object");
        SeccompArg condition;
        if (!arg.contains("index") || !arg.at("index").is_number_unsigned() || arg.at("index").get<unsigned>() > 5)
          bad(source, arg_where + ".index", "must be 0 to 5");
        condition.index = arg.at("index").get<unsigned>();
        if (!arg.contains("value") || !arg.at("value").is_number_unsigned())
          bad(source, arg_where + ".value", "must be an unsigned number");
        condition.value = arg.at("value").get<std::uint64_t>();
        if (arg.contains("valueTwo")) {
          if (!arg.at("valueTwo").is_number_unsigned()) bad(source, arg_where + ".valueTwo", "must be an unsigned number");
          condition.value_two = arg.at("valueTwo").get<std::uint64_t>();
        }
        if (!arg.contains("op")) bad(source, arg_where + ".op", "missing");
        condition.op = parse_operator(arg.at("op"), source, arg_where + ".op");
        rule.args.push_back(condition);
      }
    }
    if (entry.contains("includes")) parse_filter(entry.at("includes"), rule.include_caps, rule.include_arches, source, where + ".includes");
    if (entry.contains("excludes")) parse_filter(entry.at("excludes"), rule.exclude_caps, rule.exclude_arches, source, where + ".excludes");
    profile.rules.push_back(std::move(rule));
  }
  return profile;
}

json read_seccomp_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw SysError("open", path.string(), errno);
  try {
    return json::parse(in);
  } catch (const json::parse_error& e) {
    throw Error(fmt::format("seccomp profile {}: not valid JSON: {}", path.string(), e.what()));
  }
}

SeccompProfile read_seccomp_profile(const std::filesystem::path& path) {
  return parse_seccomp_profile(read_seccomp_json(path), path.string());
}

std::vector<SeccompRule> applicable_rules(const SeccompProfile& profile, CapabilitySet caps) {
  const std::uint32_t native = seccomp_arch_native();
  std::vector<SeccompRule> rules;
  for (const auto& rule : profile.rules) {
    if ((caps & rule.include_caps) != rule.include_caps) continue;
    if (caps & rule.exclude_caps) continue;
    if (!rule.include_arches.empty() &&
        std::find(rule.include_arches.begin(), rule.include_arches.end(), native) == rule.include_arches.end())
      continue;
    if (std::find(rule.exclude_arches.begin(), rule.exclude_arches.end(), native) != rule.exclude_arches.end()) continue;
    rules.push_back(rule);
  }
  return rules;
}

}  // namespace dockling::ch09
