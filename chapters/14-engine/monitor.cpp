#include "monitor.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
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
#include "engine_events.hpp"
#include "engine_state.hpp"
#include "image_store.hpp"
#include "lifecycle.hpp"
#include "restart_policy.hpp"
#include "runtime_main.hpp"
#include "stdin_relay.hpp"
#include "volume_step.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

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
ExitRecord run_created(Lifecycle& lifecycle, const StateRoot& root, const std::string& id, int out, int err,
                       const fs::path& log) {
  LogWriter writer(log);
  std::thread stdout_pump([&] { writer.pump(out, "stdout"); });
  std::thread stderr_pump([&] { writer.pump(err, "stderr"); });
  ExitRecord exit;
  try {
    // Before it runs: the daemon answers `start` once the record says running, and a client's
    // next request (an exec) must find the start event before its own.
    record_event(root, "container", "start", id);
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

/// The monitor's own options (monitor.hpp), before `run`.
struct MonitorOptions {
  std::string restart;     ///< --restart: docker's text
  std::string existing;    ///< --existing ID
  int restart_count = 0;   ///< --restart-count
  long last_delay_ms = 0;  ///< --last-delay-ms
  bool started = false;    ///< --started
  bool stdin = false;      ///< --stdin: the container reads what attached clients send
};

/// docker's --restart text as the API's object: "on-failure:3" → {"Name": "on-failure", ...}.
nlohmann::json restart_object(const std::string& text) {
  size_t colon = text.find(':');
  nlohmann::json object = {{"Name", text.substr(0, colon)}, {"MaximumRetryCount", 0}};
  if (colon != std::string::npos) object["MaximumRetryCount"] = std::stoi(text.substr(colon + 1));
  return object;
}

/// Updates the container's record with `change`, if it still has one.
void update_record(const StateRoot& root, const std::string& id, const std::function<void(nlohmann::json&)>& change) {
  try {
    auto record = ch10::ContainerStore(root).load(id);
    if (!record) return;
    change(record->json);
    ch10::ContainerStore::save(*record, true);
  } catch (const std::exception& e) {
    log::warning("monitor: updating the record of {}: {}", id, e.what());
  }
}

/// Waits `delay` unless the user stops the container meanwhile; true when the wait ran out.
bool wait_unless_stopped(const StateRoot& root, const std::string& id, std::chrono::milliseconds delay) {
  auto deadline = std::chrono::steady_clock::now() + delay;
  while (std::chrono::steady_clock::now() < deadline) {
    if (stopped_by_user(root, id)) return false;
    std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(
        20ms, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())));
  }
  return !stopped_by_user(root, id);
}

}  // namespace

int monitor_main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s monitor ROOT [OPTIONS] run [FLAGS] IMAGE [COMMAND...]\n", argv[0]);
    return 125;
  }
  StateRoot root(argv[2]);
  MonitorOptions options;
  int first = 3;
  try {
    for (; first < argc && std::string_view(argv[first]) != "run"; ++first) {
      std::string_view option = argv[first];
      if (option == "--started" || option == "--stdin") {
        (option == "--started" ? options.started : options.stdin) = true;
        continue;
      }
      if (first + 1 >= argc) throw Error(fmt::format("{} needs a value", option));
      std::string value = argv[++first];
      if (option == "--restart") options.restart = value;
      else if (option == "--existing") options.existing = value;
      else if (option == "--restart-count") options.restart_count = std::stoi(value);
      else if (option == "--last-delay-ms") options.last_delay_ms = std::stol(value);
      else throw Error(fmt::format("unknown option {}", option));
    }
    if (first >= argc) throw Error("no run command");
    if (!options.restart.empty()) parse_restart_policy(restart_object(options.restart));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s monitor: %s\n", argv[0], e.what());
    if (!options.started) report(fmt::format("error 400 {}", e.what()));
    return 125;
  }
  // Reported on fd 3 only by a monitor the daemon started and waits for.
  auto tell_daemon = [&](const std::string& line) {
    if (!options.started) report(line);
  };
  std::vector<std::string> run_args(argv + first, argv + argc);
  // The container's stdout and stderr: pipes whose write ends it inherits as fds 1 and 2.
  int own_stderr = ::dup(2);
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    tell_daemon(fmt::format("error 125 pipe: {}", std::strerror(errno)));
    return 125;
  }
  ::dup2(out[1], 1);
  ::dup2(err[1], 2);
  ::close(out[1]);
  ::close(err[1]);
  // Its stdin: /dev/null (the daemon's), or with --stdin a pipe the relay writes into.
  std::optional<StdinRelay> relay;
  if (options.stdin) {
    relay.emplace();
    UniqueFd end = relay->take_container_end();
    ::dup2(end.get(), 0);
  }

  CLI::App app{"The monitor of one container"};
  setup_app(app, argv[0]);
  Steps pipeline = make_pipeline(ch13::steps());
  RunCommand run(app, pipeline);
  std::string root_dir = root.dir().string();
  app.add_option("--root", root_dir, "Where dockling keeps its state");
  std::vector<std::string> parsed = run_args;
  if (!options.existing.empty()) parsed.insert(parsed.begin() + 1, {"--existing-container", options.existing});
  std::vector<char*> args = {argv[0]};
  for (auto& arg : parsed) args.push_back(arg.data());

  return run_app(app, static_cast<int>(args.size()), args.data(), [&]() -> int {
    Lifecycle lifecycle(pipeline, root);
    std::string id = options.existing;
    UniqueFd control, monitor_lock;
    try {
      // Stopped by the user between two runs: the policy's restart is cancelled.
      if (options.started && stopped_by_user(root, id)) return 0;
      ContainerSpec spec = run.spec(root);
      id = spec.id;
      if (!options.started) {
        fs::create_directories(control_fifo(root, id).parent_path());
        if (::mkfifo(control_fifo(root, id).c_str(), 0600) != 0 && errno != EEXIST)
          throw SysError("mkfifo", control_fifo(root, id).string(), errno);
        // Open before the daemon hears "created": its "start" may come at once. Read-write,
        // so that a daemon that closes its end never looks like the end of the file.
        control = open_fd(control_fifo(root, id).string(), O_RDWR | O_CLOEXEC);
      }
      monitor_lock = hold_monitor_lock(root, id);
      lifecycle.create(spec);
    } catch (const Error& e) {
      tell_daemon(fmt::format("error {} {}", e.exit_code(), e.what()));
      if (!options.started && !id.empty()) ::unlink(control_fifo(root, id).c_str());
      if (options.started && !id.empty() && ch10::ContainerStore(root).load(id)) {
        // A restart that cannot start: the container stays exited, and says why.
        ::dup2(own_stderr, 2);
        log::warning("monitor: {} cannot start again: {}", id, e.what());
        write_exit(root, id, {e.exit_code(), ch10::rfc3339_now(), e.what()});
      }
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
    if (!path_exists(log.string())) write_file(log.string(), "");  // there before `start`: a client attaches to it first
    if (options.existing.empty()) {
      write_run_arguments(root, id, run_args);
      RestartPolicy policy = options.restart.empty() ? RestartPolicy{} : parse_restart_policy(restart_object(options.restart));
      update_record(root, id, [&](nlohmann::json& record) {
        record["HostConfig"]["RestartPolicy"] = restart_policy_json(policy);
        record["RestartCount"] = 0;
      });
    } else {
      update_record(root, id, [&](nlohmann::json& record) { record["RestartCount"] = options.restart_count; });
    }
    if (relay) {
      relay->start(stdin_socket(root, id));
      update_record(root, id, [](nlohmann::json& record) {
        record["Config"]["OpenStdin"] = true;
        record["Config"]["StdinOnce"] = true;
      });
    }
    tell_daemon("created " + id);
    if (!options.started) ::close(kStatusFd);

    std::string command = options.started ? "start" : wait_for_command(control);
    if (!options.started) ::unlink(control_fifo(root, id).c_str());
    if (command == "remove") {
      if (relay) relay->stop();
      lifecycle.remove(id, true);
      return 0;
    }
    clear_exit(root, id);
    auto started_at = std::chrono::steady_clock::now();
    ExitRecord exit = run_created(lifecycle, root, id, out[0], err[0], log);
    if (relay) relay->stop();
    auto ran_for = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_at);
    // The event first: the daemon's `stop` event follows the exit record, and docker's
    // order is die, then stop.
    record_event(root, "container", "die", id, {{"exitCode", std::to_string(exit.status_code)}});
    write_exit(root, id, exit);
    lifecycle.remove(id, true);
    log::debug("monitor: {} exited with {}", id, exit.status_code);

    // Its restart policy: kept containers only (--rm ones are gone), and only those that ran.
    auto record = ch10::ContainerStore(root).load(id);
    if (!record || !exit.error.empty()) return 0;
    ExitFacts facts{exit.status_code, stopped_by_user(root, id), options.restart_count, ran_for,
                    std::chrono::milliseconds(options.last_delay_ms)};
    RestartDecision decision = decide_restart(recorded_restart_policy(record->json), facts);
    if (!decision.restart) return 0;
    ProcessIdentity self = ProcessIdentity::self();
    update_record(root, id, [&](nlohmann::json& json) {
      auto& state = json["State"];
      state["Status"] = "restarting";
      state["Restarting"] = true;
      state["Monitor"] = {{"Pid", self.pid}, {"StartTime", self.start_time}};
    });
    // Stopped or removed meanwhile: no restart.
    if (!wait_unless_stopped(root, id, decision.delay) || !ch10::ContainerStore(root).load(id)) {
      update_record(root, id, [](nlohmann::json& json) {
        json["State"]["Status"] = "exited";
        json["State"]["Restarting"] = false;
        json["State"].erase("Monitor");
      });
      return 0;
    }
    // A fresh monitor for the next run: the same flags, this container, at once.
    std::vector<std::string> again = {argv[0], "monitor", root.dir().string(), "--existing", id,
                                      "--restart-count", std::to_string(options.restart_count + 1),
                                      "--last-delay-ms", std::to_string(decision.delay.count()), "--started"};
    again.insert(again.end(), run_args.begin(), run_args.end());
    std::vector<char*> again_argv;
    for (auto& arg : again) again_argv.push_back(arg.data());
    again_argv.push_back(nullptr);
    ::close(out[0]);
    ::close(err[0]);
    ::execv("/proc/self/exe", again_argv.data());
    log::warning("monitor: {} cannot restart: execv: {}", id, std::strerror(errno));
    return 0;
  });
}

}  // namespace dockling::ch14
