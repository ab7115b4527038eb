/// @file runtime_main.hpp
/// @brief The `main` of every runtime chapter binary (01-09): `chNN-topic run ...`.
#pragma once

#include <string_view>

#include "pipeline.hpp"

namespace dockling {

/// Parses `chNN-topic run [OPTIONS] ROOTFS [COMMAND] [ARG...]`, with every step's flags,
/// runs the container through `steps` and returns the exit code for `main` to return.
/// Steps may add other subcommands (Step::add_commands); those run instead of `run`.
int runtime_main(std::string_view program, std::string_view description, int argc, char** argv,
                 Steps steps);

}  // namespace dockling
