#include "engine_daemon.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "dockling/fs.hpp"
#include "dockling/log.hpp"
#include "engine_api.hpp"
#include "engine_state.hpp"
#include "http_server.hpp"
#include "reference.hpp"
#include "registry_url.hpp"

namespace fs = std::filesystem;

namespace dockling::ch14 {

namespace {

/// ROOT/engine.lock, flock(2)ed for as long as the daemon runs, with its pid in it.
UniqueFd take_root(const StateRoot& root) {
  fs::create_directories(root.dir());
  fs::path path = root.dir() / "engine.lock";
  UniqueFd fd = open_fd(path.string(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) throw SysError("flock", path.string(), errno);
    std::string pid = read_file(path.string());
    while (!pid.empty() && pid.back() == '\n') pid.pop_back();
    throw Error(fmt::format("another daemon (pid {}) holds the state root {}: stop it first", pid.empty() ? "?" : pid,
                            root.dir().string()),
                1);
  }
  check(::ftruncate(fd.get(), 0), "ftruncate", path.string());
  write_all(fd.get(), fmt::format("{}\n", ::getpid()));
  return fd;
}

/// "unix:PATH" for chapter 12's listen_on from docker's -H forms.
std::string listen_address(const StateRoot& root, const std::string& host) {
  if (host.empty()) return "unix:" + default_socket(root).string();
  if (host.rfind("unix://", 0) == 0) return "unix:" + host.substr(7);
  if (host.rfind("unix:", 0) == 0) return host;
  throw Error(fmt::format("-H {}: only unix sockets are served (unix:///path)", host), 1);
}

}  // namespace

int run_daemon(const StateRoot& root, const DaemonOptions& options, DaemonExtension* extension) {
  if (!options.log_file.empty() && !std::freopen(options.log_file.c_str(), "a", stderr))
    throw SysError("open", options.log_file, errno);
  for (const auto& mirror : options.registry_mirrors)  // a malformed one is refused now, not at a pull
    ch12::mirror_repository(mirror, ch10::parse_reference("busybox"));
  UniqueFd lock = take_root(root);
  std::string address = listen_address(root, options.host);
  // SIGINT and SIGTERM stop the server through a signalfd; SIGPIPE is a write error instead.
  sigset_t stops;
  sigemptyset(&stops);
  sigaddset(&stops, SIGINT);
  sigaddset(&stops, SIGTERM);
  ::pthread_sigmask(SIG_BLOCK, &stops, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  UniqueFd stop(check(::signalfd(-1, &stops, SFD_CLOEXEC), "signalfd"));

  ch12::http::Listener listener = ch12::http::listen_on(address);
  std::string socket = address.substr(5);
  check(::chmod(socket.c_str(), 0660), "chmod", socket);
  fs::path program = fs::read_symlink("/proc/self/exe");
  EngineApi api(root, program);
  api.extend(extension);
  api.set_registry({options.registry_mirrors, options.insecure_registries});
  log::info("API listening on {} (Engine API {}), state root {}", socket, kApiVersion, root.dir().string());
  std::fflush(stderr);
  // As dockerd: containers whose policy says so start with the daemon (after a reboot, say).
  std::thread([&api] { api.start_with_daemon(); }).detach();
  if (extension != nullptr) extension->start();
  ch12::http::serve(listener, [&](ch12::http::Request& request) { return api.handle(request); }, stop.get(),
                    [](const ch12::http::Request& request, int status, std::uint64_t, std::chrono::microseconds took) {
                      log::debug("{} {} {} ({} ms)", request.method, request.target, status, took.count() / 1000);
                    });
  if (extension != nullptr) extension->stop();
  ::unlink(socket.c_str());
  log::info("stopped; the containers run on, each with its monitor");
  return 0;
}

}  // namespace dockling::ch14
