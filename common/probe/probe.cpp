/// @file probe.cpp
/// @brief The probe: prints, as one JSON object, what a process can see.
///
/// The course's tests run this program inside the containers that each
/// chapter builds and assert on its output: its PID and user IDs, its
/// namespaces, capabilities, mounts, network interfaces, resource limits and
/// so on. It is linked fully static so that it runs inside a bare busybox
/// root filesystem with no shared libraries.
///
/// Usage:
///   probe [report]        print what this process sees (the default)
///   probe escape MARKER   try the classic chroot escape, report if MARKER is
///                         visible afterwards
///   probe ipc KEY [/MQ]   report whether a SysV message queue and shared-memory
///                         segment with KEY (and the POSIX message queue /MQ)
///                         exist in this IPC namespace
///   probe ipc-create KEY [/MQ]  create them (they stay after the probe exits),
///                         then report as `probe ipc` does
///   probe orphan MS       leave behind an orphan process that ends after MS
///                         milliseconds (for the tests of an init that must reap it)
///   probe hog MIB         allocate MIB mebibytes and touch every page (memory limits)
///   probe spin SECONDS    keep one CPU busy for SECONDS of wall-clock time (CPU limits)
///   probe fork N          start N processes that stay alive together (process limits)
///   probe udp-echo PORT   serve UDP on PORT: print {"udp_echo": PORT} once
///                         bound, then send every datagram back prefixed with
///                         "echo:", until SIGTERM or SIGINT
///   probe keyctl          try to create a key in the kernel keyring (seccomp blocks it)
///   probe fds             list the open file descriptors and where they lead
///
/// Output contract: exactly one JSON object followed by a newline on stdout.
/// The keys are stable; information that is unavailable (for instance because
/// /proc is not mounted) is reported as null, never as an error.
///
/// To add a subcommand, write a `int cmd_NAME(Args)` function and add it to
/// the kCommands table at the bottom of the file.

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <csignal>
#include <charconv>
#include <cstdlib>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <ctime>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/capability.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/prctl.h>
#include <mqueue.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

// ===========================================================================
// JSON writer
// ===========================================================================

/// Returns the length of the valid UTF-8 sequence starting at s[i], or 0 if
/// the bytes there are not valid UTF-8 (overlong forms and surrogates
/// included). Hostnames and environment variables are arbitrary bytes, and
/// the output must stay valid JSON, which is UTF-8.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  std::size_t length = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) lo = 0xA0;  // overlong
    if (lead == 0xED) hi = 0x9F;  // UTF-16 surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) lo = 0x90;  // overlong
    if (lead == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (i + length > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return length;
}

/// A minimal streaming JSON writer producing compact output. It inserts the
/// commas itself, so callers only say what comes next.
class JsonWriter {
 public:
  JsonWriter& begin_object() { return open('{'); }
  JsonWriter& end_object() { return close('}'); }
  JsonWriter& begin_array() { return open('['); }
  JsonWriter& end_array() { return close(']'); }

  JsonWriter& key(std::string_view name) {
    separate();
    write_string(name);
    out_ += ':';
    after_key_ = true;
    return *this;
  }

  JsonWriter& string(std::string_view value) {
    separate();
    write_string(value);
    return *this;
  }

  JsonWriter& integer(std::int64_t value) {
    separate();
    out_ += std::to_string(value);
    return *this;
  }

  JsonWriter& boolean(bool value) {
    separate();
    out_ += value ? "true" : "false";
    return *this;
  }

  JsonWriter& null() {
    separate();
    out_ += "null";
    return *this;
  }

  JsonWriter& string_or_null(const std::optional<std::string>& value) {
    return value ? string(*value) : null();
  }

  JsonWriter& integer_or_null(std::optional<std::int64_t> value) {
    return value ? integer(*value) : null();
  }

  JsonWriter& string_array(const std::vector<std::string>& values) {
    begin_array();
    for (const auto& value : values) string(value);
    return end_array();
  }

  const std::string& str() const { return out_; }

 private:
  JsonWriter& open(char bracket) {
    separate();
    out_ += bracket;
    first_.push_back(true);
    return *this;
  }

  JsonWriter& close(char bracket) {
    first_.pop_back();
    out_ += bracket;
    return *this;
  }

  // Emits the comma between two elements; a value right after a key needs none.
  void separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (first_.empty()) return;
    if (!first_.back()) out_ += ',';
    first_.back() = false;
  }

  void write_string(std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    out_ += '"';
    for (std::size_t i = 0; i < s.size();) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c == '"' || c == '\\') {
        out_ += '\\';
        out_ += static_cast<char>(c);
        ++i;
      } else if (c < 0x20) {
        out_ += "\\u00";
        out_ += kHex[c >> 4];
        out_ += kHex[c & 0xF];
        ++i;
      } else if (const std::size_t n = utf8_sequence_length(s, i); n > 0) {
        out_.append(s.substr(i, n));
        i += n;
      } else {
        out_ += "\\ufffd";  // invalid byte: replacement character
        ++i;
      }
    }
    out_ += '"';
  }

  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

/// Prints the finished document: one JSON value and a newline.
int print_json(const JsonWriter& w) {
  std::fputs(w.str().c_str(), stdout);
  std::fputc('\n', stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

// ===========================================================================
// Small helpers
// ===========================================================================

/// Joins the pieces into one string. (Preferred over "literal" + std::string,
/// which trips a GCC 12 -Wrestrict false positive at -O3.)
std::string concat(std::initializer_list<std::string_view> parts) {
  std::string result;
  for (const auto part : parts) result += part;
  return result;
}

/// Reads a whole file. /proc files report size 0, so read until EOF.
std::optional<std::string> read_file(const char* path) {
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string content;
  char buffer[4096];
  for (;;) {
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    content.append(buffer, static_cast<std::size_t>(n));
  }
  close(fd);
  return content;
}

/// Splits text into lines, without the newlines; no trailing empty line.
std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    lines.emplace_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

/// Splits on runs of spaces and tabs.
std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
  return fields;
}

template <typename T>
std::optional<T> parse_number(std::string_view text, int base = 10) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

/// "call("arg"): strerror(errno)" — names the step that failed.
std::string call_error(std::string_view call, std::string_view arg) {
  const int saved = errno;
  std::string message(call);
  message += "(\"";
  message += arg;
  message += "\"): ";
  message += std::strerror(saved);
  return message;
}

/// The "Key:\tvalue" lines of /proc/self/status, or nullopt without /proc.
using ProcStatus = std::optional<std::map<std::string, std::string, std::less<>>>;

ProcStatus read_proc_status() {
  const auto text = read_file("/proc/self/status");
  if (!text) return std::nullopt;
  std::map<std::string, std::string, std::less<>> fields;
  for (const auto& line : split_lines(*text)) {
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string_view value = std::string_view(line).substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    fields.emplace(line.substr(0, colon), value);
  }
  return fields;
}

std::optional<std::string> status_field(const ProcStatus& status, std::string_view key) {
  if (!status) return std::nullopt;
  const auto it = status->find(key);
  if (it == status->end()) return std::nullopt;
  return it->second;
}

// ===========================================================================
// report: one function per group of keys
// ===========================================================================

void report_ids(JsonWriter& w) {
  w.key("pid").integer(getpid());
  w.key("ppid").integer(getppid());
  w.key("uid").integer(getuid());
  w.key("euid").integer(geteuid());
  w.key("gid").integer(getgid());
  w.key("egid").integer(getegid());

  w.key("groups").begin_array();
  const int count = getgroups(0, nullptr);
  if (count > 0) {
    std::vector<gid_t> groups(static_cast<std::size_t>(count));
    const int got = getgroups(count, groups.data());
    for (int i = 0; i < got; ++i) w.integer(groups[static_cast<std::size_t>(i)]);
  }
  w.end_array();
}

/// A /proc/self/{uid,gid}_map as [[inside, outside, count], ...]. In a fresh
/// user namespace the file exists but is empty until a map is written.
void write_id_map(JsonWriter& w, const char* path) {
  const auto text = read_file(path);
  if (!text) {
    w.null();
    return;
  }
  w.begin_array();
  for (const auto& line : split_lines(*text)) {
    const auto fields = split_fields(line);
    if (fields.size() != 3) continue;
    w.begin_array();
    for (const auto field : fields) w.integer_or_null(parse_number<std::int64_t>(field));
    w.end_array();
  }
  w.end_array();
}

void report_id_maps(JsonWriter& w) {
  w.key("uid_map");
  write_id_map(w, "/proc/self/uid_map");
  w.key("gid_map");
  write_id_map(w, "/proc/self/gid_map");
}

/// uname(2) reads the UTS namespace directly, so this works without /proc.
void report_uts(JsonWriter& w) {
  utsname names{};
  if (uname(&names) != 0) {
    w.key("hostname").null();
    w.key("domainname").null();
    return;
  }
  w.key("hostname").string(names.nodename);
  w.key("domainname").string(names.domainname);
}

void report_cwd(JsonWriter& w) {
  std::vector<char> buffer(PATH_MAX + 1);
  // getcwd fails (ENOENT) when the cwd lies outside our root, e.g. after chroot.
  if (getcwd(buffer.data(), buffer.size()) != nullptr) {
    w.key("cwd").string(buffer.data());
  } else {
    w.key("cwd").null();
  }
}

/// Each namespace is identified by the inode of its /proc/self/ns link target:
/// two processes share a namespace exactly when these numbers match.
void report_namespaces(JsonWriter& w) {
  static constexpr std::array kNamespaces = {
      "cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time", "user", "uts",
  };
  w.key("ns").begin_object();
  for (const char* name : kNamespaces) {
    const std::string path = concat({"/proc/self/ns/", name});
    struct stat st {};
    w.key(name);
    if (stat(path.c_str(), &st) == 0) {
      w.integer(static_cast<std::int64_t>(st.st_ino));
    } else {
      w.null();
    }
  }
  w.end_object();
}

// --- capabilities ----------------------------------------------------------

/// Names of capability bits 0..40, in bit order (linux/capability.h).
constexpr std::array<std::string_view, 41> kCapabilityNames = {
    /*  0 */ "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
    /*  4 */ "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID",
    /*  8 */ "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
    /* 12 */ "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
    /* 16 */ "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
    /* 20 */ "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
    /* 24 */ "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
    /* 28 */ "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
    /* 32 */ "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
    /* 36 */ "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
    /* 40 */ "CAP_CHECKPOINT_RESTORE",
};

std::string capability_name(unsigned bit) {
  if (bit < kCapabilityNames.size()) return std::string(kCapabilityNames[bit]);
  return concat({"CAP_", std::to_string(bit)});  // newer than this table
}

void write_capability_set(JsonWriter& w, std::optional<std::uint64_t> mask) {
  if (!mask) {
    w.null();
    return;
  }
  w.begin_array();
  for (unsigned bit = 0; bit < 64; ++bit) {
    if ((*mask >> bit) & 1U) w.string(capability_name(bit));
  }
  w.end_array();
}

struct CapabilitySets {
  std::optional<std::uint64_t> inheritable, permitted, effective, bounding, ambient;
};

CapabilitySets capabilities_from_status(const ProcStatus& status) {
  const auto hex = [&](std::string_view key) -> std::optional<std::uint64_t> {
    const auto value = status_field(status, key);
    return value ? parse_number<std::uint64_t>(*value, 16) : std::nullopt;
  };
  return {hex("CapInh"), hex("CapPrm"), hex("CapEff"), hex("CapBnd"), hex("CapAmb")};
}

/// Without /proc, capget(2) still gives the first three sets. glibc has no
/// wrapper (that lives in libcap), so call the system call directly.
CapabilitySets capabilities_from_capget() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  std::array<__user_cap_data_struct, _LINUX_CAPABILITY_U32S_3> data{};
  if (syscall(SYS_capget, &header, data.data()) != 0) return {};
  const auto join = [](std::uint32_t low, std::uint32_t high) {
    return std::uint64_t{low} | (std::uint64_t{high} << 32);
  };
  return {join(data[0].inheritable, data[1].inheritable),
          join(data[0].permitted, data[1].permitted),
          join(data[0].effective, data[1].effective), std::nullopt, std::nullopt};
}

void report_capabilities(JsonWriter& w, const ProcStatus& status) {
  const CapabilitySets caps =
      status ? capabilities_from_status(status) : capabilities_from_capget();
  w.key("caps").begin_object();
  w.key("inheritable");
  write_capability_set(w, caps.inheritable);
  w.key("permitted");
  write_capability_set(w, caps.permitted);
  w.key("effective");
  write_capability_set(w, caps.effective);
  w.key("bounding");
  write_capability_set(w, caps.bounding);
  w.key("ambient");
  write_capability_set(w, caps.ambient);
  w.end_object();
}

// --- other security state ----------------------------------------------------

/// The seccomp mode comes from /proc only: prctl(PR_GET_SECCOMP) is itself a
/// system call that a strict-mode filter would answer with SIGKILL.
void report_security(JsonWriter& w, const ProcStatus& status) {
  const int no_new_privs = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
  w.key("no_new_privs");
  if (no_new_privs < 0) {
    w.null();
  } else {
    w.boolean(no_new_privs == 1);
  }

  const auto seccomp = status_field(status, "Seccomp");
  w.key("seccomp").integer_or_null(seccomp ? parse_number<std::int64_t>(*seccomp) : std::nullopt);
}

void report_cgroup(JsonWriter& w) {
  const auto text = read_file("/proc/self/cgroup");
  w.key("cgroup");
  if (text) {
    w.string_array(split_lines(*text));
  } else {
    w.null();
  }
}

// --- mounts ------------------------------------------------------------------

/// /proc/self/mounts writes space, tab, newline and backslash in paths as
/// three-digit octal escapes (\040 for a space); undo that.
std::string decode_mount_path(std::string_view field) {
  std::string path;
  for (std::size_t i = 0; i < field.size(); ++i) {
    const auto is_octal = [](char c) { return c >= '0' && c <= '7'; };
    if (field[i] == '\\' && i + 3 < field.size() && is_octal(field[i + 1]) &&
        is_octal(field[i + 2]) && is_octal(field[i + 3])) {
      path += static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 +
                                (field[i + 3] - '0'));
      i += 3;
    } else {
      path += field[i];
    }
  }
  return path;
}

void report_mounts(JsonWriter& w) {
  const auto text = read_file("/proc/self/mounts");
  if (!text) {
    w.key("mounts").null();
    w.key("mount_points").null();
    return;
  }
  const auto lines = split_lines(*text);
  w.key("mounts").integer(static_cast<std::int64_t>(lines.size()));
  w.key("mount_points").begin_array();
  for (const auto& line : lines) {
    const auto fields = split_fields(line);
    if (fields.size() >= 2) w.string(decode_mount_path(fields[1]));
  }
  w.end_array();
}

// --- network -------------------------------------------------------------------

struct Interface {
  std::string name;
  bool up = false;
  std::vector<std::string> addresses;
};

/// Prefix length of a netmask: the number of one bits in it.
int prefix_length(const unsigned char* mask, std::size_t size) {
  int bits = 0;
  for (std::size_t i = 0; i < size; ++i) bits += std::popcount(mask[i]);
  return bits;
}

/// "address/prefix" for IPv4 and IPv6; nullopt for other families (the
/// AF_PACKET entries that every interface has).
std::optional<std::string> format_address(const ifaddrs& entry) {
  char text[INET6_ADDRSTRLEN] = {};
  int prefix = -1;
  if (entry.ifa_addr->sa_family == AF_INET) {
    sockaddr_in address{};
    std::memcpy(&address, entry.ifa_addr, sizeof address);
    inet_ntop(AF_INET, &address.sin_addr, text, sizeof text);
    if (entry.ifa_netmask != nullptr) {
      sockaddr_in mask{};
      std::memcpy(&mask, entry.ifa_netmask, sizeof mask);
      prefix = prefix_length(reinterpret_cast<const unsigned char*>(&mask.sin_addr), 4);
    }
  } else if (entry.ifa_addr->sa_family == AF_INET6) {
    sockaddr_in6 address{};
    std::memcpy(&address, entry.ifa_addr, sizeof address);
    inet_ntop(AF_INET6, &address.sin6_addr, text, sizeof text);
    if (entry.ifa_netmask != nullptr) {
      sockaddr_in6 mask{};
      std::memcpy(&mask, entry.ifa_netmask, sizeof mask);
      prefix = prefix_length(mask.sin6_addr.s6_addr, 16);
    }
  } else {
    return std::nullopt;
  }
  std::string result = text;
  if (prefix >= 0) result = concat({result, "/", std::to_string(prefix)});
  return result;
}

/// getifaddrs(3) lists one entry per (interface, address); group them by
/// interface, keeping the kernel's order.
void report_interfaces(JsonWriter& w) {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) {
    w.key("interfaces").null();
    return;
  }
  std::vector<Interface> interfaces;
  for (const ifaddrs* entry = list; entry != nullptr; entry = entry->ifa_next) {
    auto it = std::find_if(interfaces.begin(), interfaces.end(),
                           [&](const Interface& i) { return i.name == entry->ifa_name; });
    if (it == interfaces.end()) {
      interfaces.push_back({entry->ifa_name, false, {}});
      it = interfaces.end() - 1;
    }
    it->up = it->up || (entry->ifa_flags & IFF_UP) != 0;
    if (entry->ifa_addr == nullptr) continue;
    if (auto address = format_address(*entry)) it->addresses.push_back(std::move(*address));
  }
  freeifaddrs(list);

  w.key("interfaces").begin_array();
  for (const auto& interface : interfaces) {
    w.begin_object();
    w.key("name").string(interface.name);
    w.key("up").boolean(interface.up);
    w.key("addresses").string_array(interface.addresses);
    w.end_object();
  }
  w.end_array();
}

// --- resources ---------------------------------------------------------------

std::int64_t rlimit_value(rlim_t value) {
  return value == RLIM_INFINITY ? -1 : static_cast<std::int64_t>(value);
}

void report_rlimits(JsonWriter& w) {
  struct Limit {
    const char* name;
    int resource;
  };
  static constexpr std::array<Limit, 15> kLimits = {{
      {"nofile", RLIMIT_NOFILE},
      {"nproc", RLIMIT_NPROC},
      {"core", RLIMIT_CORE},
      {"stack", RLIMIT_STACK},
      {"memlock", RLIMIT_MEMLOCK},
      {"as", RLIMIT_AS},
      {"fsize", RLIMIT_FSIZE},
      {"cpu", RLIMIT_CPU},
      {"data", RLIMIT_DATA},
      {"rss", RLIMIT_RSS},
      {"sigpending", RLIMIT_SIGPENDING},
      {"msgqueue", RLIMIT_MSGQUEUE},
      {"nice", RLIMIT_NICE},
      {"rtprio", RLIMIT_RTPRIO},
      {"locks", RLIMIT_LOCKS},
  }};
  w.key("rlimits").begin_object();
  for (const auto& limit : kLimits) {
    rlimit value{};
    w.key(limit.name);
    if (getrlimit(limit.resource, &value) != 0) {
      w.null();
      continue;
    }
    w.begin_array().integer(rlimit_value(value.rlim_cur)).integer(rlimit_value(value.rlim_max));
    w.end_array();
  }
  w.end_object();
}

/// CPUs we may run on. The kernel rejects a mask smaller than its own
/// (EINVAL), so grow the mask until it fits.
void report_cpus(JsonWriter& w) {
  constexpr std::size_t kBitsPerWord = 8 * sizeof(unsigned long);
  for (std::size_t words = 16; words <= 16384; words *= 2) {
    std::vector<unsigned long> mask(words);
    const std::size_t bytes = words * sizeof(unsigned long);
    if (sched_getaffinity(0, bytes, reinterpret_cast<cpu_set_t*>(mask.data())) != 0) {
      if (errno == EINVAL) continue;
      break;
    }
    w.key("cpus_allowed").begin_array();
    for (std::size_t cpu = 0; cpu < words * kBitsPerWord; ++cpu) {
      if ((mask[cpu / kBitsPerWord] >> (cpu % kBitsPerWord)) & 1UL) {
        w.integer(static_cast<std::int64_t>(cpu));
      }
    }
    w.end_array();
    return;
  }
  w.key("cpus_allowed").null();
}

void report_env(JsonWriter& w) {
  w.key("env").begin_array();
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) w.string(*entry);
  w.end_array();
}

/// The names in directory `path` (without . and ..), sorted; nullopt if it cannot be read.
std::optional<std::vector<std::string>> sorted_entries(const char* path) {
  DIR* dir = opendir(path);
  if (dir == nullptr) return std::nullopt;
  std::vector<std::string> names;
  while (const dirent* entry = readdir(dir)) {
    const std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

/// What "/" contains tells which root filesystem we are in.
void report_root_entries(JsonWriter& w) {
  const auto names = sorted_entries("/");
  if (!names) {
    w.key("root_entries").null();
    return;
  }
  w.key("root_entries").string_array(*names);
}

using Args = std::span<char* const>;

int cmd_report(Args args) {
  if (!args.empty()) return 2;
  const ProcStatus status = read_proc_status();
  JsonWriter w;
  w.begin_object();
  report_ids(w);
  report_id_maps(w);
  report_uts(w);
  report_cwd(w);
  report_namespaces(w);
  report_capabilities(w, status);
  report_security(w, status);
  report_cgroup(w);
  report_mounts(w);
  report_interfaces(w);
  report_rlimits(w);
  report_cpus(w);
  report_env(w);
  report_root_entries(w);
  w.end_object();
  return print_json(w);
}

// ===========================================================================
// escape: chroot is not a jail
// ===========================================================================

/// 16 hex digits, so parallel runs never pick the same directory.
std::string random_hex() {
  std::uint64_t value = 0;
  if (getrandom(&value, sizeof value, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof value)) {
    constexpr std::uint64_t kGoldenRatio = 0x9E3779B97F4A7C15;  // spreads the pid bits
    value = (static_cast<std::uint64_t>(getpid()) * kGoldenRatio) ^
            static_cast<std::uint64_t>(std::time(nullptr));
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
  return text;
}

struct EscapeResult {
  bool escaped = false;
  std::optional<std::string> error;
};

/// The escape itself. chroot() changes the root but not the cwd, so a cwd
/// left outside the new root can walk up with ".." past it: ".." only stops
/// at the process's root, which the walk never meets. At the real root ".."
/// stays put, so enough steps always end there; chroot(".") makes it ours.
EscapeResult break_out(const std::string& jail, const char* marker) {
  if (chroot(jail.c_str()) != 0) return {false, call_error("chroot", jail)};
  for (int step = 0; step < 256; ++step) {
    if (chdir("..") != 0) return {false, call_error("chdir", "..")};
  }
  if (chroot(".") != 0) return {false, call_error("chroot", ".")};
  struct stat st {};
  return {stat(marker, &st) == 0, std::nullopt};
}

/// Creates the directory to chroot into and returns its path relative to
/// root_fd; falls back to /tmp when "/" is read-only.
std::optional<std::string> make_jail(std::string& error) {
  const std::string name = concat({".probe-escape-", random_hex()});
  for (const std::string& relative : {name, concat({"tmp/", name})}) {
    const std::string absolute = concat({"/", relative});
    if (mkdir(absolute.c_str(), 0700) == 0) return relative;
    error = call_error("mkdir", absolute);
  }
  return std::nullopt;
}

EscapeResult chroot_escape(const char* marker) {
  // The fd keeps a handle on the original root, so the jail directory can be
  // removed whatever root we end up with.
  const int root_fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) return {false, call_error("open", "/")};

  std::string error;
  const auto jail = make_jail(error);
  if (!jail) {
    close(root_fd);
    return {false, error};
  }
  EscapeResult result = break_out(concat({"/", *jail}), marker);
  unlinkat(root_fd, jail->c_str(), AT_REMOVEDIR);  // best effort: empty dir
  close(root_fd);
  return result;
}

int cmd_escape(Args args) {
  if (args.size() != 1) return 2;
  const char* marker = args[0];
  const EscapeResult result = chroot_escape(marker);
  JsonWriter w;
  w.begin_object();
  w.key("escaped").boolean(result.escaped);
  w.key("marker").string(marker);
  w.key("error").string_or_null(result.error);
  w.end_object();
  return print_json(w);
}

// ===========================================================================
// ipc: which System V and POSIX IPC objects this IPC namespace holds
// ===========================================================================

/// True when an object exists: the get call found it, or found it but refused us.
bool found(int id) { return id >= 0 || errno == EACCES; }

/// Writes {"key", "msg", "shm", "mqueue", "dev_mqueue", "error"}. "mqueue" is null when no
/// name was given; "dev_mqueue" lists /dev/mqueue, or is null when it cannot be read.
int report_ipc(key_t key, const char* mq_name, std::optional<std::string> error) {
  JsonWriter w;
  w.begin_object();
  w.key("key").integer(static_cast<std::uint32_t>(key));  // as ipcs(1) shows it, never negative
  w.key("msg").boolean(found(msgget(key, 0)));
  w.key("shm").boolean(found(shmget(key, 0, 0)));
  w.key("mqueue");
  if (mq_name == nullptr) {
    w.null();
  } else {
    const mqd_t queue = mq_open(mq_name, O_RDONLY);
    w.boolean(queue != static_cast<mqd_t>(-1) || errno == EACCES);
    if (queue != static_cast<mqd_t>(-1)) mq_close(queue);
  }
  w.key("dev_mqueue");
  if (const auto names = sorted_entries("/dev/mqueue")) {
    w.string_array(*names);
  } else {
    w.null();
  }
  w.key("error").string_or_null(error);
  w.end_object();
  return print_json(w) == 0 && !error ? 0 : 1;
}

/// KEY in decimal, or in hex with 0x as ipcs(1) prints it.
std::optional<key_t> parse_key(Args args) {
  if (args.empty() || args.size() > 2) return std::nullopt;
  const std::string_view text = args[0];
  const bool hex = text.starts_with("0x");
  const auto number = parse_number<std::uint32_t>(hex ? text.substr(2) : text, hex ? 16 : 10);
  const auto key = number ? std::optional<key_t>(static_cast<key_t>(*number)) : std::nullopt;
  if (!key || *key == IPC_PRIVATE) return std::nullopt;
  return key;
}

int cmd_ipc(Args args) {
  const auto key = parse_key(args);
  if (!key) return 2;
  return report_ipc(*key, args.size() == 2 ? args[1] : nullptr, std::nullopt);
}

int cmd_ipc_create(Args args) {
  const auto key = parse_key(args);
  if (!key) return 2;
  const std::string key_text = args[0];
  std::optional<std::string> error;
  if (msgget(*key, IPC_CREAT | 0600) < 0) {
    error = call_error("msgget", key_text);
  } else if (shmget(*key, 4096, IPC_CREAT | 0600) < 0) {
    error = call_error("shmget", key_text);
  } else if (args.size() == 2) {
    const mqd_t queue = mq_open(args[1], O_RDONLY | O_CREAT, 0600, nullptr);
    if (queue == static_cast<mqd_t>(-1)) {
      error = call_error("mq_open", args[1]);
    } else {
      mq_close(queue);
    }
  }
  return report_ipc(*key, args.size() == 2 ? args[1] : nullptr, error);
}

// ===========================================================================
// orphan: a child whose parent is gone, for the init (PID 1) to adopt and reap
// ===========================================================================

/// Forks a middle process that forks the orphan and ends at once: the orphan's
/// parent is gone, so the kernel hands it to the nearest child subreaper or to
/// PID 1 of its PID namespace. The orphan closes stdio (it must not hold the
/// caller's pipes open), sleeps, and ends: then it is a zombie until its new
/// parent reaps it. Prints {"orphan": PID}, its pid as seen from here.
/// An error of the orphan command: says what failed on stderr, exit status 1.
int orphan_failed(const std::string& message) {
  std::fprintf(stderr, "probe orphan: %s\n", message.c_str());
  return 1;
}

int cmd_orphan(Args args) {
  if (args.size() != 1) return 2;
  const auto milliseconds = parse_number<long>(args[0]);
  if (!milliseconds || *milliseconds < 0) return 2;
  int fds[2];
  if (pipe(fds) != 0) return orphan_failed(call_error("pipe", ""));
  const pid_t middle = fork();
  if (middle < 0) return orphan_failed(call_error("fork", ""));
  if (middle == 0) {
    const pid_t orphan = fork();
    if (orphan == 0) {
      for (int fd = 0; fd <= 2; ++fd) close(fd);
      const timespec pause{*milliseconds / 1000, (*milliseconds % 1000) * 1000000};
      nanosleep(&pause, nullptr);
      _exit(0);
    }
    [[maybe_unused]] const ssize_t n = write(fds[1], &orphan, sizeof orphan);
    _exit(orphan > 0 ? 0 : 1);
  }
  close(fds[1]);
  pid_t orphan = -1;
  const bool got = read(fds[0], &orphan, sizeof orphan) == static_cast<ssize_t>(sizeof orphan);
  close(fds[0]);
  waitpid(middle, nullptr, 0);
  if (!got || orphan <= 0) return orphan_failed("fork of the orphan failed");
  JsonWriter w;
  w.begin_object();
  w.key("orphan").integer(orphan);
  w.end_object();
  return print_json(w);
}

// ===========================================================================
// hog and spin: load for resource limits
// ===========================================================================

/// Parses a non-negative decimal count, or nullopt.
std::optional<std::int64_t> parse_count(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

/// Allocates MIB mebibytes one at a time and writes to every page, so that the memory is
/// really charged (an untouched malloc costs nothing). Prints how far it got each MiB on
/// stderr, then the total as JSON; under a memory limit the OOM killer ends it first.
int cmd_hog(Args args) {
  if (args.size() != 1) return 2;
  const auto mebibytes = parse_count(args[0]);
  if (!mebibytes) return 2;
  constexpr std::size_t kMiB = 1024 * 1024;
  const long page = sysconf(_SC_PAGESIZE);
  std::vector<char*> blocks;
  for (std::int64_t i = 0; i < *mebibytes; ++i) {
    char* block = static_cast<char*>(std::malloc(kMiB));
    if (block == nullptr) break;
    for (std::size_t offset = 0; offset < kMiB; offset += static_cast<std::size_t>(page)) {
      block[offset] = 1;
    }
    blocks.push_back(block);
  }
  JsonWriter w;
  w.begin_object();
  w.key("allocated_mib").integer(static_cast<std::int64_t>(blocks.size()));
  w.end_object();
  for (char* block : blocks) std::free(block);
  return print_json(w);
}

/// Busy-loops for SECONDS of wall-clock time and reports the CPU time it got: under a CPU
/// quota it gets less CPU time than wall-clock time.
int cmd_spin(Args args) {
  if (args.size() != 1) return 2;
  const auto seconds = parse_count(args[0]);
  if (!seconds) return 2;
  const auto now = [](clockid_t clock) {
    timespec ts{};
    clock_gettime(clock, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
  };
  const std::int64_t start = now(CLOCK_MONOTONIC);
  const std::int64_t cpu_start = now(CLOCK_PROCESS_CPUTIME_ID);
  volatile std::uint64_t counter = 0;
  while (now(CLOCK_MONOTONIC) - start < *seconds * 1000000) {
    for (int i = 0; i < 10000; ++i) counter = counter + 1;
  }
  JsonWriter w;
  w.begin_object();
  w.key("wall_usec").integer(now(CLOCK_MONOTONIC) - start);
  w.key("cpu_usec").integer(now(CLOCK_PROCESS_CPUTIME_ID) - cpu_start);
  w.end_object();
  return print_json(w);
}

/// Starts N children that all stay alive until the count is done, so they are N at once,
/// and reports how many started and why the next one could not (a pids limit: EAGAIN).
int cmd_fork(Args args) {
  if (args.size() != 1) return 2;
  const auto wanted = parse_count(args[0]);
  if (!wanted) return 2;
  int hold[2];
  if (pipe(hold) != 0) return 1;
  std::vector<pid_t> children;
  std::optional<std::string> error;
  for (std::int64_t i = 0; i < *wanted; ++i) {
    const pid_t pid = fork();
    if (pid < 0) {
      error = call_error("fork", "");
      break;
    }
    if (pid == 0) {
      close(hold[1]);
      char byte;
      while (read(hold[0], &byte, 1) < 0 && errno == EINTR) {
      }
      _exit(0);  // end of file: the parent has counted
    }
    children.push_back(pid);
  }
  close(hold[1]);
  close(hold[0]);
  for (const pid_t pid : children) waitpid(pid, nullptr, 0);
  JsonWriter w;
  w.begin_object();
  w.key("started").integer(static_cast<std::int64_t>(children.size()));
  w.key("error").string_or_null(error);
  w.end_object();
  return print_json(w);
}

/// Tries keyctl(KEYCTL_GET_KEYRING_ID) on the session keyring, the system call docker's
/// seccomp profile blocks (the keyring is not namespaced). Prints {"keyctl": ok, "error"}.
int cmd_keyctl(Args args) {
  if (!args.empty()) return 2;
  constexpr long kGetKeyringId = 0;         // KEYCTL_GET_KEYRING_ID
  constexpr long kSessionKeyring = -3;      // KEY_SPEC_SESSION_KEYRING
  std::optional<std::string> error;
  if (syscall(SYS_keyctl, kGetKeyringId, kSessionKeyring, 0) < 0) error = call_error("keyctl", "KEYCTL_GET_KEYRING_ID");
  JsonWriter w;
  w.begin_object();
  w.key("keyctl").boolean(!error);
  w.key("error").string_or_null(error);
  w.end_object();
  return print_json(w);
}

/// Lists this process's open descriptors (from /proc/self/fd), each with its target, to
/// show that nothing but stdin, stdout and stderr leaked in from the runtime.
int cmd_fds(Args args) {
  if (!args.empty()) return 2;
  JsonWriter w;
  w.begin_object();
  w.key("fds").begin_object();
  if (DIR* dir = opendir("/proc/self/fd")) {
    const int own = dirfd(dir);
    while (const dirent* entry = readdir(dir)) {
      if (entry->d_name[0] == '.') continue;
      if (std::atoi(entry->d_name) == own) continue;
      char target[4096];
      const ssize_t n = readlinkat(own, entry->d_name, target, sizeof target - 1);
      w.key(entry->d_name).string(n < 0 ? std::string("?") : std::string(target, static_cast<std::size_t>(n)));
    }
    closedir(dir);
  }
  w.end_object();
  w.end_object();
  return print_json(w);
}

// ===========================================================================
// udp-echo: a UDP server for the network chapter's published-port tests
// (busybox's nc speaks only TCP)
// ===========================================================================

volatile sig_atomic_t g_stop = 0;

void request_stop(int) { g_stop = 1; }

int cmd_udp_echo(Args args) {
  if (args.size() != 1) return 2;
  const int port = std::atoi(args[0]);
  if (port <= 0 || port > 65535) return 2;
  // A handler, not the default action: as PID 1 of a PID namespace the
  // default action of SIGTERM would be ignored.
  struct sigaction action {};
  action.sa_handler = request_stop;  // no SA_RESTART: recvfrom returns EINTR
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);

  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_ANY);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    std::fprintf(stderr, "probe: %s\n", call_error("bind", args[0]).c_str());
    return 1;
  }
  JsonWriter w;
  w.begin_object();
  w.key("udp_echo").integer(port);
  w.end_object();
  print_json(w);
  std::fflush(stdout);
  while (!g_stop) {
    char buffer[2048];
    sockaddr_in peer{};
    socklen_t peer_size = sizeof peer;
    const ssize_t n = recvfrom(fd, buffer, sizeof buffer, 0, reinterpret_cast<sockaddr*>(&peer), &peer_size);
    if (n < 0) continue;  // EINTR: the loop checks g_stop
    const std::string reply = concat({"echo:", std::string_view(buffer, static_cast<std::size_t>(n))});
    sendto(fd, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&peer), peer_size);
  }
  close(fd);
  return 0;
}

// ===========================================================================
// Command table and main
// ===========================================================================

struct Command {
  std::string_view name;
  std::string_view arguments;
  std::string_view help;
  int (*run)(Args);  // returns the exit status; 2 means a usage error
};

constexpr std::array kCommands = {
    Command{"report", "", "print what this process sees as JSON (default)", cmd_report},
    Command{"escape", "MARKER", "try the chroot escape; report whether MARKER is visible",
            cmd_escape},
    Command{"ipc", "KEY [/MQ]", "report whether SysV IPC objects with KEY (and POSIX queue /MQ) exist",
            cmd_ipc},
    Command{"ipc-create", "KEY [/MQ]", "create them, then report as `ipc` does", cmd_ipc_create},
    Command{"orphan", "MS", "leave an orphan that ends after MS milliseconds", cmd_orphan},
    Command{"hog", "MIB", "allocate and touch MIB mebibytes of memory", cmd_hog},
    Command{"spin", "SECONDS", "keep one CPU busy for SECONDS; report the CPU time used",
            cmd_spin},
    Command{"fork", "N", "start N processes alive at once; report how many started", cmd_fork},
    Command{"udp-echo", "PORT", "serve UDP on PORT, echoing each datagram back, until SIGTERM",
            cmd_udp_echo},
    Command{"keyctl", "", "try keyctl(2) on the session keyring; report whether it worked", cmd_keyctl},
    Command{"fds", "", "list the open file descriptors and their targets", cmd_fds},
};

int usage() {
  std::fputs("usage:\n", stderr);
  for (const auto& command : kCommands) {
    std::string line = concat({"  probe ", command.name});
    if (!command.arguments.empty()) line = concat({line, " ", command.arguments});
    line.resize(std::max<std::size_t>(line.size() + 2, 28), ' ');
    line += command.help;
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  const Args all(argv, static_cast<std::size_t>(argc));
  const std::string_view name = all.size() > 1 ? all[1] : "report";
  const Args rest = all.size() > 1 ? all.subspan(2) : Args{};
  for (const auto& command : kCommands) {
    if (command.name == name) {
      const int status = command.run(rest);
      return status == 2 ? usage() : status;
    }
  }
  return usage();
}
