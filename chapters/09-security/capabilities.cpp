#include "capabilities.hpp"

#include <linux/capability.h>

#include <algorithm>
#include <array>
#include <cctype>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "dockling/fs.hpp"

namespace dockling::ch09 {

namespace {

// The names in number order, as <linux/capability.h> numbers them.
constexpr std::array<const char*, 41> kNames = {
    "CAP_CHOWN",          "CAP_DAC_OVERRIDE",   "CAP_DAC_READ_SEARCH", "CAP_FOWNER",      "CAP_FSETID",
    "CAP_KILL",           "CAP_SETGID",         "CAP_SETUID",          "CAP_SETPCAP",     "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",      "CAP_NET_RAW",     "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",      "CAP_SYS_MODULE",     "CAP_SYS_RAWIO",       "CAP_SYS_CHROOT",  "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",      "CAP_SYS_ADMIN",      "CAP_SYS_BOOT",        "CAP_SYS_NICE",    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",       "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",           "CAP_LEASE",       "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",  "CAP_SETFCAP",        "CAP_MAC_OVERRIDE",    "CAP_MAC_ADMIN",   "CAP_SYSLOG",
    "CAP_WAKE_ALARM",     "CAP_BLOCK_SUSPEND",  "CAP_AUDIT_READ",      "CAP_PERFMON",     "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

CapabilitySet bit(unsigned number) { return CapabilitySet{1} << number; }

bool is_all(const std::string& name) {
  std::string upper = name;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  return upper == "ALL" || upper == "CAP_ALL";
}

}  // namespace

CapabilitySet default_capabilities() {
  CapabilitySet set = 0;
  for (unsigned cap : {CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_MKNOD, CAP_NET_RAW, CAP_SETGID,
                       CAP_SETUID, CAP_SETFCAP, CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_KILL,
                       CAP_AUDIT_WRITE})
    set |= bit(cap);
  return set;
}

CapabilitySet all_capabilities() {
  unsigned last = CAP_LAST_CAP;
  try {
    last = static_cast<unsigned>(std::stoul(read_file("/proc/sys/kernel/cap_last_cap")));
  } catch (const std::exception&) {
    // no /proc: the headers' idea of the last one
  }
  CapabilitySet known = last >= 63 ? ~CapabilitySet{0} : bit(last + 1) - 1;
  return known & held_capabilities();
}

CapabilitySet held_capabilities() {
  std::string status = read_file("/proc/self/status");
  size_t at = status.find("CapPrm:");
  if (at == std::string::npos) throw Error("/proc/self/status: no CapPrm line");
  return std::stoull(status.substr(at + 7), nullptr, 16);
}

unsigned capability_number(const std::string& name) {
  std::string upper = name;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  if (upper.rfind("CAP_", 0) != 0) upper = "CAP_" + upper;
  for (unsigned number = 0; number < kNames.size(); ++number)
    if (upper == kNames[number]) return number;
  throw Error(fmt::format("unknown capability: \"{}\"", upper));
}

std::string capability_name(unsigned number) {
  return number < kNames.size() ? kNames[number] : fmt::format("CAP_{}", number);
}

std::vector<std::string> capability_names(CapabilitySet set) {
  std::vector<std::string> names;
  for (unsigned number = 0; number < 64; ++number)
    if (set & bit(number)) names.push_back(capability_name(number));
  return names;
}

CapabilitySet resolve_capabilities(const std::vector<std::string>& add, const std::vector<std::string>& drop,
                                   bool privileged) {
  if (privileged) return all_capabilities();
  bool add_all = false, drop_all = false;
  CapabilitySet adds = 0, drops = 0;
  for (const auto& name : add) {
    if (is_all(name)) add_all = true;
    else adds |= bit(capability_number(name));  // checked even when ALL makes it moot
  }
  for (const auto& name : drop) {
    if (is_all(name)) drop_all = true;
    else drops |= bit(capability_number(name));
  }
  CapabilitySet missing = adds & ~held_capabilities();
  if (missing != 0)
    throw Error(fmt::format("--cap-add {}: this runtime does not hold it, so it cannot give it",
                            capability_name(static_cast<unsigned>(__builtin_ctzll(missing)))));
  if (add_all) return all_capabilities() & ~drops;
  if (drop_all) return adds;
  return (default_capabilities() & ~drops) | adds;
}

}  // namespace dockling::ch09

#include <sys/capability.h>
#include <sys/prctl.h>

namespace dockling::ch09 {

void set_capability_sets(const CapabilitySets& sets) {
  cap_t caps = cap_init();
  if (caps == nullptr) throw SysError("cap_init", "", errno);
  for (cap_value_t number = 0; number < cap_max_bits() && number < 64; ++number) {
    CapabilitySet mask = CapabilitySet{1} << number;
    if (sets.permitted & mask) cap_set_flag(caps, CAP_PERMITTED, 1, &number, CAP_SET);
    if (sets.effective & mask) cap_set_flag(caps, CAP_EFFECTIVE, 1, &number, CAP_SET);
    if (sets.inheritable & mask) cap_set_flag(caps, CAP_INHERITABLE, 1, &number, CAP_SET);
  }
  int rc = cap_set_proc(caps);
  int error = errno;
  cap_free(caps);
  if (rc != 0) throw SysError("capset", "", error);
  for (unsigned number = 0; number < 64; ++number) {
    CapabilitySet mask = CapabilitySet{1} << number;
    if ((sets.ambient & mask) && (sets.permitted & mask) && (sets.inheritable & mask))
      check(::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, number, 0, 0), "prctl", "PR_CAP_AMBIENT_RAISE " + capability_name(number));
  }
}

}  // namespace dockling::ch09
