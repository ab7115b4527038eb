// Fuzz target: chapter 12's registry on arbitrary bytes. The first byte picks the part:
//   even: check_manifest() on the rest, with an OCI manifest Content-Type. Returning, or
//         refusing with the spec's MANIFEST_INVALID (an ApiError), are the fine answers.
//   odd:  the rest is what a client sent on one connection: HTTP requests (pipelined, with
//         bodies, chunked or not) parsed by http_server and answered by RegistryApi over a
//         store in DOCKLING_FUZZ_TMP that lives for the whole run, so upload sessions and
//         blobs of earlier inputs are there for later ones (the upload state machine).
//         Any answer is fine but a 500 (an exception the API did not turn into
//         the spec's error), a crash, a hang or a file written outside the store is a finding.
// A finding abort()s; libFuzzer keeps the input.
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <thread>

#include "http_server.hpp"
#include "registry_api.hpp"
#include "registry_errors.hpp"
#include "registry_manifests.hpp"
#include "registry_storage.hpp"

namespace {

namespace fs = std::filesystem;
using namespace dockling::ch12;

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz_registry: %s\n", what.c_str());
  std::abort();
}

void fuzz_manifest(std::string_view body) {
  try {
    check_manifest(body, kOciManifest);
  } catch (const ApiError& error) {
    if (error.entries().empty() || error.entries().front().code != "MANIFEST_INVALID")
      fail(std::string("a refusal that is not MANIFEST_INVALID: ") + error.what());
  }
}

/// The directory of the run: the store is its only entry (anything else was written outside).
const fs::path& scratch() {
  static const fs::path dir = [] {
    const char* tmp = std::getenv("DOCKLING_FUZZ_TMP");
    return fs::path(tmp != nullptr ? tmp : "/tmp/dockling-fuzz-registry");
  }();
  return dir;
}

/// The upload session every input may continue (PATCH/PUT/GET/DELETE
/// /v2/fuzz/app/blobs/uploads/<kSession>): put back, empty, when an input ended it.
constexpr const char* kSession = "0f0f0f0f-0000-4000-8000-000000000001";

void ensure_session() {
  fs::path session = scratch() / "store" / "uploads" / kSession;
  if (fs::exists(session)) return;
  fs::create_directories(session);
  fs::create_directories(scratch() / "store" / "repositories" / "fuzz" / "app" / "_uploads");
  FILE* name = std::fopen((session / "name").c_str(), "w");
  FILE* data = std::fopen((session / "data").c_str(), "w");
  if (name == nullptr || data == nullptr) fail("cannot make the upload session");
  std::fputs("fuzz/app", name);
  std::fclose(name);
  std::fclose(data);
}

RegistryApi& api() {
  static RegistryStorage storage(scratch() / "store");
  static RegistryApi api(storage, ApiOptions{});
  return api;
}

void fuzz_connection(std::string_view bytes) {
  api();
  ensure_session();
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) fail("socketpair failed");
  int size = 1 << 20;  // the whole input fits: the client's side writes it all, then closes
  setsockopt(pair[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  if (bytes.size() > 512 * 1024) bytes = bytes.substr(0, 512 * 1024);
  if (!bytes.empty() && write(pair[0], bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size()))
    fail("the input did not fit in the socket");
  shutdown(pair[0], SHUT_WR);
  std::thread drain([fd = pair[0]] {  // reads the answers, so that the server never waits to write
    char buffer[65536];
    while (read(fd, buffer, sizeof buffer) > 0) {
    }
  });
  dockling::ch12::http::Limits limits;
  limits.idle_timeout = std::chrono::seconds(1);
  limits.io_timeout = std::chrono::seconds(1);
  auto log = [](const http::Request& request, int status, std::uint64_t, std::chrono::microseconds) {
    if (status == 500) fail("answered " + std::to_string(status) + " to " + request.method + " " + request.target);
  };
  http::serve_connection(pair[1], [](http::Request& request) { return api().handle(request); }, log, limits);
  shutdown(pair[1], SHUT_RDWR);
  drain.join();
  close(pair[0]);
  close(pair[1]);
  for (const auto& entry : fs::directory_iterator(scratch()))
    if (entry.path().filename() != "store") fail("written outside the store: " + entry.path().string());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0)
    fuzz_manifest(rest);
  else
    fuzz_connection(rest);
  return 0;
}
