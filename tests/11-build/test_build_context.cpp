// The build context: .dockerignore rules (moby's patternmatcher), COPY sources matched against
// a real directory, the walk, open beneath the root, and the checksum of what is copied.
#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "build_context.hpp"
#include "dockling/error.hpp"
#include "dockling/fd.hpp"
#include "dockling/fs.hpp"
#include "dockling/tempdir.hpp"

namespace dockling::ch11 {
namespace {

namespace fs = std::filesystem;
using Paths = std::vector<std::string>;

/// Files for a context: a path ending in `/` is a directory, else a file with that content.
void make_tree(const fs::path& root, const std::vector<std::pair<std::string, std::string>>& files) {
  for (const auto& [path, content] : files) {
    if (path.back() == '/') {
      fs::create_directories(root / path);
    } else {
      fs::create_directories((root / path).parent_path());
      write_file((root / path).string(), content);
    }
  }
}

IgnoreRules rules(const std::string& text) { return IgnoreRules::parse(text, ".dockerignore"); }

Paths walked(const BuildContext& context, const std::string& source) {
  Paths paths;
  context.walk(source, [&](const ContextEntry& entry) { paths.push_back(entry.path); });
  return paths;
}

std::string error_of(const std::function<void()>& body) {
  try {
    body();
  } catch (const Error& error) {
    return error.what();
  }
  return "no error";
}

// ---------------------------------------------------------------------------------------------
// Patterns

struct PatternCase {
  const char* pattern;
  const char* path;
  bool excluded;
};

// Cases from moby/patternmatcher's tests (MatchesOrParentMatches: a pattern matches the path
// or a directory above it).
TEST(IgnoreRules, MobysPatternTable) {
  const PatternCase cases[] = {
      {"**", "file", true},
      {"**", "dir/file", true},
      {"**/", "file", true},
      {"**/**", "dir/file", true},
      {"dir/**", "dir/file", true},
      {"dir/**", "dir/dir2/file", true},
      {"**/dir", "dir", true},
      {"**/dir", "dir/file", true},
      {"**/dir2/*", "dir/dir2/file", true},
      {"**/dir2/**", "dir/dir2/dir3/file", true},
      {"**file", "file", true},
      {"**file", "dir/file", true},
      {"**/file", "dir/file", true},
      {"**file", "dir/dir/file", true},
      {"**/file", "dir/dir/file", true},
      {"**/file*", "dir/dir/file", true},
      {"**/file*", "dir/dir/file.txt", true},
      {"**/file*txt", "dir/dir/file.txt", true},
      {"**/file*.txt", "dir/dir/file.txt", true},
      {"**/file*.txt*", "dir/dir/file.txt", true},
      {"**/**/*.txt", "dir/dir/file.txt", true},
      {"**/**/*.txt2", "dir/dir/file.txt", false},
      {"**/*.txt", "file.txt", true},
      {"**/**/*.txt", "file.txt", true},
      {"a**/*.txt", "a/file.txt", true},
      {"a**/*.txt", "a/dir/file.txt", true},
      {"a**/*.txt", "a/dir/dir/file.txt", true},
      {"a/*.txt", "a/dir/file.txt", false},
      {"a/*.txt", "a/file.txt", true},
      {"a/*.txt**", "a/file.txt", true},
      {"a[b-d]e", "ae", false},
      {"a[b-d]e", "ace", true},
      {"a[b-d]e", "aae", false},
      {"a[^b-d]e", "aze", true},
      {".*", ".foo", true},
      {".*", "foo", false},
      {"abc.def", "abcdef", false},
      {"abc.def", "abc.def", true},
      {"abc.def", "abcZdef", false},
      {"abc?def", "abcZdef", true},
      {"abc?def", "abcdef", false},
      {"**/foo/bar", "foo/bar", true},
      {"**/foo/bar", "dir/foo/bar", true},
      {"**/foo/bar", "dir/dir2/foo/bar", true},
      {"abc/**", "abc", false},
      {"abc/**", "abc/def", true},
      {"abc/**", "abc/def/ghi", true},
      {"**/.foo", ".foo", true},
      {"**/.foo", "bar.foo", false},
      {"a(b)c/def", "a(b)c/def", true},
      {"a(b)c/def", "a(b)c/xyz", false},
      {"a.|)$(}+{bc", "a.|)$(}+{bc", true},
      {"dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true},
      {"a\\\\", "a\\", true},
      {"a\\*b", "a*b", true},
      {"a\\*b", "axb", false},
      // A pattern matches everything below a directory it matches.
      {"docs", "docs/README.md", true},
      {"docs/", "docs/a/b/c", true},
      {"*/tmp", "src/tmp/x.o", true},
      {"*/tmp", "src/a/tmp", false},
      {"*", "anything/at/all", true},
      {"/abs", "abs", true},
      {"./dot/../here", "here/x", true},
  };
  for (const PatternCase& c : cases)
    EXPECT_EQ(rules(c.pattern).excluded(c.path), c.excluded) << "pattern " << c.pattern << " path " << c.path;
  // moby's quirk, kept: `**` then only ordinary characters is a suffix test.
  EXPECT_TRUE(rules("**file").excluded("dir/xfile"));
  EXPECT_FALSE(rules("**/file").excluded("dir/xfile"));
}

struct MatchCase {
  const char* pattern;
  const char* name;
  bool match;
  bool bad = false;
};

// Cases from Go's path/filepath Match tests, as moby's suite carries them.
TEST(IgnoreRules, GoFilepathMatchTable) {
  const MatchCase cases[] = {
      {"abc", "abc", true},
      {"*", "abc", true},
      {"*c", "abc", true},
      {"a*", "a", true},
      {"a*", "abc", true},
      {"a*", "ab/c", false},
      {"a*/b", "abc/b", true},
      {"a*/b", "a/c/b", false},
      {"a*b*c*d*e*/f", "axbxcxdxe/f", true},
      {"a*b*c*d*e*/f", "axbxcxdxexxx/f", true},
      {"a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false},
      {"a*b*c*d*e*/f", "axbxcxdxexxx/fff", false},
      {"a*b?c*x", "abxbbxdbxebxczzx", true},
      {"a*b?c*x", "abxbbxdbxebxczzy", false},
      {"ab[c]", "abc", true},
      {"ab[b-d]", "abc", true},
      {"ab[e-g]", "abc", false},
      {"ab[^c]", "abc", false},
      {"ab[^b-d]", "abc", false},
      {"ab[^e-g]", "abc", true},
      {"ab[!c]", "abc", true},  // `!` is no negation in Go: the class is {!, c}
      {"ab[!c]", "ab!", true},
      {"ab[!c]", "abd", false},
      {"a\\*b", "a*b", true},
      {"a\\*b", "ab", false},
      {"a?b", "a\u263ab", true},
      {"a[^a]b", "a\u263ab", true},
      {"a???b", "a\u263ab", false},
      {"a[^a][^a][^a]b", "a\u263ab", false},
      {"[a-\u03b6]*", "\u03b1", true},
      {"*[a-\u03b6]", "A", false},
      {"a?b", "a/b", false},
      {"a?b", "a\xff\x62", true},           // a byte that is no UTF-8 is one character (\x62 is b)
      {"a?b", "a\xf8\x80\x80\x62", false},  // so is a lead byte past 0xF4
      {"a???b", "a\xf8\x80\x80\x62", true},
      {"a?b", "a\xe2\x98\x62", false},  // a character cut short: two
      {"a*b", "a/b", false},
      {"[\\]a]", "]", true},
      {"[\\-]", "-", true},
      {"[x\\-]", "x", true},
      {"[x\\-]", "-", true},
      {"[x\\-]", "z", false},
      {"[\\-x]", "x", true},
      {"[\\-x]", "-", true},
      {"[\\-x]", "a", false},
      {"*x", "xxx", true},
      {"**", "abc", true},  // without `.dockerignore`'s `**`, just two stars
      {"[]a]", "]", false, true},
      {"[-]", "-", false, true},
      {"[x-]", "x", false, true},
      {"[-x]", "x", false, true},
      {"\\", "a", false, true},
      {"[a-b-c]", "a", false, true},
      {"[", "a", false, true},
      {"[^", "a", false, true},
      {"[^bc", "a", false, true},
      {"a[", "a", false, true},
      {"a[", "ab", false, true},
  };
  for (const MatchCase& c : cases) {
    if (c.bad) {
      EXPECT_THROW(PathPattern::filepath_match(c.pattern), std::invalid_argument) << c.pattern;
      EXPECT_THROW(PathPattern::dockerignore(c.pattern), std::invalid_argument) << c.pattern;
    } else {
      EXPECT_EQ(PathPattern::filepath_match(c.pattern).matches(c.name), c.match)
          << "pattern " << c.pattern << " name " << c.name;
    }
  }
}

TEST(IgnoreRules, CleanPath) {
  EXPECT_EQ(clean_path(""), ".");
  EXPECT_EQ(clean_path("./a//b/"), "a/b");
  EXPECT_EQ(clean_path("a/../../b"), "../b");
  EXPECT_EQ(clean_path("/../x"), "/x");
  EXPECT_EQ(clean_path("/"), "/");
  EXPECT_EQ(clean_path("a/b/.."), "a");
}

// ---------------------------------------------------------------------------------------------
// The file

TEST(IgnoreRules, LinesCommentsWhitespaceAndLeadingSlash) {
  // The lines of moby's ignorefile test, and a few more.
  IgnoreRules parsed = rules(
      "\xEF\xBB\xBFtest1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n"
      "  spaced/  \r\n\t\n  # not a comment: it does not start the line\n./x/../y\n");
  EXPECT_EQ(parsed.patterns(), (Paths{"test1", "test2", "a/file/here", "lastfile", "!inverted/abs/path", "spaced",
                                      "# not a comment: it does not start the line", "y"}));
  EXPECT_TRUE(parsed.has_exceptions());
  EXPECT_FALSE(rules("a\nb\n").has_exceptions());
  EXPECT_TRUE(IgnoreRules().empty());
  EXPECT_FALSE(IgnoreRules().excluded("anything"));
}

TEST(IgnoreRules, ExceptionsAndTheLastMatchWins) {
  IgnoreRules docs = rules("docs\n!docs/README.md\n");
  EXPECT_TRUE(docs.excluded("docs"));
  EXPECT_TRUE(docs.excluded("docs/guide.md"));
  EXPECT_FALSE(docs.excluded("docs/README.md"));
  EXPECT_FALSE(docs.excluded("src/main.c"));

  // The order decides: an exception before the rule it would undo does nothing.
  EXPECT_TRUE(rules("!keep.go\n*.go\n").excluded("keep.go"));
  EXPECT_FALSE(rules("*.go\n!keep.go\n").excluded("keep.go"));
  EXPECT_TRUE(rules("*.go\n!keep.go\nkeep.go\n").excluded("keep.go"));

  // An exception for a directory brings back what is below it, until a later rule.
  IgnoreRules web = rules("**\n!util/docker/web\n");
  EXPECT_FALSE(web.excluded("util/docker/web/foo"));
  EXPECT_TRUE(web.excluded("util/docker/other"));
  EXPECT_TRUE(rules("**\n!util/docker/web\nutil/docker/web/foo\n").excluded("util/docker/web/foo"));
  EXPECT_FALSE(rules("**\n!dist/*.whl\n").excluded("dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl"));

  // The root is never excluded, whatever the rules.
  EXPECT_FALSE(rules("*\n**\n.\n").excluded("."));
  EXPECT_FALSE(rules("*\n").excluded(""));
}

TEST(IgnoreRules, WhetherAWalkMustDescend) {
  IgnoreRules docs = rules("docs\nnode_modules\n!docs/keep/*.md\n");
  EXPECT_TRUE(docs.may_include_below("docs"));
  EXPECT_TRUE(docs.may_include_below("docs/keep"));
  EXPECT_FALSE(docs.may_include_below("docs/other"));
  EXPECT_FALSE(docs.may_include_below("node_modules"));
  EXPECT_TRUE(rules("*\n!**/keep\n").may_include_below("a/b/c"));
  EXPECT_TRUE(rules("*\n!*/keep\n").may_include_below("a"));
  EXPECT_FALSE(rules("*\n!*/keep\n").may_include_below("a/b"));
  EXPECT_FALSE(rules("*\n").may_include_below("a"));
  EXPECT_TRUE(rules("x\n!y\n").may_include_below("."));
}

TEST(IgnoreRules, AMalformedPatternNamesTheFileAndThePattern) {
  EXPECT_EQ(error_of([] { IgnoreRules::parse("ok\n  a[  \n", "ctx/.dockerignore"); }),
            "ctx/.dockerignore: \"a[\": syntax error in pattern");
  EXPECT_EQ(error_of([] { IgnoreRules::parse("!\n", "ctx/.dockerignore"); }),
            "ctx/.dockerignore: illegal exclusion pattern: \"!\"");
  EXPECT_EQ(error_of([] { IgnoreRules::parse("x\n!/\n", "f"); }), "f: illegal exclusion pattern: \"!\"");
  EXPECT_EQ(error_of([] { IgnoreRules::parse("!x[\\\n", "f"); }), "f: \"!x[\\\": syntax error in pattern");
}

TEST(IgnoreRules, TheDockerfilesOwnIgnoreFileWins) {
  TempDir tmp{"dockling-ch11-ignore"};
  fs::path context = tmp.path() / "context";
  fs::create_directories(context / "build");
  fs::path dockerfile = context / "build" / "app.Dockerfile";
  write_file(dockerfile.string(), "FROM scratch\n");
  EXPECT_TRUE(load_ignore_rules(context, dockerfile).empty());

  write_file((context / ".dockerignore").string(), "from-context\n");
  EXPECT_EQ(load_ignore_rules(context, dockerfile).patterns(), Paths{"from-context"});

  write_file((context / "build" / "app.Dockerfile.dockerignore").string(), "from-dockerfile\n");
  EXPECT_EQ(load_ignore_rules(context, dockerfile).patterns(), Paths{"from-dockerfile"});
  // Another Dockerfile beside it has no ignore file of its own: the context's applies.
  EXPECT_EQ(load_ignore_rules(context, context / "build" / "Dockerfile").patterns(), Paths{"from-context"});

  write_file((context / ".dockerignore").string(), "[\n");
  std::string message = error_of([&] { load_ignore_rules(context, context / "Dockerfile"); });
  EXPECT_EQ(message, (context / ".dockerignore").string() + ": \"[\": syntax error in pattern");
}

// ---------------------------------------------------------------------------------------------
// The context

TEST(BuildContext, MatchesLiteralsWildcardsAndTheRoot) {
  TempDir tmp{"dockling-ch11-context"};
  make_tree(tmp.path(), {{"a.txt", "a"},
                         {"b.txt", "b"},
                         {".hidden", "h"},
                         {"src/main.c", "int main;"},
                         {"src/util.c", "u"},
                         {"src/include/util.h", "h"},
                         {"lib/x.c", "x"},
                         {"star*name", "s"},
                         {"lit\\*x", "l"},
                         {"empty/", ""}});
  BuildContext context(tmp.path());
  EXPECT_EQ(context.match("a.txt"), Paths{"a.txt"});
  EXPECT_EQ(context.match("/src/./main.c"), Paths{"src/main.c"});
  EXPECT_EQ(context.match("src/"), Paths{"src"});
  EXPECT_EQ(context.match("."), Paths{"."});
  EXPECT_EQ(context.match("/"), Paths{"."});
  EXPECT_EQ(context.match("*.txt"), (Paths{"a.txt", "b.txt"}));
  EXPECT_EQ(context.match("*/*.c"), (Paths{"lib/x.c", "src/main.c", "src/util.c"}));
  EXPECT_EQ(context.match("src/[mu]*"), (Paths{"src/main.c", "src/util.c"}));
  EXPECT_EQ(context.match("?.txt"), (Paths{"a.txt", "b.txt"}));
  EXPECT_EQ(context.match(".h*"), Paths{".hidden"});  // Go's `*` matches a leading dot
  EXPECT_EQ(context.match("star*name"), Paths{"star*name"});
  // BuildKit's rule: a source whose only special characters are escaped is a literal path.
  EXPECT_EQ(context.match("lit\\*x"), Paths{"lit\\*x"});
  EXPECT_EQ(error_of([&] { context.match("star\\*name"); }), "\"/star\\*name\": not found");
  EXPECT_EQ(context.match("e*"), Paths{"empty"});
  EXPECT_EQ(context.match("src/../a.txt"), Paths{"a.txt"});
}

TEST(BuildContext, ASourceThatClimbsOutIsForbidden) {
  TempDir tmp{"dockling-ch11-context"};
  make_tree(tmp.path(), {{"x", "inside"}});
  BuildContext context(tmp.path() / "");
  EXPECT_EQ(error_of([&] { context.match("../x"); }), "forbidden path outside the build context: ../x (../x)");
  EXPECT_EQ(error_of([&] { context.match("a/../../x"); }),
            "forbidden path outside the build context: a/../../x (../x)");
  EXPECT_EQ(error_of([&] { context.match(".."); }), "forbidden path outside the build context: .. (..)");
  EXPECT_EQ(error_of([&] { context.walk("../x", [](const ContextEntry&) {}); }),
            "forbidden path outside the build context: ../x (../x)");
  EXPECT_EQ(error_of([&] { context.open("../x"); }), "forbidden path outside the build context: ../x (../x)");
  // From the root, `..` stays at the root (as in BuildKit): /../x is /x.
  EXPECT_EQ(context.match("/../x"), Paths{"x"});
}

TEST(BuildContext, AMissingSourceIsNotFound) {
  TempDir tmp{"dockling-ch11-context"};
  make_tree(tmp.path(), {{"a.txt", "a"}, {"dir/", ""}});
  BuildContext context(tmp.path());
  EXPECT_EQ(error_of([&] { context.match("nope"); }), "\"/nope\": not found");
  EXPECT_EQ(error_of([&] { context.match("/dir/nope/"); }), "\"/dir/nope\": not found");
  EXPECT_EQ(error_of([&] { context.match("*.nope"); }), "\"/*.nope\": not found");
  EXPECT_EQ(error_of([&] { context.match("a.txt/x"); }), "\"/a.txt/x\": not found");
  EXPECT_EQ(error_of([&] { context.match("nodir/*"); }), "\"/nodir/*\": not found");
  EXPECT_EQ(error_of([&] { context.match("a[.txt"); }), "\"/a[.txt\": syntax error in pattern");
  EXPECT_EQ(error_of([&] { context.walk("nope", [](const ContextEntry&) {}); }), "\"/nope\": not found");
}

TEST(BuildContext, IgnoredFilesAreNotInTheContext) {
  TempDir tmp{"dockling-ch11-context"};
  make_tree(tmp.path(), {{"app.py", "print()"},
                         {"app.pyc", "bytecode"},
                         {"secret.env", "KEY=1"},
                         {"docs/guide.md", "g"},
                         {"docs/keep/README.md", "r"},
                         {"docs/keep/notes.txt", "n"},
                         {"node_modules/left/pad.js", "p"},
                         {".git/HEAD", "ref"}});
  BuildContext context(tmp.path(), rules("*.pyc\nsecret.env\n.git\nnode_modules\ndocs\n!docs/keep/*.md\n"));
  EXPECT_EQ(context.match("*"), (Paths{"app.py", "docs"}));  // docs: an exception keeps something below it
  EXPECT_EQ(error_of([&] { context.match("secret.env"); }), "\"/secret.env\": not found");
  EXPECT_EQ(error_of([&] { context.match("node_modules"); }), "\"/node_modules\": not found");
  EXPECT_EQ(error_of([&] { context.match("docs/guide.md"); }), "\"/docs/guide.md\": not found");
  EXPECT_EQ(context.match("docs/keep/*"), Paths{"docs/keep/README.md"});

  // The walk: directories first, names sorted, excluded trees left out, and an excluded
  // directory visited just before the entry an exception keeps.
  EXPECT_EQ(walked(context, "."), (Paths{".", "app.py", "docs", "docs/keep", "docs/keep/README.md"}));
  EXPECT_EQ(walked(context, "docs"), (Paths{"docs", "docs/keep", "docs/keep/README.md"}));
  EXPECT_EQ(error_of([&] { walked(context, "node_modules"); }), "\"/node_modules\": not found");

  BuildContext everything(tmp.path());
  EXPECT_EQ(walked(everything, "docs"),
            (Paths{"docs", "docs/guide.md", "docs/keep", "docs/keep/README.md", "docs/keep/notes.txt"}));
}

TEST(BuildContext, ALinkToOutsideIsAnEntryAndNothingOutsideIsRead) {
  TempDir outside{"dockling-ch11-outside"};
  write_file((outside.path() / "secret").string(), "outside the context");
  TempDir tmp{"dockling-ch11-context"};
  make_tree(tmp.path(), {{"file", "inside"}, {"dir/f", "in dir"}});
  fs::create_symlink("/etc/passwd", tmp.path() / "passwd");
  fs::create_symlink("../../../../../../../../etc/passwd", tmp.path() / "dir" / "up");
  fs::create_symlink("/etc", tmp.path() / "etc");
  fs::create_symlink(outside.path() / "secret", tmp.path() / "secret");
  fs::create_symlink("dir", tmp.path() / "inside");
  BuildContext context(tmp.path());

  std::map<std::string, ContextEntry> entries;
  Paths order;
  context.walk(".", [&](const ContextEntry& entry) {
    entries[entry.path] = entry;
    order.push_back(entry.path);
  });
  EXPECT_EQ(order, (Paths{".", "dir", "dir/f", "dir/up", "etc", "file", "inside", "passwd", "secret"}));
  EXPECT_TRUE(S_ISLNK(entries["passwd"].st.st_mode));
  EXPECT_EQ(entries["passwd"].link_target, "/etc/passwd");
  EXPECT_TRUE(S_ISLNK(entries["etc"].st.st_mode));
  EXPECT_EQ(entries["etc"].link_target, "/etc");
  EXPECT_TRUE(S_ISLNK(entries["inside"].st.st_mode)) << "not followed";
  EXPECT_EQ(entries["dir/up"].link_target, "../../../../../../../../etc/passwd");
  EXPECT_TRUE(S_ISREG(entries["file"].st.st_mode));
  EXPECT_EQ(entries["file"].st.st_size, 6);
  EXPECT_TRUE(entries["."].link_target.empty());

  // open() never follows the last link, and no path leaves the context through a link.
  try {
    context.open("passwd");
    ADD_FAILURE() << "opened a link";
  } catch (const SysError& error) {
    EXPECT_EQ(error.error_number(), ELOOP);
    EXPECT_EQ(error.argument(), "passwd");
  }
  try {
    context.open("etc/passwd");
    ADD_FAILURE() << "opened /etc/passwd through a link";
  } catch (const SysError& error) {
    EXPECT_EQ(error.error_number(), EXDEV);
  }
  EXPECT_EQ(error_of([&] { context.match("etc/passwd"); }), "\"/etc/passwd\": not found");
  EXPECT_EQ(error_of([&] { context.match("etc/*"); }), "\"/etc/*\": not found");
  EXPECT_EQ(error_of([&] { walked(context, "etc/passwd"); }), "\"/etc/passwd\": not found");
  // A link that stays in the context may be a path's directory.
  EXPECT_EQ(context.match("inside/up"), Paths{"inside/up"});
  EXPECT_EQ(read_all(context.open("inside/f").get()), "in dir");
  try {
    context.open("dir/up");
    ADD_FAILURE() << "opened a link";
  } catch (const SysError& error) {
    EXPECT_EQ(error.error_number(), ELOOP);
  }

  // The checksum covers the links, not what they point to.
  std::string before = context.checksum({"."});
  write_file((outside.path() / "secret").string(), "changed outside");
  EXPECT_EQ(context.checksum({"."}), before);
}

TEST(BuildContext, OpenIsForRegularFiles) {
  TempDir tmp{"dockling-ch11-context"};
  make_tree(tmp.path(), {{"file", "contents"}, {"dir/", ""}});
  ASSERT_EQ(::mkfifo((tmp.path() / "fifo").c_str(), 0644), 0);
  BuildContext context(tmp.path());
  EXPECT_EQ(read_all(context.open("/file").get()), "contents");
  EXPECT_EQ(error_of([&] { context.open("fifo"); }), "fifo: not a regular file");
  EXPECT_EQ(error_of([&] { context.open("dir"); }), "dir: not a regular file");
  EXPECT_THROW(context.open("missing"), SysError);
  // The checksum does not try to read a FIFO (it would wait for a writer).
  EXPECT_EQ(context.checksum({"fifo"}).size(), 71u);
}

TEST(BuildContext, TheChecksumIgnoresTimesButNotContentsModesOrNames) {
  const std::vector<std::pair<std::string, std::string>> files{
      {"app/main.py", "print('hello')\n"}, {"app/lib/util.py", "X = 1\n"}, {"README", "readme\n"}};
  TempDir one{"dockling-ch11-sum"};
  TempDir two{"dockling-ch11-sum"};
  make_tree(one.path(), files);
  make_tree(two.path(), files);
  fs::create_symlink("main.py", one.path() / "app" / "link");
  fs::create_symlink("main.py", two.path() / "app" / "link");
  BuildContext first(one.path());
  BuildContext second(two.path());
  std::string sum = first.checksum({"app", "README"});
  EXPECT_EQ(sum.substr(0, 7), "sha256:");
  EXPECT_EQ(sum.size(), 71u);
  EXPECT_EQ(second.checksum({"app", "README"}), sum) << "same files, another directory";
  EXPECT_NE(first.checksum({"app"}), sum);

  // touch: new times, same checksum.
  timespec times[2] = {{1000000000, 0}, {1000000000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (two.path() / "app" / "main.py").c_str(), times, 0), 0);
  ASSERT_EQ(::utimensat(AT_FDCWD, (two.path() / "app").c_str(), times, 0), 0);
  EXPECT_EQ(second.checksum({"app", "README"}), sum);

  // One byte.
  write_file((two.path() / "app" / "main.py").string(), "print('hellO')\n");
  EXPECT_NE(second.checksum({"app", "README"}), sum);
  write_file((two.path() / "app" / "main.py").string(), "print('hello')\n");
  EXPECT_EQ(second.checksum({"app", "README"}), sum);

  // A mode.
  fs::permissions(two.path() / "app" / "lib" / "util.py", fs::perms::owner_exec, fs::perm_options::add);
  EXPECT_NE(second.checksum({"app", "README"}), sum);
  fs::permissions(two.path() / "app" / "lib" / "util.py", fs::perms::owner_exec, fs::perm_options::remove);
  EXPECT_EQ(second.checksum({"app", "README"}), sum);

  // A name.
  fs::rename(two.path() / "app" / "lib" / "util.py", two.path() / "app" / "lib" / "utils.py");
  EXPECT_NE(second.checksum({"app", "README"}), sum);
  fs::rename(two.path() / "app" / "lib" / "utils.py", two.path() / "app" / "lib" / "util.py");
  EXPECT_EQ(second.checksum({"app", "README"}), sum);

  // A link's target.
  fs::remove(two.path() / "app" / "link");
  fs::create_symlink("lib/util.py", two.path() / "app" / "link");
  EXPECT_NE(second.checksum({"app", "README"}), sum);

  // An ignored file is not part of it.
  write_file((one.path() / "app" / "cache.pyc").string(), "junk");
  EXPECT_NE(first.checksum({"app", "README"}), sum);
  BuildContext ignoring(one.path(), rules("**/*.pyc\n"));
  EXPECT_EQ(ignoring.checksum({"app", "README"}), sum);
}

TEST(BuildContext, ASourceThatVanishesIsNotFound) {
  TempDir tmp{"dockling-ch11-context"};
  make_tree(tmp.path(), {{"dir/a", "a"}, {"dir/b/c", "c"}});
  BuildContext context(tmp.path());
  ASSERT_EQ(context.match("dir/a"), Paths{"dir/a"});
  fs::remove(tmp.path() / "dir" / "a");
  EXPECT_EQ(error_of([&] { walked(context, "dir/a"); }), "\"/dir/a\": not found");
  EXPECT_EQ(error_of([&] { context.checksum({"dir/a"}); }), "\"/dir/a\": not found");
  // An entry removed after its directory was read: the walk names what it could not find.
  write_file((tmp.path() / "dir" / "a").string(), "a");
  std::string message = error_of([&] {
    context.walk("dir", [&](const ContextEntry& entry) {
      if (entry.path == "dir/a") fs::remove_all(tmp.path() / "dir" / "b");
    });
  });
  EXPECT_EQ(message, "lstat(\"dir/b\"): No such file or directory");
}

/// Runs `body` in a child process that cannot read what only root may read (as nobody when
/// root); returns the message of the Error it threw, or "no error".
std::string error_without_root_powers(const std::function<void()>& body) {
  Pipe pipe = make_pipe();
  pid_t pid = ::fork();
  if (pid == 0) {
    pipe.read.reset();
    std::string message = "no error";
    if (::geteuid() == 0 && (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0)) {
      message = "could not become nobody";
    } else {
      message = error_of(body);
    }
    (void)!::write(pipe.write.get(), message.data(), message.size());
    ::_exit(0);
  }
  pipe.write.reset();
  std::string message = read_all(pipe.read.get());
  int status = 0;
  ::waitpid(pid, &status, 0);
  return message;
}

TEST(BuildContext, WhatCannotBeReadIsNamed) {
  TempDir tmp{"dockling-ch11-context"};
  make_tree(tmp.path(), {{"ok", "fine"}, {"secret", "mode 000"}, {"locked/inside", "x"}});
  fs::permissions(tmp.path(), fs::perms(0755));
  fs::permissions(tmp.path() / "ok", fs::perms(0644));
  fs::permissions(tmp.path() / "secret", fs::perms::none);
  fs::permissions(tmp.path() / "locked", fs::perms::none);
  const fs::path root = tmp.path();
  EXPECT_EQ(error_without_root_powers([&] { BuildContext(root).checksum({"secret"}); }),
            "open(\"secret\"): Permission denied");
  EXPECT_EQ(error_without_root_powers([&] { BuildContext(root).walk("locked", [](const ContextEntry&) {}); }),
            "open(\"locked\"): Permission denied");
  EXPECT_EQ(error_without_root_powers([&] { BuildContext(root).checksum({"ok"}); }), "no error");
  fs::permissions(root / "secret", fs::perms(0644));
  fs::permissions(root / "locked", fs::perms(0755));
}

}  // namespace
}  // namespace dockling::ch11
