// Fuzz target: parse_dockerfile(), expand_instruction() and resolve_stages() (chapter 11) on
// arbitrary text. Refusing the text is a fine answer when the refusal is a ParseError whose
// message names a line (`dockerfile parse error on line N: ...`); anything else — a
// sanitizer report, another exception, a hang, a line number outside the file — is a
// finding: the target abort()s, and libFuzzer keeps the input.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include "dockerfile.hpp"
#include "substitution.hpp"

namespace {

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz_build_parse: %s\n", what.c_str());
  std::abort();
}

void check_error(const dockling::ch11::ParseError& error, std::string_view text) {
  const std::string prefix = "dockerfile parse error on line " + std::to_string(error.line()) + ": ";
  if (std::string_view(error.what()).substr(0, prefix.size()) != prefix)
    fail(std::string("an error without its line: ") + error.what());
  size_t lines = 0;
  for (char c : text) lines += c == '\n';
  if (error.line() < 0 || static_cast<size_t>(error.line()) > lines + 1)
    fail(std::string("a line outside the file: ") + error.what());
  if (std::getenv("DOCKLING_FUZZ_VERBOSE") != nullptr) std::fprintf(stderr, "%s\n", error.what());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dockling::ch11;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    Dockerfile file = parse_dockerfile(text);
    const Variables variables{{"a", "1"}, {"empty", ""}, {"HOME", "/root"}};
    for (const Instruction& instruction : file.instructions) {
      try {
        expand_instruction(instruction, variables, file.escape);
      } catch (const ParseError& error) {
        check_error(error, text);
      }
    }
    resolve_stages(file, Variables{{"a", "2"}});
  } catch (const ParseError& error) {
    check_error(error, text);
  } catch (const std::exception& error) {
    fail(std::string("not a ParseError: ") + error.what());
  }
  return 0;
}
