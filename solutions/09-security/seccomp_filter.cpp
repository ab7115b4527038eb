#include <seccomp.h>

#include <memory>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "security.hpp"

namespace dockling::ch09 {

SeccompProgram build_seccomp(const SeccompProfile& profile, CapabilitySet caps) {
  // The filter under construction; released however we leave.
  std::unique_ptr<void, void (*)(scmp_filter_ctx)> filter(seccomp_init(profile.default_action), seccomp_release);
  if (!filter) throw Error(fmt::format("seccomp_init({:#x}): invalid default action", profile.default_action));

  // Docker does not set no_new_privs for seccomp; we hold CAP_SYS_ADMIN while loading instead.
  int rc = seccomp_attr_set(filter.get(), SCMP_FLTATR_CTL_NNP, 0);
  if (rc < 0) throw SysError("seccomp_attr_set", "SCMP_FLTATR_CTL_NNP", -rc);
  for (std::uint32_t arch : profile.architectures) {
    rc = seccomp_arch_add(filter.get(), arch);
    if (rc < 0 && rc != -EEXIST) throw SysError("seccomp_arch_add", fmt::format("{:#x}", arch), -rc);
  }

  for (const auto& rule : applicable_rules(profile, caps)) {
    if (rule.action == profile.default_action) continue;  // libseccomp refuses a rule that changes nothing
    std::vector<scmp_arg_cmp> conditions;
    for (const auto& arg : rule.args) conditions.push_back(scmp_arg_cmp{arg.index, arg.op, arg.value, arg.value_two});
    for (const auto& name : rule.names) {
      int number = seccomp_syscall_resolve_name(name.c_str());
      if (number == __NR_SCMP_ERROR) continue;  // not a system call on this architecture
      rc = seccomp_rule_add_array(filter.get(), rule.action, number, static_cast<unsigned>(conditions.size()),
                                  conditions.data());
      if (rc < 0) throw SysError("seccomp_rule_add", name, -rc);
    }
  }
  return export_program(filter.get());
}

}  // namespace dockling::ch09
