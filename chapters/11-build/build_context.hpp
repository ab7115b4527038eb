/// @file build_context.hpp
/// @brief The build context of `build CONTEXT`: the directory COPY and ADD read from, the
/// `.dockerignore` rules that leave files out of it (moby's patternmatcher), the sources of an
/// instruction matched against it, and the checksum of what they copy (the cache key's part
/// that comes from the context).
///
/// Everything is read beneath one directory descriptor with openat2(2) RESOLVE_BENEATH: a
/// symbolic link in the context that points outside it is copied as a link, and nothing
/// outside the context is ever opened through it.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dockling/error.hpp"
#include "dockling/fd.hpp"

namespace dockling::ch11 {

/// `path` cleaned as Go's filepath.Clean does: repeated `/` and `.` components dropped, `x/..`
/// removed, `..` at the start of a rooted path dropped; "" becomes ".". Lexical only.
std::string clean_path(std::string_view path);

/// A shell pattern of Go's filepath.Match, or of a `.dockerignore` line (moby's
/// patternmatcher, which adds `**`).
///
/// The syntax: `*` any run of characters but `/`; `?` one character but `/`; `[abc]`, `[a-z]`,
/// `[^a-z]` one character in (or, with `^`, not in) the class (`!` is no negation: Go's rule);
/// `\c` the character c, inside a class too. A malformed pattern (`[`, `[]`, `[-x]`, `[x-]`,
/// `[a-b-c]`, a trailing `\`) is refused. In a `.dockerignore` pattern `**` (and `**/`) also
/// matches any number of directories, none included: `**/x` matches `x` and `a/b/x`, and a
/// pattern ending in `**` anything at all. As in moby, a pattern that starts with `**` and has
/// no other special character matches by suffix (`**file` matches `xfile`).
class PathPattern {
 public:
  /// Go's filepath.Match pattern (a COPY source's component): `**` is `*` twice.
  /// @throws std::invalid_argument "syntax error in pattern" when malformed.
  static PathPattern filepath_match(std::string_view pattern);
  /// A `.dockerignore` pattern, already cleaned: `**` matches across directories.
  /// @throws std::invalid_argument "syntax error in pattern" when malformed.
  static PathPattern dockerignore(std::string_view pattern);

  /// True when the whole of `path` matches.
  bool matches(std::string_view path) const;
  /// True when some path below the directory `directory` (`directory/...`) could match.
  bool may_match_below(std::string_view directory) const;
  /// The pattern as written.
  const std::string& text() const noexcept { return text_; }

 private:
  enum class Kind : std::uint8_t { literal, any_char, char_class, star, dirs, anything };
  struct Token {
    Kind kind = Kind::literal;
    std::string literal;                                ///< Kind::literal: the bytes to match
    std::vector<std::pair<char32_t, char32_t>> ranges;  ///< Kind::char_class: lo..hi inclusive
    bool negated = false;                               ///< Kind::char_class: `[^...]`
  };

  PathPattern(std::string_view pattern, bool double_star);
  bool match_from(std::size_t token, std::string_view rest, bool prefix) const;

  std::string text_;
  std::vector<Token> tokens_;
  bool suffix_only_ = false;  ///< moby's `**literal`: matches any path ending in suffix_
  std::string suffix_;
};

/// The rules of a `.dockerignore` file, as BuildKit applies them to the files of the context.
///
/// Lines: a line that starts with `#` is a comment; surrounding white space is trimmed; empty
/// lines are skipped; `!pattern` is an exception (it brings back what an earlier rule left
/// out); the pattern is cleaned (filepath.Clean) and a leading `/` dropped. A rule matches a
/// path when its pattern matches the path or one of the directories above it (`dir` leaves
/// out `dir/a/b`). The last rule that matches decides.
class IgnoreRules {
 public:
  /// No rules: nothing is left out.
  IgnoreRules() = default;

  /// Parses the text of a `.dockerignore` file.
  /// @param text the file's contents.
  /// @param file_name the file, for the messages.
  /// @throws Error naming the file and the pattern for a malformed pattern or a lone `!`:
  ///   `.dockerignore: syntax error in pattern "a[": ...`.
  static IgnoreRules parse(std::string_view text, const std::string& file_name);

  /// True when `relative_path` (relative to the context, `/`-separated) is left out of the
  /// context. The context's root (`.` or "") never is.
  bool excluded(std::string_view relative_path) const;
  /// True when some `!` exception could bring back a path below the directory `directory`
  /// (a walk must still descend into it when it is excluded; moby's rule).
  bool may_include_below(std::string_view directory) const;
  /// True when there is at least one `!` exception.
  bool has_exceptions() const noexcept { return has_exceptions_; }
  /// True when there are no rules.
  bool empty() const noexcept { return rules_.empty(); }
  /// The patterns, cleaned, exceptions with their `!`, in order.
  std::vector<std::string> patterns() const;

 private:
  struct Rule {
    PathPattern pattern;
    bool exception = false;
  };
  std::vector<Rule> rules_;
  bool has_exceptions_ = false;
};

/// The ignore rules of a build: `<Dockerfile>.dockerignore` beside the Dockerfile when there
/// is one (BuildKit's rule: `app.Dockerfile.dockerignore` for `app.Dockerfile`), else
/// CONTEXT/.dockerignore, else none.
/// @throws Error for a malformed pattern (naming the file); SysError when a file exists but
///   cannot be read.
IgnoreRules load_ignore_rules(const std::filesystem::path& context, const std::filesystem::path& dockerfile);

/// One file, directory, link or other entry of the context.
struct ContextEntry {
  std::string path;         ///< relative to the context, cleaned; "." for the context itself
  struct stat st {};        ///< lstat(2) of it (a link is not followed)
  std::string link_target;  ///< a symbolic link's target as written; "" otherwise
};

/// The context directory of a build, opened once, with the rules that leave files out of it.
/// Relative paths name the context's root ".".
class BuildContext {
 public:
  /// Opens `directory` (O_PATH).
  /// @throws SysError naming the directory when it cannot be opened or is not a directory.
  explicit BuildContext(const std::filesystem::path& directory, IgnoreRules ignore = {});

  /// The sources that a COPY or ADD source (after variable substitution) names: `source` is
  /// relative to the context's root (a leading `/` is the root) and cleaned; wildcards (`*`,
  /// `?`, `[`) match, as filepath.Match, each component against the context's entries (an
  /// intermediate symbolic link is followed while it stays in the context). A source without
  /// wildcards (`\*` is none: BuildKit's rule) is a literal path, backslashes included. Entries the
  /// ignore rules leave out do not exist (an excluded directory does when an exception
  /// brings back something below it).
  /// @return the matches, sorted, cleaned, relative ("." for the root).
  /// @throws Error "forbidden path outside the build context: ../x (../x)" for a source that
  ///   climbs out of the context; Error `"/x": not found` when nothing matches.
  std::vector<std::string> match(std::string_view source) const;

  /// Visits `source` (a path match() returned) and, when it is a directory, everything below
  /// it that the ignore rules keep: a directory before what it holds, names sorted (bytewise).
  /// Symbolic links are entries, never followed. A directory that is excluded but holds
  /// something an exception brings back is visited just before the first such entry.
  /// @throws Error like match() for a source that climbs out or does not exist (or is
  ///   excluded); SysError naming the relative path of a directory or entry that cannot be
  ///   read, and for an error of `visit`, whatever it throws.
  void walk(const std::string& source, const std::function<void(const ContextEntry&)>& visit) const;

  /// A regular file of the context opened for reading, beneath the root, without following a
  /// symbolic link at the end (O_NOFOLLOW): to copy its contents.
  /// @throws SysError naming `relative_path` (ELOOP for a link, EXDEV for a path through a link
  ///   that leaves the context); Error when it is not a regular file.
  UniqueFd open(const std::string& relative_path) const;

  /// The checksum of what `sources` (paths match() returned) copy: "sha256:<hex>" over every
  /// entry walk() visits for them in order: path, type, permission bits, uid, gid, size,
  /// device number, link target, and a regular file's contents; not the times, not the inode.
  /// Two contexts with the same files have the same checksum.
  /// @throws what walk() and open() throw; Error when a file changes size while it is read.
  std::string checksum(const std::vector<std::string>& sources) const;

  /// The context's directory as given.
  const std::filesystem::path& directory() const noexcept { return directory_; }
  /// The ignore rules in force.
  const IgnoreRules& ignore_rules() const noexcept { return ignore_; }

 private:
  bool present(const std::string& relative_path) const;

  std::filesystem::path directory_;
  IgnoreRules ignore_;
  UniqueFd root_;
};

}  // namespace dockling::ch11
