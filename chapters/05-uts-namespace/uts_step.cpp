#include "uts_step.hpp"

#include <sched.h>

#include <algorithm>

#include "network_step.hpp"
#include "dockling/log.hpp"
#include "hostname.hpp"
#include "uts.hpp"

namespace dockling::ch05 {

namespace {

/// A CLI11 check that rejects a bad name while the flags are parsed, before anything is
/// started. CLI11 prints "--hostname: invalid hostname ..." and run_app returns 125.
CLI::Validator name_validator(const std::string& what) {
  return CLI::Validator(
      [what](std::string& value) -> std::string {
        std::string problem = hostname_problem(value);
        if (problem.empty()) return {};
        return fmt::format("invalid {} \"{}\": {}", what, value, problem);
      },
      "NAME");
}

bool has_variable(const std::vector<std::string>& env, const std::string& key) {
  return std::any_of(env.begin(), env.end(),
                     [&](const std::string& entry) { return entry.rfind(key + "=", 0) == 0; });
}

}  // namespace

void UtsStep::add_flags(CLI::App& run) {
  run.add_option("-h,--hostname", hostname_, "Container host name (default: the short container id)")
      ->check(name_validator("hostname"));
  run.add_option("--domainname", domainname_, "Container NIS domain name")
      ->check(name_validator("domainname"));
}

int UtsStep::clone_flags(const ContainerSpec&) const { return CLONE_NEWUTS; }

void UtsStep::to_spec(ContainerSpec& spec) {
  spec.hostname = hostname_.empty() ? spec.short_id() : hostname_;  // chapter 04 writes it into /etc/hosts too
  spec.domainname = domainname_;
  // Docker's order: PATH, then HOSTNAME; a HOSTNAME the user set (-e) wins.
  auto& env = spec.process.env;
  if (!has_variable(env, "HOSTNAME")) {
    auto path = std::find_if(env.begin(), env.end(), [](const std::string& entry) { return entry.rfind("PATH=", 0) == 0; });
    auto where = path == env.end() ? env.begin() : path + 1;
    env.insert(where, "HOSTNAME=" + spec.hostname);
  }
}

void UtsStep::in_child(Container& container) {
  const ContainerSpec& spec = container.spec;
  log::debug("child: hostname {}, domainname {}", spec.hostname, spec.domainname.empty() ? "(inherited)" : spec.domainname);
  if (spec.hostname.empty()) return;  // an OCI bundle without one: the names stay as they were (runc's)
  set_names(spec.hostname, spec.domainname);
}

Steps steps() {
  Steps list = ch04::steps();
  list.push_back(std::make_unique<UtsStep>());
  return list;
}

}  // namespace dockling::ch05
