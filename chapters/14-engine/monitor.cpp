#include "monitor.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "container_log.hpp"
#include "container_store.hpp"
#include "dockling/cli.hpp"
#include "dockling/error.hpp"
#include "dockling/fs.hpp"
#include "dockling/log.hpp"
#include "engine_state.hpp"
#include "image_store.hpp"
#include "lifecycle.hpp"
#include "runtime_main.hpp"
#include "volume_step.hpp"

namespace fs = std::filesystem;

namespace dockling::ch14 {

namespace {

constexpr int kStatusFd = 3;  ///< the pipe the daemon reads `created ID` or `error ...` from

void report(const std::string& line) noexcept {
  try {
    write_all(kStatusFd, line + "\n");
  } catch (const std::exception&) {
    // the daemon went away: nobody to tell
  }
}

/// A line from the control FIFO `fd`: "start" or "remove".
std::string wait_for_command(const UniqueFd& fd) {
  std::string line;
  char c;
  while (true) {
    ssize_t n = ::read(fd.get(), &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return "remove";
    if (c == '\n') {
      if (line == "start" || line == "remove") return line;
      line.clear();
      continue;
    }
    line += c;
  }
}

/// Runs the container created by `lifecycle` once the daemon says start; its output into the
/// json-file log. Returns its exit record.
ExitRecord run_created(Lifecycle& lifecycle, const std::string& id, int out, int err, const fs::path& log) {
  LogWriter writer(log);
  std::thread stdout_pump([&] { writer.pump(out, "stdout"); });
  std::thread stderr_pump([&] { writer.pump(err, "stderr"); });
  ExitRecord exit;
  try {
    lifecycle.start(id);
    exit.status_code = lifecycle.wait();
  } catch (const Error& e) {
    exit.status_code = e.exit_code();
    exit.error = e.what();
  }
  // The container's processes are gone: the pipes end once the last of them closed them.
  stdout_pump.join();
  stderr_pump.join();
  exit.finished_at = ch10::rfc3339_now();
  return exit;
}

}  // namespace

int monitor_main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s monitor ROOT run [FLAGS] IMAGE [COMMAND...]\n", argv[0]);
    return 125;
  }
  StateRoot root(argv[2]);
  // The container's stdout and stderr: pipes whose write ends it inherits as fds 1 and 2.
  int own_stderr = ::dup(2);
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    report(fmt::format("error 125 pipe: {}", std::strerror(errno)));
    return 125;
  }
  ::dup2(out[1], 1);
  ::dup2(err[1], 2);
  ::close(out[1]);
  ::close(err[1]);

  CLI::App app{"The monitor of one container"};
  setup_app(app, argv[0]);
  Steps pipeline = make_pipeline(ch13::steps());
  RunCommand run(app, pipeline);
  std::string root_dir = root.dir().string();
  app.add_option("--root", root_dir, "Where dockling keeps its state");
  std::vector<char*> args = {argv[0]};
  for (int i = 3; i < argc; ++i) args.push_back(argv[i]);

  return run_app(app, static_cast<int>(args.size()), args.data(), [&]() -> int {
    Lifecycle lifecycle(pipeline, root);
    std::string id;
    UniqueFd control;
    try {
      ContainerSpec spec = run.spec(root);
      id = spec.id;
      fs::create_directories(control_fifo(root, id).parent_path());
      if (::mkfifo(control_fifo(root, id).c_str(), 0600) != 0 && errno != EEXIST)
        throw SysError("mkfifo", control_fifo(root, id).string(), errno);
      // Open before the daemon hears "created": its "start" may come at once. Read-write, so
      // that a daemon that closes its end never looks like the end of the file.
      control = open_fd(control_fifo(root, id).string(), O_RDWR | O_CLOEXEC);
      lifecycle.create(spec);
    } catch (const Error& e) {
      report(fmt::format("error {} {}", e.exit_code(), e.what()));
      if (!id.empty()) ::unlink(control_fifo(root, id).c_str());
      return e.exit_code();
    }
    // The container was forked with the default dispositions; the monitor itself outlives a
    // daemon that goes away (its pipe, its session).
    ::signal(SIGPIPE, SIG_IGN);
    ::signal(SIGHUP, SIG_IGN);
    // From here the monitor's own messages go where the daemon's go, not into the log.
    int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    ::dup2(null, 1);
    ::dup2(own_stderr, 2);
    ::close(null);
    fs::path log = log_path(root.container_dir(id), id);
    fs::create_directories(log.parent_path());
    write_file(log.string(), "");  // there before `start`: a client attaches to it first
    report("created " + id);
    ::close(kStatusFd);

    std::string command = wait_for_command(control);
    ::unlink(control_fifo(root, id).c_str());
    if (command == "remove") {
      lifecycle.remove(id, true);
      return 0;
    }
    clear_exit(root, id);
    ExitRecord exit = run_created(lifecycle, id, out[0], err[0], log);
    write_exit(root, id, exit);
    lifecycle.remove(id, true);
    log::debug("monitor: {} exited with {}", id, exit.status_code);
    return 0;
  });
}

}  // namespace dockling::ch14
