#include "dockerfile.hpp"
#include "dockling/text.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

namespace dockling::ch11 {

ParseError::ParseError(int line, const std::string& what)
    : Error("dockerfile parse error on line " + std::to_string(line) + ": " + what, 1), line_(line) {}

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

std::string_view trim_left(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  return s;
}

std::string_view trim(std::string_view s) {
  s = trim_left(s);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// The line without its line ending ("\n", "\r\n").
std::string_view without_newline(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  return line;
}

bool is_comment(std::string_view line) {
  line = trim_left(line);
  return !line.empty() && line.front() == '#';
}

// The lines of the text, each with its line ending (the last one may have none).
std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t end = text.find('\n');
    size_t length = end == std::string_view::npos ? text.size() : end + 1;
    lines.push_back(text.substr(0, length));
    text.remove_prefix(length);
  }
  return lines;
}

// Parser directives: `# name=value` lines at the very top; the first other line ends them.
class Directives {
 public:
  char escape() const { return escape_; }

  // Looks at one line; throws for a bad or repeated directive.
  void look_at(std::string_view line, int number) {
    if (done_) return;
    std::string name, value;
    if (!parse(line, name, value)) {
      done_ = true;
      return;
    }
    if (name == "escape") {
      if (seen_escape_) throw ParseError(number, "only one escape parser directive can be used");
      seen_escape_ = true;
      if (value != "\\" && value != "`")
        throw ParseError(number, "invalid escape token '" + value + "' does not match ` or \\");
      escape_ = value[0];
    } else if (name == "syntax") {
      if (seen_syntax_) throw ParseError(number, "only one syntax parser directive can be used");
      seen_syntax_ = true;  // the frontend to use: we are the only one, so it is accepted and ignored
    } else if (name != "check") {
      done_ = true;  // not a directive we know: a comment, and the end of the directives
    }
  }

 private:
  // `#[ \t]*NAME[ \t]*=[ \t]*VALUE[ \t]*`, NAME a letter then letters and digits, in any case.
  static bool parse(std::string_view line, std::string& name, std::string& value) {
    auto blank = [](char c) { return c == ' ' || c == '\t'; };
    line = without_newline(line);
    if (line.empty() || line.front() != '#') return false;
    size_t i = 1;
    while (i < line.size() && blank(line[i])) ++i;
    size_t start = i;
    while (i < line.size() && std::isalnum(static_cast<unsigned char>(line[i]))) ++i;
    if (i == start || !std::isalpha(static_cast<unsigned char>(line[start]))) return false;
    name = ascii_lower(line.substr(start, i - start));
    while (i < line.size() && blank(line[i])) ++i;
    if (i == line.size() || line[i] != '=') return false;
    ++i;
    while (i < line.size() && blank(line[i])) ++i;
    size_t end = line.size();
    while (end > i && blank(line[end - 1])) --end;
    if (end == i) return false;
    value = std::string(line.substr(i, end - i));
    return true;
  }

  char escape_ = '\\';
  bool done_ = false;
  bool seen_escape_ = false;
  bool seen_syntax_ = false;
};

// Removes a trailing escape character (and blanks after it); true when there was one.
bool trim_continuation(std::string& line, char escape) {
  size_t end = line.size();
  while (end > 0 && (line[end - 1] == ' ' || line[end - 1] == '\t')) --end;
  if (end == 0 || line[end - 1] != escape) return false;
  line.resize(end - 1);
  return true;
}

// The delimiter of a heredoc word without its quotes and escapes, and whether any were there.
std::string unquote(std::string_view word, char escape, bool& quoted) {
  std::string out;
  char quote = '\0';
  for (size_t i = 0; i < word.size(); ++i) {
    char c = word[i];
    if (quote != '\0') {
      if (c == quote) {
        quote = '\0';
      } else if (quote == '"' && c == escape && i + 1 < word.size()) {
        out += word[++i];
      } else {
        out += c;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      quoted = true;
    } else if (c == escape) {
      quoted = true;
      if (i + 1 < word.size()) out += word[++i];
    } else {
      out += c;
    }
  }
  return out;
}

// The heredocs a RUN, COPY or ADD line opens: words like `<<EOF`, `<<-"EOF"`, `3<<EOF`.
std::vector<Heredoc> heredocs_of(std::string_view line, char escape) {
  std::vector<Heredoc> heredocs;
  for (const std::string& word : split_words(line, escape)) {
    size_t i = 0;
    while (i < word.size() && std::isdigit(static_cast<unsigned char>(word[i]))) ++i;
    if (word.compare(i, 2, "<<") != 0) continue;
    i += 2;
    Heredoc heredoc;
    if (i < word.size() && word[i] == '-') {
      heredoc.chomp = true;
      ++i;
    }
    std::string_view rest = std::string_view(word).substr(i);
    if (rest.empty() || rest.find('<') != std::string_view::npos) continue;
    bool quoted = false;
    heredoc.name = unquote(rest, escape, quoted);
    if (heredoc.name.empty()) continue;
    heredoc.expand = !quoted;
    heredocs.push_back(heredoc);
  }
  return heredocs;
}

// Leading `--name=value` words of the arguments; `--` alone ends them.
std::string_view take_flags(std::string_view rest, std::vector<std::string>& flags) {
  while (true) {
    rest = trim_left(rest);
    if (rest.substr(0, 2) != "--") return rest;
    size_t end = 0;
    while (end < rest.size() && !is_space(rest[end])) ++end;
    std::string_view flag = rest.substr(0, end);
    rest.remove_prefix(end);
    if (flag == "--") return trim_left(rest);
    flags.emplace_back(flag);
  }
}

// A JSON array of strings, or nothing.
bool json_strings(std::string_view rest, std::vector<std::string>& out) {
  if (rest.empty() || rest.front() != '[') return false;
  nlohmann::json parsed = nlohmann::json::parse(rest.begin(), rest.end(), nullptr, false);
  if (parsed.is_discarded() || !parsed.is_array()) return false;
  std::vector<std::string> strings;
  for (const auto& element : parsed) {
    if (!element.is_string()) return false;
    strings.push_back(element.get<std::string>());
  }
  out = std::move(strings);
  return true;
}

std::vector<std::string> whitespace_words(std::string_view rest) {
  std::vector<std::string> words;
  while (true) {
    rest = trim_left(rest);
    if (rest.empty()) return words;
    size_t end = 0;
    while (end < rest.size() && !is_space(rest[end])) ++end;
    words.emplace_back(rest.substr(0, end));
    rest.remove_prefix(end);
  }
}

// ENV and LABEL: `name=value ...`, or the old `name value with spaces`.
std::vector<std::string> name_values(std::string_view rest, const std::string& keyword, char escape, int line) {
  std::vector<std::string> words = split_words(rest, escape);
  if (words.empty()) return {};
  std::vector<std::string> out;
  if (words[0].find('=') == std::string::npos) {
    size_t end = 0;
    while (end < rest.size() && !is_space(rest[end])) ++end;
    std::string_view value = trim_left(rest.substr(end));
    if (value.empty()) throw ParseError(line, ascii_upper(keyword) + " must have two arguments");
    return {std::string(rest.substr(0, end)), std::string(value)};
  }
  for (const std::string& word : words) {
    size_t equals = word.find('=');
    if (equals == std::string::npos)
      throw ParseError(line, "Syntax error - can't find = in \"" + word + "\". Must be of the form: name=value");
    out.push_back(word.substr(0, equals));
    out.push_back(word.substr(equals + 1));
  }
  return out;
}

bool one_of(const std::string& keyword, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), keyword) != names.end();
}

// One logical line (continuations joined) as an instruction, heredocs not yet read.
Instruction instruction_of(const std::string& text, char escape, int line) {
  Instruction instruction;
  instruction.original = text;
  instruction.line = line;
  std::string_view rest = trim(text);
  size_t end = 0;
  while (end < rest.size() && !is_space(rest[end])) ++end;
  std::string_view word = rest.substr(0, end);
  instruction.keyword = ascii_lower(word);
  const std::string& k = instruction.keyword;
  if (!one_of(k, {"add", "arg", "cmd", "copy", "entrypoint", "env", "expose", "from", "healthcheck", "label",
                  "maintainer", "onbuild", "run", "shell", "stopsignal", "user", "volume", "workdir"}))
    throw ParseError(line, "unknown instruction: " + ascii_upper(word));  // in capitals, as docker prints it
  rest = take_flags(rest.substr(end), instruction.flags);
  if (one_of(k, {"run", "cmd", "entrypoint", "shell"})) {
    instruction.json = json_strings(rest, instruction.args);
    if (!instruction.json && !rest.empty()) instruction.args = {std::string(rest)};
    if (k == "shell" && !instruction.json && !rest.empty())
      throw ParseError(line, "SHELL requires the arguments to be in JSON form");
  } else if (one_of(k, {"copy", "add", "volume"})) {
    instruction.json = json_strings(rest, instruction.args);
    if (!instruction.json) instruction.args = whitespace_words(rest);
  } else if (one_of(k, {"env", "label"})) {
    instruction.args = name_values(rest, k, escape, line);
  } else if (k == "arg") {
    instruction.args = split_words(rest, escape);
  } else if (one_of(k, {"from", "expose"})) {
    instruction.args = whitespace_words(rest);
  } else if (!rest.empty()) {
    instruction.args = {std::string(rest)};
  }
  if (instruction.args.empty() && !instruction.json)  // `CMD []` is allowed: it clears the command
    throw ParseError(line, ascii_upper(k) + " requires at least one argument");
  if (k == "onbuild") {
    // The trigger is an instruction of its own, checked now; it runs in the image built on this one.
    std::string trigger = ascii_upper(whitespace_words(rest).front());
    if (trigger == "ONBUILD") throw ParseError(line, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
    if (trigger == "FROM" || trigger == "MAINTAINER")
      throw ParseError(line, trigger + " isn't allowed as an ONBUILD trigger");
    instruction_of(std::string(rest), escape, line);
  }
  return instruction;
}

}  // namespace

Dockerfile parse_dockerfile(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // a UTF-8 byte order mark
  std::vector<std::string_view> lines = lines_of(text);
  Directives directives;
  Dockerfile dockerfile;
  size_t next = 0;  // the index of the next line to read; its number is next + 1
  while (next < lines.size()) {
    std::string_view raw = lines[next++];
    int start = static_cast<int>(next);
    std::string_view first = trim_left(without_newline(raw));
    directives.look_at(first, start);
    dockerfile.escape = directives.escape();
    std::string logical(is_comment(first) ? std::string_view() : first);
    bool continued = trim_continuation(logical, dockerfile.escape);
    if (!continued && trim(logical).empty()) continue;
    // Continuation lines: comment lines and empty lines inside them are skipped, as docker does.
    while (continued && next < lines.size()) {
      std::string_view more = without_newline(lines[next++]);
      directives.look_at(more, static_cast<int>(next));
      if (is_comment(more) || trim_left(more).empty()) continue;
      std::string part(more);
      continued = trim_continuation(part, dockerfile.escape);
      logical += part;
    }
    if (trim(logical).empty()) continue;  // only continuations, up to the end of the file
    Instruction instruction = instruction_of(logical, dockerfile.escape, start);
    if (one_of(instruction.keyword, {"run", "copy", "add"}) && logical.find("<<") != std::string::npos) {
      for (Heredoc heredoc : heredocs_of(logical, dockerfile.escape)) {
        bool terminated = false;
        while (next < lines.size()) {
          std::string_view line = lines[next++];
          std::string_view candidate = without_newline(line);
          if (heredoc.chomp) {
            while (!candidate.empty() && candidate.front() == '\t') candidate.remove_prefix(1);
            while (!line.empty() && line.front() == '\t') line.remove_prefix(1);
          }
          if (candidate == heredoc.name) {
            terminated = true;
            break;
          }
          heredoc.content += line;
        }
        if (!terminated) throw ParseError(start, "unterminated heredoc");
        instruction.heredocs.push_back(std::move(heredoc));
      }
    }
    instruction.end_line = static_cast<int>(next);
    dockerfile.instructions.push_back(std::move(instruction));
  }
  if (dockerfile.instructions.empty())
    throw ParseError(static_cast<int>(lines.size()), "file with no instructions");
  return dockerfile;
}

}  // namespace dockling::ch11
