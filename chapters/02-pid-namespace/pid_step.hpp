/// @file pid_step.hpp
/// @brief The PID step of chapter 02: a new PID namespace, and --init.
#pragma once

#include "pipeline.hpp"
#include "step.hpp"

namespace dockling::ch02 {

/// Creates the child in a new PID namespace (CLONE_NEWPID): the command is PID 1 there.
/// With --init, a small init is PID 1 instead and the command runs as its child (PID 2).
class PidStep : public Step {
 public:
  std::string_view name() const override { return "pid"; }
  Slot slot() const override { return Slot::pid; }
  void add_flags(CLI::App& run) override;
  void to_spec(ContainerSpec& spec) override { spec.process.init = init_; }
  int clone_flags(const ContainerSpec& spec) const override;
  void before_exec(Container& container) override;

 private:
  bool init_ = false;
};

/// Chapter 02's steps: chapter 01's chroot and the PID namespace.
Steps steps();

}  // namespace dockling::ch02
