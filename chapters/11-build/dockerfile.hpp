/// @file dockerfile.hpp
/// @brief The Dockerfile parser: text to instructions with their line numbers, by the rules
/// of BuildKit's Dockerfile frontend (parser directives, comments, continuations, the JSON
/// and shell forms, heredocs, flags).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dockerfile_words.hpp"
#include "dockling/error.hpp"

namespace dockling::ch11 {

/// A Dockerfile that docker would refuse: the message reads like BuildKit's,
/// `dockerfile parse error on line 7: unknown instruction: RUNN`. Exit code 1, as docker build.
class ParseError : public Error {
 public:
  /// @param line the (first) line of the instruction at fault, counted from 1.
  /// @param what what is wrong, e.g. "unknown instruction: RUNN".
  ParseError(int line, const std::string& what);
  /// The line the message names.
  int line() const noexcept { return line_; }

 private:
  int line_;
};

/// A here-document of RUN, COPY or ADD (`<<EOF` ... `EOF`).
struct Heredoc {
  std::string name;     ///< the delimiter, without quotes (`EOF`)
  std::string content;  ///< the lines between the instruction and the delimiter, each with its newline
  bool expand = true;   ///< false when the delimiter was quoted (`<<'EOF'`): no substitution in the content
  bool chomp = false;   ///< `<<-EOF`: leading tabs were stripped from the content and the delimiter
};

/// One instruction as written, before any substitution.
struct Instruction {
  std::string keyword;                ///< lower case: "run", "copy", ...
  std::string original;               ///< the instruction's text, continuation lines joined
  int line = 0;                       ///< its first line (from 1)
  int end_line = 0;                   ///< its last line, heredocs included
  std::vector<std::string> flags;     ///< `--from=build`, `--chown=1:1`, as written
  std::vector<std::string> args;      ///< see parse_dockerfile()
  bool json = false;                  ///< the exec (JSON array) form
  std::vector<Heredoc> heredocs;      ///< RUN, COPY, ADD only
};

/// A parsed Dockerfile.
struct Dockerfile {
  char escape = '\\';                      ///< the escape character (`# escape=`)
  std::vector<Instruction> instructions;   ///< in order
};

/// Parses a Dockerfile's text. Arguments of an instruction land in Instruction::args:
/// - RUN CMD ENTRYPOINT SHELL: a JSON array of strings is the exec form (json = true, one
///   arg per element); anything else, invalid JSON included, is the shell form: one arg,
///   the rest of the line.
/// - COPY ADD VOLUME: a JSON array, or the words of the line.
/// - ENV LABEL: name, value, name, value... (`ENV a=1 b=2`, or the old `ENV a 1 2`: the
///   name and the rest of the line); quotes and escapes are still in them.
/// - ARG FROM EXPOSE: the words. WORKDIR USER STOPSIGNAL MAINTAINER HEALTHCHECK ONBUILD: the
///   rest of the line, one arg.
/// @param text the Dockerfile.
/// @throws ParseError for an unknown instruction, a bad directive, an unterminated heredoc,
///   an instruction without arguments, a file without instructions.
Dockerfile parse_dockerfile(std::string_view text);

/// Chapter 10's rule for splitting arguments into words (`import --change` uses it too).
using ch10::split_words;

}  // namespace dockling::ch11
