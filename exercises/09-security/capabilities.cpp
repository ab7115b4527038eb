#include <sys/capability.h>
#include <sys/prctl.h>

#include "capabilities.hpp"
#include "dockling/error.hpp"
#include "security.hpp"

namespace dockling::ch09 {

void drop_capabilities(CapabilitySet keep) {
  (void)keep;
  // TODO 1: the bounding set. For every capability number from 0 to cap_max_bits() - 1 that
  //         is NOT in `keep` (test the bit: keep & (CapabilitySet{1} << number)), call
  //         cap_drop_bound(number) (libcap's PR_CAPBSET_DROP). On failure throw
  //         SysError("prctl", "PR_CAPBSET_DROP, " + capability_name(number), errno).
  //         Do this first: dropping from the bounding set needs CAP_SETPCAP, which step 3
  //         may take away.
  // TODO 2: clear the ambient set with cap_reset_ambient().
  // TODO 3: permitted and effective hold exactly `keep`; inheritable holds nothing (read the
  //         lesson's "five sets" part: what would an inheritable capability give a program with
  //         inheritable file capabilities?). libcap's cap_t, cap_set_flag() and cap_set_proc()
  //         (that is capset(2)) do it; free what you allocate. Throw SysError("capset", "", errno)
  //         if cap_set_proc fails.
  // Check: `sudo build-ex/bin/ch09-security run build/rootfs/busybox grep Cap /proc/self/status`
  //         shows CapBnd: 00000000a80425fb (docker's 14) and CapInh: 0000000000000000.
  throw NotImplemented("ch09::drop_capabilities", "exercises/09-security/capabilities.cpp");
}

}  // namespace dockling::ch09
