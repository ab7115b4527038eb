/// @file uts_step.hpp
/// @brief The UTS step of chapter 05: a new UTS namespace with its own host and domain name.
#pragma once

#include <string>

#include "pipeline.hpp"
#include "step.hpp"

namespace dockling::ch05 {

/// Puts the child in a new UTS namespace (CLONE_NEWUTS) and names it: -h/--hostname
/// (default: the short container id, as docker does) and --domainname. Like docker, it also
/// sets HOSTNAME in the command's environment.
class UtsStep : public Step {
 public:
  std::string_view name() const override { return "uts"; }
  Slot slot() const override { return Slot::uts; }
  void add_flags(CLI::App& run) override;
  /// The names into the spec (the short id when -h is not given), and HOSTNAME into its
  /// environment.
  void to_spec(ContainerSpec& spec) override;
  int clone_flags(const ContainerSpec& spec) const override;
  void in_child(Container& container) override;

 private:
  std::string hostname_;    ///< from -h/--hostname; the short id when not given
  std::string domainname_;  ///< from --domainname; empty keeps the inherited one
};

/// Chapter 05's steps: the earlier chapters' and the UTS namespace.
Steps steps();

}  // namespace dockling::ch05
