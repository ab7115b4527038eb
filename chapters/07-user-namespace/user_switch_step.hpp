/// @file user_switch_step.hpp
/// @brief `-u/--user` and `--group-add`: the user the command runs as, its groups and HOME,
/// looked up in the container's own /etc/passwd and /etc/group.
#pragma once

#include <string>
#include <vector>

#include "exec_user.hpp"
#include "step.hpp"

namespace dockling::ch07 {

/// What `run` asks for: `-u USER[:GROUP]` and `--group-add GROUP...`.
struct UserFlags {
  std::string user;                    ///< "" is root (the image's default, before chapter 10)
  std::vector<std::string> group_add;  ///< names or gids

  /// Adds -u/--user and --group-add to `run`.
  void add_to(CLI::App& run);
  /// Resolves the user, its groups and home against the container's /etc/passwd and
  /// /etc/group (inside spec.root.path) into spec.process.user, and HOME into its environment
  /// unless -e set it.
  void to_spec(ContainerSpec& spec) const;
};

/// Becomes the spec's user after every other set-up, as docker does even without `-u`: root
/// with root's groups from the container's /etc/group, HOME from its /etc/passwd (unless -e
/// sets it).
/// It takes the last slot; chapter 09's security step replaces it and switches the user itself,
/// between the seccomp filter and the capability drop.
class UserSwitchStep : public Step {
 public:
  std::string_view name() const override { return "user switch"; }
  Slot slot() const override { return Slot::security; }
  void add_flags(CLI::App& run) override { flags_.add_to(run); }
  void to_spec(ContainerSpec& spec) override { flags_.to_spec(spec); }
  void in_child(Container& container) override;

 private:
  UserFlags flags_;
};

}  // namespace dockling::ch07
