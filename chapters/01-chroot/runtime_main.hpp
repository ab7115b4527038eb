/// @file runtime_main.hpp
/// @brief The `main` of every runtime chapter binary (01-09): `chNN-topic run ...`.
#pragma once

#include <functional>
#include <string_view>

#include "pipeline.hpp"

namespace dockling {

/// A binary's subcommands beside `run` (chapter 09's `oci`): adds them to the app and
/// returns what runs when one of them was chosen instead of `run`.
using MoreCommands = std::function<std::function<int()>(CLI::App& app)>;

/// Parses `chNN-topic run [OPTIONS] ROOTFS [COMMAND] [ARG...]`, with every step's flags,
/// runs the container through `steps` and returns the exit code for `main` to return.
/// `more`, when given, adds the binary's other subcommands.
int runtime_main(std::string_view program, std::string_view description, int argc, char** argv,
                 Steps steps, const MoreCommands& more = {});

}  // namespace dockling
