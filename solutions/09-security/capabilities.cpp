#include <sys/capability.h>
#include <sys/prctl.h>

#include "capabilities.hpp"
#include "dockling/error.hpp"
#include "security.hpp"

namespace dockling::ch09 {

void drop_capabilities(CapabilitySet keep) {
  // 1. The bounding set: once a capability is gone from it, no exec (not even of a setuid
  //    root program or a file with capabilities) can give it back.
  const int last = cap_max_bits();
  for (int number = 0; number < last && number < 64; ++number) {
    if (keep & (CapabilitySet{1} << number)) continue;
    if (cap_drop_bound(static_cast<cap_value_t>(number)) != 0)
      throw SysError("prctl", "PR_CAPBSET_DROP, " + capability_name(static_cast<unsigned>(number)), errno);
  }
  // 2. Ambient capabilities survive exec for non-root users: none.
  if (cap_reset_ambient() != 0) throw SysError("prctl", "PR_CAP_AMBIENT_CLEAR_ALL", errno);

  // 3. Permitted and effective: exactly `keep`. Inheritable: empty, or any program inside
  //    with inheritable file capabilities would gain them, whatever the user (CVE-2022-24769).
  cap_t caps = cap_init();  // all clear
  if (caps == nullptr) throw SysError("cap_init", "", errno);
  for (int number = 0; number < last && number < 64; ++number) {
    if (!(keep & (CapabilitySet{1} << number))) continue;
    cap_value_t value = number;
    for (cap_flag_t set : {CAP_PERMITTED, CAP_EFFECTIVE}) cap_set_flag(caps, set, 1, &value, CAP_SET);
  }
  int rc = cap_set_proc(caps);
  int error = errno;
  cap_free(caps);
  if (rc != 0) throw SysError("capset", "", error);
}

}  // namespace dockling::ch09
