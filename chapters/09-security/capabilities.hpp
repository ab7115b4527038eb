/// @file capabilities.hpp
/// @brief Capability names and docker's rules for the set a container keeps.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "spec.hpp"

namespace dockling::ch09 {

/// A set of capabilities: bit N is capability N (CAP_CHOWN is bit 0). Defined with the spec.
using dockling::CapabilitySet;

/// Docker's default 14: CHOWN, DAC_OVERRIDE, FSETID, FOWNER, MKNOD, NET_RAW, SETGID, SETUID,
/// SETFCAP, SETPCAP, NET_BIND_SERVICE, SYS_CHROOT, KILL, AUDIT_WRITE.
CapabilitySet default_capabilities();

/// Every capability this kernel knows (0 to /proc/sys/kernel/cap_last_cap) that this runtime
/// holds in its permitted set: no process can give away more than it has (a machine may
/// withhold some, e.g. CAP_SYS_RESOURCE).
CapabilitySet all_capabilities();

/// The permitted set of the calling process.
CapabilitySet held_capabilities();

/// The number of a capability: "NET_ADMIN", "CAP_NET_ADMIN" and "cap_net_admin" all give 12.
/// @throws Error `unknown capability: "CAP_FOO"`.
unsigned capability_number(const std::string& name);

/// "CAP_NET_ADMIN" for 12.
std::string capability_name(unsigned number);

/// The names of the capabilities in `set`, in number order.
std::vector<std::string> capability_names(CapabilitySet set);

/// Docker's rules for --cap-add, --cap-drop and --privileged: privileged keeps everything;
/// `--cap-add ALL` keeps everything but the drops; `--cap-drop ALL` keeps only the adds;
/// otherwise the defaults, minus the drops, plus the adds (an add wins over a drop).
/// @throws Error for an unknown name.
CapabilitySet resolve_capabilities(const std::vector<std::string>& add, const std::vector<std::string>& drop,
                                   bool privileged);

}  // namespace dockling::ch09

namespace dockling::ch09 {

/// The five sets (spec.hpp), as an OCI bundle's process.capabilities names them.
using dockling::CapabilitySets;

/// After drop_capabilities(sets.bounding): sets permitted, effective and inheritable exactly,
/// then raises the ambient ones (those not in permitted and inheritable are skipped, as runc
/// does). @throws SysError("capset").
void set_capability_sets(const CapabilitySets& sets);

}  // namespace dockling::ch09
