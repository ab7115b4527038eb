/// @file substitution.hpp
/// @brief Where docker substitutes variables: the instructions that expand their words, and
/// the ARGs before the first FROM that the FROM lines see.
#pragma once

#include "build.hpp"
#include "dockerfile.hpp"

namespace dockling::ch11 {

/// True for the instructions whose words docker expands: ADD COPY ENV EXPOSE FROM LABEL
/// STOPSIGNAL USER VOLUME WORKDIR. (ONBUILD's instruction is expanded when its trigger runs,
/// as the instruction it holds; RUN CMD ENTRYPOINT SHELL HEALTHCHECK are left to the shell.)
/// @param keyword an Instruction::keyword.
bool expands_variables(const std::string& keyword);

/// The instruction with its words expanded (expand_word) by one set of variables: every word
/// of one instruction sees the values from before it (`ENV a=1 b=$a` sees the old a).
/// The flags' values of ADD, COPY and FROM (`--chown=$U`) are expanded too. An instruction
/// that expands nothing comes back as it was.
/// @param instruction the parsed instruction.
/// @param variables the ARGs and ENVs in effect before it.
/// @param escape the Dockerfile's escape character.
/// @throws ParseError naming the instruction's line when a word is malformed.
Instruction expand_instruction(const Instruction& instruction, const Variables& variables, char escape);

/// The ARGs declared before the first FROM (the meta args) with their values: a `build_args`
/// value wins over the default, an ARG without either is unset. Each FROM's words are
/// expanded with them (and only them) in place.
/// @param dockerfile the parsed Dockerfile; its FROM instructions are expanded.
/// @param build_args the values given on the command line (`--build-arg`).
/// @throws ParseError for an instruction other than ARG before the first FROM ("no build
///   stage in current context"), no FROM at all, or a FROM whose image name expands to
///   nothing (`base name (${BASE}) should not be blank`: an ARG used but not declared).
Variables resolve_stages(Dockerfile& dockerfile, const Variables& build_args);

}  // namespace dockling::ch11
