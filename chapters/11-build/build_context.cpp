#include "build_context.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <optional>
#include <stdexcept>

#include "digest.hpp"
#include "dockling/fs.hpp"

namespace dockling::ch11 {
namespace {

// ---------------------------------------------------------------------------------------------
// Characters and paths

constexpr char32_t kRuneError = 0xFFFD;

/// The UTF-8 character at the start of `s` and its length in bytes; an invalid byte is
/// U+FFFD, one byte long (as Go's utf8.DecodeRuneInString).
char32_t decode_rune(std::string_view s, std::size_t& width) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char first = byte(0);
  width = 1;
  if (first < 0x80) return first;
  std::size_t length = first < 0xC2 ? 0 : first < 0xE0 ? 2 : first < 0xF0 ? 3 : first < 0xF5 ? 4 : 0;
  if (length == 0 || s.size() < length) return kRuneError;
  char32_t rune = first & (0x7F >> length);
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return kRuneError;
    rune = (rune << 6) | (byte(i) & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are invalid too.
  static constexpr char32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (rune < kSmallest[length] || (rune >= 0xD800 && rune <= 0xDFFF) || rune > 0x10FFFF) return kRuneError;
  width = length;
  return rune;
}

std::string_view trim_space(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n\v\f";
  std::size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(kSpace) - begin + 1);
}

/// `path` cleaned, without a leading `/`: the form of a path relative to the context.
std::string relative_form(std::string_view path) {
  std::string cleaned = clean_path(path);
  if (cleaned[0] == '/') cleaned = cleaned.size() == 1 ? "." : cleaned.substr(1);
  return cleaned;
}

std::string join(const std::string& directory, const std::string& name) {
  return directory == "." ? name : directory + "/" + name;
}

/// How BuildKit names a source in its messages: from the root, `"/x"`.
std::string shown(const std::string& relative_path) {
  return "\"/" + (relative_path == "." ? std::string() : relative_path) + "\"";
}

Error not_found(const std::string& relative_path) { return Error(shown(relative_path) + ": not found"); }

/// True when a COPY source has a wildcard (`\` escapes the next character).
bool has_wildcards(std::string_view source) {
  for (std::size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\\')
      ++i;
    else if (source[i] == '*' || source[i] == '?' || source[i] == '[')
      return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Files beneath the context's root

/// openat2(2) with RESOLVE_BENEATH: `path` (relative to `dir_fd`) may not leave `dir_fd`'s
/// directory, by `..` or by a symbolic link. -1 with errno on failure.
int open_beneath(int dir_fd, const std::string& path, std::uint64_t flags) {
  open_how how{};
  how.flags = flags | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  for (;;) {
    long fd = ::syscall(SYS_openat2, dir_fd, path.c_str(), &how, sizeof how);
    if (fd >= 0 || errno != EINTR) return static_cast<int>(fd);
  }
}

/// The errors that mean "there is no such entry in the context" for a lookup: missing, a
/// file where a directory should be, or a path through a link that leaves the context.
bool is_absence(int err) { return err == ENOENT || err == ENOTDIR || err == EXDEV || err == ELOOP; }

/// An entry of the context found by its relative path: its parent directory (O_PATH), its
/// name in it, and its lstat.
struct Located {
  UniqueFd parent;
  std::string name;
  struct stat st {};
};

std::optional<Located> locate(int root_fd, const std::string& relative_path) {
  Located found;
  std::size_t slash = relative_path.rfind('/');
  std::string parent = slash == std::string::npos ? "." : relative_path.substr(0, slash);
  found.name = slash == std::string::npos ? relative_path : relative_path.substr(slash + 1);
  found.parent.reset(open_beneath(root_fd, parent, O_PATH | O_DIRECTORY));
  if (!found.parent) {
    if (is_absence(errno)) return std::nullopt;
    throw_sys("open", parent);
  }
  if (::fstatat(found.parent.get(), found.name.c_str(), &found.st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (is_absence(errno)) return std::nullopt;
    throw_sys("lstat", relative_path);
  }
  return found;
}

/// How list_directory treats the directory it is given.
enum class Listing {
  walk,    ///< a directory lstat found: a link is not followed, any error is one
  lookup,  ///< a path being matched: a link in the context is followed, and a path that is
           ///< not there (or not a directory, or out of the context) has no names
};

/// The names in the directory `name` of `parent_fd` (not `.` and `..`), sorted bytewise.
/// `shown_as` names the directory in errors. With `dir_fd_out`, also a descriptor of it.
std::vector<std::string> list_directory(int parent_fd, const std::string& name, const std::string& shown_as,
                                        Listing how, UniqueFd* dir_fd_out = nullptr) {
  UniqueFd fd(open_beneath(parent_fd, name, O_RDONLY | O_DIRECTORY | (how == Listing::walk ? O_NOFOLLOW : 0)));
  if (!fd) {
    if (how == Listing::lookup && is_absence(errno)) return {};
    throw_sys("open", shown_as);
  }
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(fd.get()), ::closedir);
  if (!dir) throw_sys("fdopendir", shown_as);
  fd.release();
  std::vector<std::string> names;
  for (;;) {
    errno = 0;
    dirent* entry = ::readdir(dir.get());
    if (entry == nullptr) {
      if (errno != 0) throw_sys("readdir", shown_as);
      break;
    }
    std::string_view entry_name = entry->d_name;
    if (entry_name != "." && entry_name != "..") names.emplace_back(entry_name);
  }
  std::sort(names.begin(), names.end());
  if (dir_fd_out != nullptr) {
    dir_fd_out->reset(::fcntl(::dirfd(dir.get()), F_DUPFD_CLOEXEC, 0));
    if (!*dir_fd_out) throw_sys("fcntl", shown_as);
  }
  return names;
}

/// Visits the entry `name` of `parent_fd` (relative path `path`, lstat `st`) and, for a
/// directory, what it holds, as BuildContext::walk describes. `pending` holds the excluded
/// directories above that have not been visited yet: they are, just before the first entry
/// below them that is. Returns true when anything was visited.
bool walk_entry(const IgnoreRules& ignore, int parent_fd, const std::string& name, const std::string& path,
                const struct stat& st, std::vector<const ContextEntry*>& pending,
                const std::function<void(const ContextEntry&)>& visit) {
  ContextEntry entry{path, st, {}};
  if (S_ISLNK(st.st_mode)) {
    std::string target(static_cast<std::size_t>(st.st_size > 0 ? st.st_size : 255) + 1, '\0');
    for (;;) {
      ssize_t n = ::readlinkat(parent_fd, name.c_str(), target.data(), target.size());
      if (n < 0) throw_sys("readlink", path);
      if (static_cast<std::size_t>(n) < target.size()) {
        target.resize(static_cast<std::size_t>(n));
        break;
      }
      target.resize(target.size() * 2);
    }
    entry.link_target = std::move(target);
  }

  bool excluded = ignore.excluded(path);
  bool visited = false;
  if (!excluded) {
    for (const ContextEntry* directory : pending) visit(*directory);
    pending.clear();
    visit(entry);
    visited = true;
  } else if (!S_ISDIR(st.st_mode) || !ignore.may_include_below(path)) {
    return false;
  } else {
    pending.push_back(&entry);
  }

  if (S_ISDIR(st.st_mode)) {
    UniqueFd dir_fd;
    std::vector<std::string> names = list_directory(parent_fd, name, path, Listing::walk, &dir_fd);
    for (const std::string& child : names) {
      std::string child_path = join(path, child);
      struct stat child_st {};
      if (::fstatat(dir_fd.get(), child.c_str(), &child_st, AT_SYMLINK_NOFOLLOW) != 0) throw_sys("lstat", child_path);
      visited = walk_entry(ignore, dir_fd.get(), child, child_path, child_st, pending, visit) || visited;
    }
  }
  if (!pending.empty() && pending.back() == &entry) pending.pop_back();
  return visited;
}

char type_letter(mode_t mode) {
  if (S_ISREG(mode)) return 'f';
  if (S_ISDIR(mode)) return 'd';
  if (S_ISLNK(mode)) return 'l';
  if (S_ISFIFO(mode)) return 'p';
  if (S_ISSOCK(mode)) return 's';
  if (S_ISCHR(mode)) return 'c';
  if (S_ISBLK(mode)) return 'b';
  return '?';
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Paths and patterns

std::string clean_path(std::string_view path) {
  if (path.empty()) return ".";
  bool rooted = path[0] == '/';
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..")
        parts.pop_back();
      else if (!rooted)
        parts.push_back(part);
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    start = end + 1;
  }
  std::string cleaned = rooted ? "/" : "";
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) cleaned += '/';
    cleaned += parts[i];
  }
  return cleaned.empty() ? "." : cleaned;
}

PathPattern PathPattern::filepath_match(std::string_view pattern) { return PathPattern(pattern, false); }

PathPattern PathPattern::dockerignore(std::string_view pattern) { return PathPattern(pattern, true); }

PathPattern::PathPattern(std::string_view pattern, bool double_star) : text_(pattern) {
  auto bad = [] { return std::invalid_argument("syntax error in pattern"); };
  auto add_literal = [&](std::string_view bytes) {
    if (tokens_.empty() || tokens_.back().kind != Kind::literal) tokens_.push_back(Token{});
    tokens_.back().literal += bytes;
  };
  bool only_literals_after_first = true;  // for moby's `**literal` suffix match
  std::size_t i = 0;
  while (i < pattern.size()) {
    char c = pattern[i];
    if (c == '*') {
      bool first = i == 0;
      ++i;
      if (double_star && i < pattern.size() && pattern[i] == '*') {
        ++i;
        if (i < pattern.size() && pattern[i] == '/') ++i;  // `**/` is `**`
        tokens_.push_back(Token{i == pattern.size() ? Kind::anything : Kind::dirs, {}, {}, false});
        if (!first) only_literals_after_first = false;
      } else {
        tokens_.push_back(Token{Kind::star, {}, {}, false});
        only_literals_after_first = false;
      }
    } else if (c == '?') {
      tokens_.push_back(Token{Kind::any_char, {}, {}, false});
      only_literals_after_first = false;
      ++i;
    } else if (c == '\\') {
      if (++i == pattern.size()) throw bad();
      std::size_t width = 0;
      decode_rune(pattern.substr(i), width);
      add_literal(pattern.substr(i, width));
      i += width;
      only_literals_after_first = false;
    } else if (c == '[') {
      Token token{Kind::char_class, {}, {}, false};
      ++i;
      if (i < pattern.size() && pattern[i] == '^') {
        token.negated = true;
        ++i;
      }
      // One class character, possibly escaped (Go's getEsc): not `-` or `]` unescaped.
      auto class_char = [&]() -> char32_t {
        if (i == pattern.size() || pattern[i] == '-' || pattern[i] == ']') throw bad();
        if (pattern[i] == '\\' && ++i == pattern.size()) throw bad();
        std::size_t width = 0;
        char32_t rune = decode_rune(pattern.substr(i), width);
        i += width;
        return rune;
      };
      for (;;) {
        if (i == pattern.size()) throw bad();
        if (pattern[i] == ']' && !token.ranges.empty()) {
          ++i;
          break;
        }
        char32_t lo = class_char();
        char32_t hi = lo;
        if (i < pattern.size() && pattern[i] == '-') {
          ++i;
          hi = class_char();
        }
        token.ranges.emplace_back(lo, hi);
      }
      tokens_.push_back(std::move(token));
      only_literals_after_first = false;
    } else {
      std::size_t width = 0;
      decode_rune(pattern.substr(i), width);
      add_literal(pattern.substr(i, width));
      i += width;
    }
  }
  if (double_star && pattern.substr(0, 2) == "**" && only_literals_after_first) {
    // moby compiles such a pattern to a suffix test: `**/x` (x or .../x) and `**x` (...x).
    suffix_only_ = true;
    suffix_ = std::string(pattern.substr(2));
  }
}

bool PathPattern::match_from(std::size_t token, std::string_view rest, bool prefix) const {
  if (token == tokens_.size()) return rest.empty();
  if (prefix && rest.empty()) return true;
  const Token& t = tokens_[token];
  switch (t.kind) {
    case Kind::literal:
      if (rest.substr(0, t.literal.size()) == t.literal)
        return match_from(token + 1, rest.substr(t.literal.size()), prefix);
      return prefix && t.literal.size() > rest.size() && std::string_view(t.literal).substr(0, rest.size()) == rest;
    case Kind::any_char:
    case Kind::char_class: {
      if (rest.empty()) return false;
      std::size_t width = 0;
      char32_t rune = decode_rune(rest, width);
      if (t.kind == Kind::any_char) {
        if (rune == '/') return false;
      } else {
        bool in = std::any_of(t.ranges.begin(), t.ranges.end(),
                              [&](const auto& range) { return range.first <= rune && rune <= range.second; });
        if (in == t.negated) return false;
      }
      return match_from(token + 1, rest.substr(width), prefix);
    }
    case Kind::star:
      for (std::size_t n = 0;; ++n) {
        if (match_from(token + 1, rest.substr(n), prefix)) return true;
        if (n == rest.size() || rest[n] == '/') return false;
      }
    case Kind::dirs:
      // Nothing, or anything that ends with `/`.
      if (prefix) return true;
      if (match_from(token + 1, rest, prefix)) return true;
      for (std::size_t n = rest.find('/'); n != std::string_view::npos; n = rest.find('/', n + 1))
        if (match_from(token + 1, rest.substr(n + 1), prefix)) return true;
      return false;
    case Kind::anything:
      return true;
  }
  return false;
}

bool PathPattern::matches(std::string_view path) const {
  if (suffix_only_) {
    if (path.size() >= suffix_.size() && path.substr(path.size() - suffix_.size()) == suffix_) return true;
    return !suffix_.empty() && suffix_[0] == '/' && path == std::string_view(suffix_).substr(1);
  }
  return match_from(0, path, false);
}

bool PathPattern::may_match_below(std::string_view directory) const {
  if (suffix_only_) return true;  // some deeper path always ends with the suffix
  std::string below(directory);
  below += '/';
  return match_from(0, below, true);
}

// ---------------------------------------------------------------------------------------------
// .dockerignore

IgnoreRules IgnoreRules::parse(std::string_view text, const std::string& file_name) {
  IgnoreRules rules;
  bool first_line = true;
  while (!text.empty()) {
    std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    if (first_line && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);  // a UTF-8 byte order mark
    first_line = false;
    if (!line.empty() && line[0] == '#') continue;  // a comment only at the very start of the line
    line = trim_space(line);
    if (line.empty()) continue;
    std::string_view written = line;
    bool exception = line[0] == '!';
    if (exception) line = trim_space(line.substr(1));
    std::string pattern;
    if (!line.empty()) {
      pattern = clean_path(line);
      if (pattern.size() > 1 && pattern[0] == '/') pattern.erase(0, 1);
    }
    // moby cleans the line once more with its `!` (so `!/` is a lone `!`).
    pattern = clean_path((exception ? "!" : "") + pattern);
    exception = pattern[0] == '!';
    if (exception) {
      if (pattern.size() == 1) throw Error(file_name + ": illegal exclusion pattern: \"!\"");
      pattern.erase(0, 1);
    }
    try {
      rules.rules_.push_back(Rule{PathPattern::dockerignore(pattern), exception});
    } catch (const std::invalid_argument& error) {
      throw Error(file_name + ": \"" + std::string(written) + "\": " + error.what());
    }
    rules.has_exceptions_ = rules.has_exceptions_ || exception;
  }
  return rules;
}

bool IgnoreRules::excluded(std::string_view relative_path) const {
  std::string path = relative_form(relative_path);
  if (path == ".") return false;
  bool matched = false;
  for (const Rule& rule : rules_) {
    // Only a rule that would change the answer needs a look: the last match decides.
    if (rule.exception != matched) continue;
    bool match = rule.pattern.matches(path);
    for (std::size_t slash = path.find('/'); !match && slash != std::string::npos; slash = path.find('/', slash + 1))
      match = rule.pattern.matches(std::string_view(path).substr(0, slash));
    if (match) matched = !rule.exception;
  }
  return matched;
}

bool IgnoreRules::may_include_below(std::string_view directory) const {
  std::string path = relative_form(directory);
  for (const Rule& rule : rules_) {
    if (!rule.exception) continue;
    if (path == "." || rule.pattern.may_match_below(path) || rule.pattern.matches(path)) return true;
    for (std::size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1))
      if (rule.pattern.matches(std::string_view(path).substr(0, slash))) return true;
  }
  return false;
}

std::vector<std::string> IgnoreRules::patterns() const {
  std::vector<std::string> out;
  for (const Rule& rule : rules_) out.push_back((rule.exception ? "!" : "") + rule.pattern.text());
  return out;
}

IgnoreRules load_ignore_rules(const std::filesystem::path& context, const std::filesystem::path& dockerfile) {
  std::error_code ignored;
  if (!dockerfile.empty()) {
    std::filesystem::path specific = dockerfile;
    specific += ".dockerignore";
    if (std::filesystem::is_regular_file(specific, ignored))
      return IgnoreRules::parse(read_file(specific.string()), specific.string());
  }
  std::filesystem::path common = context / ".dockerignore";
  if (std::filesystem::is_regular_file(common, ignored))
    return IgnoreRules::parse(read_file(common.string()), common.string());
  return {};
}

// ---------------------------------------------------------------------------------------------
// The context

BuildContext::BuildContext(const std::filesystem::path& directory, IgnoreRules ignore)
    : directory_(directory), ignore_(std::move(ignore)), root_(open_fd(directory.string(), O_PATH | O_DIRECTORY)) {}

namespace {

/// A source as a path relative to the root, or the error BuildKit gives when it climbs out.
std::string relative_source(std::string_view source) {
  std::string cleaned = clean_path(source);
  if (cleaned == ".." || cleaned.rfind("../", 0) == 0)
    throw Error("forbidden path outside the build context: " + std::string(source) + " (" + cleaned + ")");
  return relative_form(cleaned);
}

}  // namespace

bool BuildContext::present(const std::string& relative_path) const {
  std::optional<Located> found = locate(root_.get(), relative_path);
  if (!found) return false;
  if (!ignore_.excluded(relative_path)) return true;
  if (!S_ISDIR(found->st.st_mode) || !ignore_.may_include_below(relative_path)) return false;
  // An excluded directory is in the context when something below it is.
  struct Found {};
  std::vector<const ContextEntry*> pending;
  try {
    walk_entry(ignore_, found->parent.get(), found->name, relative_path, found->st, pending,
               [](const ContextEntry&) { throw Found{}; });
  } catch (const Found&) {
    return true;
  }
  return false;
}

std::vector<std::string> BuildContext::match(std::string_view source) const {
  std::string path = relative_source(source);
  std::vector<std::string> matches;
  if (!has_wildcards(path)) {
    if (present(path)) matches.push_back(path);
  } else {
    std::vector<PathPattern> components;
    try {
      for (std::size_t start = 0; start <= path.size();) {
        std::size_t slash = std::min(path.find('/', start), path.size());
        components.push_back(PathPattern::filepath_match(std::string_view(path).substr(start, slash - start)));
        start = slash + 1;
      }
    } catch (const std::invalid_argument& error) {
      throw Error(shown(path) + ": " + error.what());
    }
    // Each component against the names of the directories the previous ones matched.
    std::vector<std::string> level{"."};
    for (const PathPattern& component : components) {
      std::vector<std::string> next;
      for (const std::string& directory : level)
        for (const std::string& name : list_directory(root_.get(), directory, directory, Listing::lookup))
          if (component.matches(name)) next.push_back(join(directory, name));
      level = std::move(next);
    }
    for (std::string& candidate : level)
      if (present(candidate)) matches.push_back(std::move(candidate));
  }
  if (matches.empty()) throw not_found(path);
  std::sort(matches.begin(), matches.end());
  matches.erase(std::unique(matches.begin(), matches.end()), matches.end());
  return matches;
}

void BuildContext::walk(const std::string& source, const std::function<void(const ContextEntry&)>& visit) const {
  std::string path = relative_source(source);
  std::optional<Located> found = locate(root_.get(), path);
  if (!found) throw not_found(path);
  std::vector<const ContextEntry*> pending;
  if (!walk_entry(ignore_, found->parent.get(), found->name, path, found->st, pending, visit)) throw not_found(path);
}

UniqueFd BuildContext::open(const std::string& relative_path) const {
  std::string path = relative_source(relative_path);
  // O_NONBLOCK: a FIFO would block the open; it is refused below anyway.
  UniqueFd fd(open_beneath(root_.get(), path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK));
  if (!fd) throw_sys("open", path);
  struct stat st {};
  check(::fstat(fd.get(), &st), "fstat", path);
  if (!S_ISREG(st.st_mode)) throw Error(path + ": not a regular file");
  int flags = check(::fcntl(fd.get(), F_GETFL), "fcntl", path);
  check(::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK), "fcntl", path);
  return fd;
}

std::string BuildContext::checksum(const std::vector<std::string>& sources) const {
  ch10::Sha256 hash;
  for (const std::string& source : sources) {
    walk(source, [&](const ContextEntry& entry) {
      const struct stat& st = entry.st;
      bool regular = S_ISREG(st.st_mode);
      bool device = S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode);
      // One record an entry; NUL cannot be in a path or a link target, the contents' length
      // is in the record: no two different trees give the same bytes.
      std::string record;
      record += type_letter(st.st_mode);
      record += '\0' + entry.path;
      record += '\0' + std::to_string(st.st_mode & 07777);
      record += '\0' + std::to_string(st.st_uid);
      record += '\0' + std::to_string(st.st_gid);
      record += '\0' + std::to_string(regular ? st.st_size : 0);
      record += '\0' + (device ? std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev)) : "");
      record += '\0' + entry.link_target;
      record += '\0';
      hash.update(record);
      if (!regular) return;
      UniqueFd fd = open(entry.path);
      char buffer[65536];
      off_t total = 0;
      for (;;) {
        ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0) {
          if (errno == EINTR) continue;
          throw_sys("read", entry.path);
        }
        if (n == 0) break;
        total += n;
        if (total > st.st_size) break;
        hash.update(buffer, static_cast<std::size_t>(n));
      }
      if (total != st.st_size) throw Error(entry.path + ": file changed while it was read");
    });
  }
  return hash.digest();
}

}  // namespace dockling::ch11
