#include "registry_fixture.hpp"

#include <csignal>
#include <fstream>
#include <iterator>
#include <thread>

#include <gtest/gtest.h>

namespace dockling::ch12 {

using namespace dockling::testing;

namespace {

/// Reads the process's lines until one holds "listening on HOST:PORT"; returns HOST:PORT.
std::string wait_for_address(Background& process) {
  for (int lines = 0; lines < 50; ++lines) {
    std::optional<std::string> line = process.read_line();
    if (!line) break;
    size_t at = line->find("listening on ");
    if (at == std::string::npos) continue;
    std::string address = line->substr(at + 13);
    size_t end = address.find_first_of(" \"");
    return address.substr(0, end);
  }
  return "";
}

}  // namespace

std::unique_ptr<RunningRegistry> RunningRegistry::dockling(const std::filesystem::path& root,
                                                           const std::vector<std::string>& extra) {
  std::filesystem::path normal = root.lexically_normal();
  if (normal.filename().empty()) normal = normal.parent_path();
  std::filesystem::path log = normal.parent_path() / (normal.filename().string() + ".log");
  // sh opens the log and execs the server in its place (same pid: stop() signals the server).
  std::vector<std::string> argv{"/bin/sh", "-c", "log=$1; shift; exec \"$@\" 2>>\"$log\"", "sh", log.string(),
                                bin("ch12-registry"), "registry", "serve", "--addr", "127.0.0.1:0", "--root", root};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto process = std::make_unique<Background>(argv);
  std::string address = wait_for_address(*process);
  if (address.empty()) {
    RunResult result = process->wait(milliseconds(2000));
    std::ifstream in(log);
    result.err = std::string(std::istreambuf_iterator<char>(in), {});
    ADD_FAILURE() << "ch12-registry registry serve did not say where it listens:\n" << result;
    return nullptr;
  }
  return std::unique_ptr<RunningRegistry>(new RunningRegistry(std::move(process), address, log));
}

std::unique_ptr<RunningRegistry> RunningRegistry::cncf(const std::filesystem::path& dir, const std::string& htpasswd) {
  std::filesystem::create_directories(dir / "data");
  std::filesystem::path config = dir / "config.yml";
  {
    std::ofstream out(config);
    out << "version: 0.1\n"
        << "log:\n  level: info\n  accesslog:\n    disabled: true\n"
        << "storage:\n  filesystem:\n    rootdirectory: " << (dir / "data").string() << "\n  delete:\n    enabled: true\n"
        << "http:\n  addr: 127.0.0.1:0\n  secret: dockling-test-secret\n";
    if (!htpasswd.empty()) out << "auth:\n  htpasswd:\n    realm: dockling-test\n    path: " << htpasswd << "\n";
  }
  // Its log goes to stderr: joined to stdout, where Background reads lines.
  auto process = std::make_unique<Background>(std::vector<std::string>{
      "/bin/sh", "-c", "exec /usr/bin/docker-registry serve \"$0\" 2>&1", config.string()});
  std::string address = wait_for_address(*process);
  if (address.empty()) {
    ADD_FAILURE() << "docker-registry did not say where it listens:\n" << process->wait(milliseconds(2000));
    return nullptr;
  }
  return std::unique_ptr<RunningRegistry>(new RunningRegistry(std::move(process), address));
}

RunResult import_busybox(const std::string& root, const std::string& name) {
  return run({"/bin/sh", "-c", "/bin/tar -C \"$0\" -c . | \"$1\" --root \"$2\" import - \"$3\"", rootfs(),
              bin("ch12-registry"), root, name},
             milliseconds(60000));
}

RunResult RunningRegistry::stop() {
  process_->signal(SIGTERM);
  RunResult result = process_->wait(milliseconds(10000));
  if (!log_.empty()) result.err += log();
  return result;
}

RunResult RunningRegistry::kill() {
  process_->signal(SIGKILL);
  RunResult result = process_->wait(milliseconds(10000));
  if (!log_.empty()) result.err += log();
  return result;
}

std::string RunningRegistry::log() const {
  if (log_.empty()) return "";
  std::ifstream in(log_);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool RunningRegistry::log_has(const std::string& text, std::chrono::milliseconds limit) const {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (log().find(text) == std::string::npos) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace dockling::ch12
