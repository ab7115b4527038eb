/// @file pipeline.hpp
/// @brief Runs a container: the steps' hooks around clone, exec and wait.
#pragma once

#include <memory>
#include <vector>

#include "container.hpp"
#include "spec.hpp"
#include "step.hpp"

namespace dockling {

/// The steps of one binary, in Slot order.
using Steps = std::vector<std::unique_ptr<Step>>;

/// Orders `steps` by slot; where two share a slot the later one (a later chapter's) wins.
Steps make_pipeline(Steps steps);

/// The spec `run`'s flags ask for: every step's to_spec, in slot order, over `spec` (which
/// holds the id, the root and the command), then docker's defaults for what no step set.
void fill_spec(ContainerSpec& spec, const Steps& steps);

/// Starts the container `spec` describes and waits for it; returns docker's exit code for
/// the command.
///
/// Parent: before_clone of every step; clone(2) with every step's flags; after_clone; then
/// a "go" byte to the child. Child: waits for "go", runs in_child of every step, sets the
/// environment and working directory, looks the command up in the container's PATH and
/// execs it. An error in the child travels back over the socket and is thrown here with its
/// exit code (125 for setup, 126/127 for the command). after_exit always runs, in reverse.
int run_container(const ContainerSpec& spec, const Steps& steps);

}  // namespace dockling
