#include "substitution.hpp"

#include <stdexcept>
#include <string>

namespace dockling::ch11 {
namespace {

std::string expand(const std::string& word, const Variables& variables, char escape, int line) {
  try {
    return expand_word(word, variables, escape);
  } catch (const std::invalid_argument& error) {
    throw ParseError(line, "failed to process \"" + word + "\": " + error.what());
  }
}

}  // namespace

bool expands_variables(const std::string& keyword) {
  for (const char* name : {"add", "copy", "env", "expose", "from", "label", "stopsignal", "user", "volume", "workdir"})
    if (keyword == name) return true;
  return false;
}

Instruction expand_instruction(const Instruction& instruction, const Variables& variables, char escape) {
  if (!expands_variables(instruction.keyword)) return instruction;
  Instruction expanded = instruction;
  for (std::string& arg : expanded.args) arg = expand(arg, variables, escape, instruction.line);
  if (instruction.keyword == "add" || instruction.keyword == "copy" || instruction.keyword == "from") {
    for (std::string& flag : expanded.flags) {
      size_t equals = flag.find('=');
      if (equals != std::string::npos)
        flag = flag.substr(0, equals + 1) + expand(flag.substr(equals + 1), variables, escape, instruction.line);
    }
  }
  return expanded;
}

Variables resolve_stages(Dockerfile& dockerfile, const Variables& build_args) {
  Variables meta;
  bool in_stage = false;
  for (Instruction& instruction : dockerfile.instructions) {
    if (instruction.keyword == "from") {
      std::string written = instruction.args.front();
      instruction = expand_instruction(instruction, meta, dockerfile.escape);
      if (instruction.args.front().empty())
        throw ParseError(instruction.line, "base name (" + written + ") should not be blank");
      in_stage = true;
    } else if (!in_stage) {
      if (instruction.keyword != "arg") throw ParseError(instruction.line, "no build stage in current context");
      for (const std::string& word : instruction.args) {
        std::string declared = expand(word, meta, dockerfile.escape, instruction.line);
        size_t equals = declared.find('=');
        std::string name = declared.substr(0, equals);
        if (auto given = build_args.find(name); given != build_args.end()) {
          meta[name] = given->second;
        } else if (equals != std::string::npos) {
          meta[name] = declared.substr(equals + 1);
        } else {
          meta.erase(name);
        }
      }
    }
  }
  if (!in_stage) throw ParseError(dockerfile.instructions.back().line, "dockerfile contains no stages to build");
  return meta;
}

}  // namespace dockling::ch11
