#include "registry_server.hpp"

#include <sys/signalfd.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <ctime>
#include <optional>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "http_server.hpp"
#include "registry_api.hpp"
#include "registry_gc.hpp"
#include "registry_storage.hpp"

namespace dockling::ch12 {

namespace {

/// Writes `text` and a newline after the time on stderr, with one write(2) so threads do not
/// interleave.
void log_line(const std::string& text) {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &utc);
  std::string line = fmt::format("{} {}\n", when, text);
  [[maybe_unused]] ssize_t ignored = write(STDERR_FILENO, line.data(), line.size());
}

/// One line per request: time, client, request line, status, body bytes sent, duration.
void access_log(const http::Request& request, int status, std::uint64_t bytes, std::chrono::microseconds took) {
  log_line(fmt::format("{} \"{} {} {}\" {} {} {:.3f}ms", request.peer, request.method, request.target, request.version,
                       status, bytes, took.count() / 1000.0));
}

}  // namespace

int serve_registry(const ServeOptions& options) {
  // SIGINT and SIGTERM arrive through a signalfd the accept loop and idle connections watch;
  // blocked before any thread starts, so that every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  if (pthread_sigmask(SIG_BLOCK, &signals, nullptr) != 0) throw Error("registry serve: cannot block SIGINT/SIGTERM");
  UniqueFd stop(check(signalfd(-1, &signals, SFD_CLOEXEC), "signalfd"));

  if (options.auth.token_issuer && options.auth.htpasswd.empty())
    throw Error("registry serve: --token-issuer needs --htpasswd (the users tokens are issued to)", 1);
  std::optional<ServerAuth> auth;
  if (!options.auth.htpasswd.empty()) auth.emplace(options.auth, log_line);
  RegistryStorage storage(options.root);
  UniqueFd serving = hold_for_serving(options.root);  // no garbage collection meanwhile
  RegistryApi api(storage, ApiOptions{.allow_delete = !options.no_delete}, auth ? &*auth : nullptr);
  http::Listener listener = http::listen_on(options.addr);
  std::printf("listening on %s\n", listener.address.c_str());
  std::fflush(stdout);
  http::serve(listener, [&api](http::Request& request) { return api.handle(request); }, stop.get(), access_log);
  return 0;
}

}  // namespace dockling::ch12
