// ADD of an http(s) URL: downloaded by the builder (libcurl, loaded when first needed), named
// after the URL's path, mode 0600, its time from Last-Modified, never unpacked, checked against
// --checksum, and part of the step's cache key through its digest. The server is Python's
// http.server on a free port of 127.0.0.1, started and ended by each test.
#include <sys/stat.h>
#include <utime.h>

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "digest.hpp"
#include "dockling/fs.hpp"
#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"

namespace dockling::ch11 {
namespace {

using namespace dockling::testing;

/// http.server serving `dir`, on a port the kernel picks; it prints the port once it listens.
constexpr const char* kServer = R"(
import functools, http.server, sys
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=sys.argv[1]))
print(server.server_address[1], flush=True)
server.serve_forever()
)";

class AddUrl : public ::testing::Test {
 protected:
  TempDir tmp{"dockling-ch11-add-url"};
  std::string root = (tmp.path() / "root").string();
  std::string context = (tmp.path() / "context").string();
  std::string served = (tmp.path() / "served").string();
  std::optional<Background> server;  // killed (its process group) when the test ends
  std::string base;                  // http://127.0.0.1:PORT

  void SetUp() override {
    DOCKLING_REQUIRE_ROOT();
    std::filesystem::create_directories(context);
    std::filesystem::create_directories(served);
    std::string tarball = (tmp.path() / "busybox.tar").string();
    RunResult tar = run({"/bin/tar", "-C", rootfs(), "-cf", tarball, "."});
    ASSERT_EQ(tar.exit_code, 0) << tar;
    RunResult imported = ch11({"import", tarball, "busybox"});
    ASSERT_EQ(imported.exit_code, 0) << imported;
    server.emplace(std::vector<std::string>{"/usr/bin/python3", "-c", kServer, served});
    std::optional<std::string> port = server->read_line();
    ASSERT_TRUE(port.has_value()) << server->wait(milliseconds(1000));
    base = "http://127.0.0.1:" + *port;
  }
  void TearDown() override {
    if (!is_root()) return;
    // Nothing of a build stays behind: no scratch directory, no download.
    std::error_code error;
    EXPECT_TRUE(std::filesystem::is_empty(std::filesystem::path(root) / "build", error) || error);
  }
  RunResult ch11(std::vector<std::string> args) {
    args.insert(args.begin(), {bin("ch11-build"), "--root", root});
    return run(args, milliseconds(60000));
  }
  /// A file the server serves, with its modification time (the Last-Modified it sends).
  void serve(const std::string& name, const std::string& content, time_t mtime = 1609545600) {
    std::filesystem::path path = std::filesystem::path(served) / name;
    std::filesystem::create_directories(path.parent_path());
    write_file(path.string(), content);
    struct utimbuf times{mtime, mtime};
    ASSERT_EQ(::utime(path.c_str(), &times), 0);
  }
  RunResult build(const std::string& dockerfile, std::vector<std::string> flags = {}) {
    write_file(context + "/Dockerfile", dockerfile);
    std::vector<std::string> args{"build", "--network", "none"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.push_back(context);
    return ch11(args);
  }
  RunResult in_image(const std::string& image, std::vector<std::string> command) {
    std::vector<std::string> args{"run", "--rm", "--network", "none", image};
    args.insert(args.end(), command.begin(), command.end());
    return ch11(args);
  }
};

TEST_F(AddUrl, IntoADirectoryAndAsAFile) {
  serve("files/hello.txt", "hello from http\n");
  serve("site/index.html", "<p>index</p>\n", 1262304000);
  RunResult built = build("FROM busybox\n"
                          "ADD " + base + "/files/hello.txt?version=1 /downloads/\n"
                          "ADD --chown=nobody:nogroup " + base + "/files/hello.txt /etc/greeting\n"
                          "ADD --chmod=644 " + base + "/site /redirected\n",
                          {"-t", "fetched"});
  ASSERT_EQ(built.exit_code, 0) << built;
  EXPECT_NE(built.err.find(" => [2/4] ADD " + base + "/files/hello.txt?version=1 /downloads/  "), std::string::npos)
      << built;

  // Named after the URL's path (not its query), mode 0600, owned by root, dated by Last-Modified.
  RunResult stat = in_image("fetched", {"stat", "-c", "%n %a %U:%G %s %Y", "/downloads/hello.txt", "/etc/greeting",
                                        "/redirected"});
  EXPECT_EQ(stat.out,
            "/downloads/hello.txt 600 root:root 16 1609545600\n"
            "/etc/greeting 600 nobody:nogroup 16 1609545600\n"
            "/redirected 644 root:root 13 1262304000\n")
      << stat;
  // /site answers 301 to /site/, whose index.html is what was fetched.
  RunResult content = in_image("fetched", {"cat", "/downloads/hello.txt", "/etc/greeting", "/redirected"});
  EXPECT_EQ(content.out, "hello from http\nhello from http\n<p>index</p>\n") << content;
  RunResult listed = in_image("fetched", {"ls", "/downloads"});
  EXPECT_EQ(listed.out, "hello.txt\n") << listed;
}

TEST_F(AddUrl, ARemoteArchiveIsNotUnpacked) {
  serve("payload/inside.txt", "in the archive\n");
  RunResult tar = run({"/bin/tar", "-C", served + "/payload", "-czf", served + "/archive.tar.gz", "inside.txt"});
  ASSERT_EQ(tar.exit_code, 0) << tar;
  // The same archive from the context is unpacked: the contrast the rule is about.
  RunResult copied = run({"/bin/cp", served + "/archive.tar.gz", context + "/local.tar.gz"});
  ASSERT_EQ(copied.exit_code, 0) << copied;
  RunResult built = build("FROM busybox\n"
                          "ADD " + base + "/archive.tar.gz /opt/\n"
                          "ADD local.tar.gz /local/\n",
                          {"-t", "archive"});
  ASSERT_EQ(built.exit_code, 0) << built;
  RunResult listed = in_image("archive", {"ls", "/opt", "/local"});
  EXPECT_EQ(listed.out, "/local:\ninside.txt\n\n/opt:\narchive.tar.gz\n") << listed;
  RunResult size = in_image("archive", {"stat", "-c", "%s", "/opt/archive.tar.gz"});
  EXPECT_EQ(size.out, std::to_string(std::filesystem::file_size(served + "/archive.tar.gz")) + "\n") << size;
}

TEST_F(AddUrl, TheChecksumMustMatch) {
  serve("tool", "#!/bin/sh\necho tool\n");
  std::string good = ch10::sha256_digest("#!/bin/sh\necho tool\n");
  std::string bad = ch10::sha256_digest("something else");
  RunResult ok = build("FROM busybox\nADD --checksum=" + good + " --chmod=755 " + base + "/tool /usr/bin/\n",
                       {"-t", "checked"});
  ASSERT_EQ(ok.exit_code, 0) << ok;
  EXPECT_EQ(in_image("checked", {"tool"}).out, "tool\n");

  RunResult mismatch =
      build("FROM busybox\nADD --checksum=" + bad + " " + base + "/tool /usr/bin/\n", {"-t", "mismatched"});
  EXPECT_EQ(mismatch.exit_code, 1) << mismatch;
  EXPECT_NE(mismatch.err.find("ch11-build: Dockerfile:2: digest mismatch for " + base + "/tool: expected " + bad +
                              ", got " + good),
            std::string::npos)
      << mismatch;
  EXPECT_EQ(ch11({"images", "-q", "mismatched"}).out, "");

  RunResult local = build("FROM busybox\nADD --checksum=" + good + " Dockerfile /x\n");
  EXPECT_EQ(local.exit_code, 1) << local;
  EXPECT_NE(local.err.find("Dockerfile:2: checksum can't be specified for non-HTTP(S) sources"), std::string::npos)
      << local;
  RunResult malformed = build("FROM busybox\nADD --checksum=sha256:abc " + base + "/tool /x\n");
  EXPECT_EQ(malformed.exit_code, 1) << malformed;
  EXPECT_NE(malformed.err.find("Dockerfile:2: invalid checksum digest format: sha256:abc"), std::string::npos)
      << malformed;
}

TEST_F(AddUrl, HttpErrorsAndOtherSchemesFailTheBuild) {
  RunResult missing = build("FROM busybox\nADD " + base + "/nosuch.txt /x\n", {"-t", "missing"});
  EXPECT_EQ(missing.exit_code, 1) << missing;
  EXPECT_NE(missing.err.find("ch11-build: Dockerfile:2: failed to fetch " + base +
                             "/nosuch.txt: invalid response status 404"),
            std::string::npos)
      << missing;
  EXPECT_EQ(ch11({"images", "-q", "missing"}).out, "");

  RunResult ftp = build("FROM busybox\nADD ftp://127.0.0.1/file /x\n");
  EXPECT_EQ(ftp.exit_code, 1) << ftp;
  EXPECT_NE(ftp.err.find("Dockerfile:2: ftp://127.0.0.1/file: unsupported URL scheme \"ftp\": ADD fetches http and "
                         "https URLs only"),
            std::string::npos)
      << ftp;
  RunResult copy = build("FROM busybox\nCOPY " + base + "/x /x\n");
  EXPECT_EQ(copy.exit_code, 1) << copy;
  EXPECT_NE(copy.err.find("Dockerfile:2: source can't be a URL for COPY"), std::string::npos) << copy;

  // Nothing listens on the port any more: curl's reason, with the URL.
  std::string gone = base;
  server.reset();
  RunResult refused = build("FROM busybox\nADD " + gone + "/x /x\n");
  EXPECT_EQ(refused.exit_code, 1) << refused;
  EXPECT_NE(refused.err.find("Dockerfile:2: failed to fetch " + gone + "/x: "), std::string::npos) << refused;
}

TEST_F(AddUrl, TheCacheFollowsTheContent) {
  serve("data.txt", "version one\n");
  std::string dockerfile = "FROM busybox\nADD " + base + "/data.txt /data.txt\n";
  RunResult first = build(dockerfile, {"-t", "data:1"});
  ASSERT_EQ(first.exit_code, 0) << first;
  EXPECT_NE(first.err.find(" => [2/2] ADD " + base + "/data.txt /data.txt  "), std::string::npos) << first;

  // Downloaded again, the same bytes (a newer Last-Modified changes nothing): from the cache.
  serve("data.txt", "version one\n", 1700000000);
  RunResult again = build(dockerfile, {"-t", "data:2"});
  ASSERT_EQ(again.exit_code, 0) << again;
  EXPECT_NE(again.err.find(" => CACHED [2/2] ADD " + base + "/data.txt /data.txt\n"), std::string::npos) << again;
  EXPECT_EQ(ch11({"images", "-q", "data:1"}).out, ch11({"images", "-q", "data:2"}).out);

  // The served file changed: the step runs again.
  serve("data.txt", "version two\n");
  RunResult changed = build(dockerfile, {"-t", "data:3"});
  ASSERT_EQ(changed.exit_code, 0) << changed;
  EXPECT_NE(changed.err.find(" => [2/2] ADD " + base + "/data.txt /data.txt  "), std::string::npos) << changed;
  EXPECT_EQ(in_image("data:3", {"cat", "/data.txt"}).out, "version two\n");
  EXPECT_EQ(in_image("data:1", {"cat", "/data.txt"}).out, "version one\n");
}

}  // namespace
}  // namespace dockling::ch11
