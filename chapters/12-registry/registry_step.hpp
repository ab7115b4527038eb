/// @file registry_step.hpp
/// @brief Chapter 12's step: chapter 11's build step, plus `registry serve|gc`, `pull`, `push`,
/// `login`, `logout` and `search`, and `run` pulling what it does not find.
#pragma once

#include <string>

#include "build_step.hpp"
#include "distribution_client.hpp"
#include "login.hpp"
#include "registry_gc.hpp"
#include "registry_server.hpp"
#include "search.hpp"

namespace dockling::ch12 {

/// Chapter 11's step with the registry's server and client commands beside its own.
class RegistryStep : public ch11::BuildStep {
 public:
  /// A step whose `run` pulls the images it does not find (--pull), as docker does.
  RegistryStep();
  /// Chapter 11's commands, `registry serve`, `pull`, `push`, `login` and `logout`.
  void add_commands(CLI::App& app) override;
  /// The chosen one of those, else chapter 11's.
  std::optional<int> run_command(const StateRoot& root) override;

 private:
  CLI::App* serve_ = nullptr;
  CLI::App* gc_ = nullptr;
  GcOptions gc_options_;
  std::string gc_root_;
  CLI::App* pull_ = nullptr;
  CLI::App* push_ = nullptr;
  CLI::App* login_ = nullptr;
  CLI::App* logout_ = nullptr;
  CLI::App* search_ = nullptr;
  SearchOptions search_options_;
  std::string search_term_;
  ServeOptions serve_options_;
  ClientOptions client_options_;
  LoginOptions login_options_;
  std::string reference_;
};

/// Chapter 12's steps: chapter 11's, its image step replaced by RegistryStep.
Steps steps();

}  // namespace dockling::ch12
