#include "engine_api.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <deque>
#include <map>
#include <set>
#include <sstream>
#include <regex>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "container_commands.hpp"
#include "container_inspect.hpp"
#include "api_response.hpp"
#include "command_output.hpp"
#include "container_log.hpp"
#include "container_stats.hpp"
#include "container_store.hpp"
#include "create_request.hpp"
#include "dockling/error.hpp"
#include "dockling/fs.hpp"
#include "dockling/log.hpp"
#include "engine_events.hpp"
#include "engine_state.hpp"
#include "image_inspect.hpp"
#include "image_store.hpp"
#include "images_step.hpp"
#include "object_routes.hpp"
#include "oci_cli.hpp"
#include "restart_policy.hpp"
#include "spawn_process.hpp"
#include "stdin_relay.hpp"
#include "volume_store.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace dockling::ch14 {

namespace http = ch12::http;
using json = nlohmann::json;

namespace {

http::Response no_content() { return empty_response(204); }

/// The kept container `text` names (id, prefix or name), as a 404 when there is none.
ch10::ContainerRecord find_container(const StateRoot& root, const std::string& text) {
  try {
    return ch10::ContainerStore(root).find(text);
  } catch (const Error& e) {
    throw ApiError(404, e.what());
  }
}

/// The container's process (State.Pid with its start time).
ProcessIdentity process_of(const ch10::ContainerRecord& record) {
  const auto& state = record.json.value("State", json::object());
  return {state.value("Pid", 0), state.value("PidStartTime", std::uint64_t{0})};
}

/// The exit record of the run after `before` (its FinishedAt), once there is one.
std::optional<ExitRecord> new_exit(const StateRoot& root, const std::string& id, const std::string& before) {
  auto exit = read_exit(root, id);
  if (exit && exit->finished_at != before) return exit;
  return std::nullopt;
}

/// Sends the log entries of `reader` as frames (with their time first when `timestamps`),
/// until the log has no more; false when the client went away.
bool send_entries(int fd, LogReader& reader, bool want_stdout, bool want_stderr, bool timestamps) {
  while (auto entry = reader.next()) {
    if ((entry->stream == "stdout" && !want_stdout) || (entry->stream == "stderr" && !want_stderr)) continue;
    std::string payload = timestamps ? entry->time + " " + entry->text : entry->text;
    if (!send_text(fd, frame(entry->stream, payload))) return false;
  }
  return true;
}

/// The log of `record` opened for reading; at its end when `at_end`.
UniqueFd open_log(const ch10::ContainerRecord& record, bool at_end) {
  fs::path path = log_path(record.dir, record.id());
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return UniqueFd();
  if (at_end) ::lseek(fd, 0, SEEK_END);
  return UniqueFd(fd);
}

/// Follows `reader` until the container's run ends (its exit record after `before`) and the
/// log is read to its end, or the client goes away.
void follow(int fd, LogReader& reader, const StateRoot& root, const std::string& id, const std::string& before,
            bool want_stdout, bool want_stderr, bool timestamps, bool half_close_ends) {
  while (true) {
    bool ended = new_exit(root, id, before).has_value();
    if (!send_entries(fd, reader, want_stdout, want_stderr, timestamps)) return;
    if (ended || peer_gone(fd, half_close_ends)) return;
    std::this_thread::sleep_for(20ms);
  }
}

std::string finished_before(const StateRoot& root, const std::string& id) {
  auto exit = read_exit(root, id);
  return exit ? exit->finished_at : "";
}

/// Writes `command` ("start" or "remove") to the monitor of a created container.
void tell_monitor(const StateRoot& root, const std::string& id, const std::string& command) {
  fs::path fifo = control_fifo(root, id);
  int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw ApiError(500, fmt::format("container {}: its monitor is gone ({})", id, std::strerror(errno)));
  UniqueFd owner(fd);
  write_all(fd, command + "\n");
}

/// A line from the monitor's status pipe, waiting at most `limit`.
std::string read_status(int fd, std::chrono::seconds limit) {
  std::string line;
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (line.find('\n') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd entry{fd, POLLIN, 0};
    if (::poll(&entry, 1, static_cast<int>(left.count())) <= 0) continue;
    char buffer[4096];
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    line.append(buffer, static_cast<size_t>(n));
  }
  return line.substr(0, line.find('\n'));
}

/// The HTTP status for the monitor's failure to create: docker's 404 for a missing image
/// (its CLI then pulls), 409 for a name in use, 400 for what the flags refused.
int status_for(int exit_code, const std::string& message) {
  if (message.find("No such image") != std::string::npos || message.find("No such container") != std::string::npos)
    return 404;
  if (message.find("is already in use") != std::string::npos) return 409;
  if (exit_code == 400 || exit_code == 125) return 400;
  return 500;
}

}  // namespace

EngineApi::EngineApi(const StateRoot& root, fs::path program)
    : root_(root), program_(std::move(program)), execs_(root_, program_) {}

http::Response EngineApi::handle(http::Request& request) {
  // Every path with or without its version: /v1.41/containers/json or /containers/json.
  static const std::regex versioned(R"(^/v1\.\d+(/.*)$)");
  std::smatch match;
  std::string path = request.path;
  if (std::regex_match(path, match, versioned)) path = match[1];
  try {
    http::Response response = route(request, path);
    response.headers.set("Api-Version", kApiVersion);
    response.headers.set("Server", "dockling-engine");
    return response;
  } catch (const ApiError& e) {
    return json_response(e.exit_code(), json{{"message", e.what()}});
  } catch (const http::ProtocolError&) {
    throw;
  } catch (const http::ConnectionLost&) {
    throw;
  } catch (const Error& e) {
    return json_response(500, json{{"message", e.what()}});
  }
}

http::Response EngineApi::route(http::Request& request, const std::string& path) {
  const std::string& method = request.method;
  if (path == "/_ping" && (method == "GET" || method == "HEAD")) {
    http::Response response = http::Response::text(200, "OK");
    response.headers.set("Ostype", "linux");
    response.headers.set("Docker-Experimental", "false");
    response.headers.set("Cache-Control", "no-cache, no-store, must-revalidate");
    response.headers.set("Pragma", "no-cache");
    return response;
  }
  if (extension_ != nullptr)
    if (auto answer = extension_->route(request, path)) return std::move(*answer);
  if (path == "/version" && method == "GET") return version();
  if (path == "/info" && method == "GET") return info();
  if (path == "/containers/create" && method == "POST") return create(request);
  if (path == "/containers/json" && method == "GET") return list_containers(request);
  if (path == "/images/json" && method == "GET") return list_images();
  if (path == "/events" && method == "GET") return events_response(root_, request);

  static const std::regex container_path(R"(^/containers/([^/]+)(/[a-z]+)?$)");
  static const std::regex image_path(R"(^/images/(.+)/json$)");
  std::smatch match;
  if (std::regex_match(path, match, container_path)) {
    std::string name = match[1], action = match[2];
    if (action.empty() && method == "DELETE") return remove(request, name);
    if (action == "/json" && method == "GET") return inspect_container(name);
    if (action == "/start" && method == "POST") return start(name);
    if (action == "/wait" && method == "POST") return wait(request, name);
    if (action == "/attach" && method == "POST") return attach(request, name);
    if (action == "/logs" && method == "GET") return logs(request, name);
    if (action == "/stop" && method == "POST") return stop(request, name);
    if (action == "/restart" && method == "POST") return restart(request, name);
    if (action == "/kill" && method == "POST") return kill(request, name);
    if (action == "/top" && method == "GET") return top(request, name);
    if (action == "/stats" && method == "GET") return stats(request, name);
    if (action == "/rename" && method == "POST") return rename(request, name);
    if (action == "/exec" && method == "POST") return execs_.create(request, container(name));
  }
  static const std::regex exec_path(R"(^/exec/([^/]+)/([a-z]+)$)");
  if (std::regex_match(path, match, exec_path)) {
    std::string id = match[1], action = match[2];
    if (action == "start" && method == "POST") return execs_.start(request, id);
    if (action == "json" && method == "GET") return execs_.inspect(id);
    if (action == "resize" && method == "POST") return execs_.resize(request, id);
  }
  if (std::regex_match(path, match, image_path) && method == "GET") return inspect_image(match[1]);
  if (auto answer = object_route(root_, request, path, registry_)) return std::move(*answer);
  throw ApiError(404, "page not found");
}

http::Response EngineApi::create(http::Request& request) {
  json config = json_body(request);
  std::string name = request.query_param("name").value_or("");
  std::vector<std::string> run_args, options;
  try {
    NetworkFlags networks;
    if (extension_ != nullptr)
      networks = [this](const std::string& network, const json& endpoint) {
        return extension_->network_flags(network, endpoint);
      };
    run_args = run_arguments(config, name, networks);
    const json& host = config.is_object() ? config.value("HostConfig", json::object()) : json::object();
    RestartPolicy policy = parse_restart_policy(host.is_object() ? host.value("RestartPolicy", json()) : json());
    if (policy.name != "no") {
      if (host.value("AutoRemove", false)) throw Error("can't create 'AutoRemove' container with restart policy", 400);
      std::string text = policy.name;
      if (policy.maximum_retry_count > 0) text += ":" + std::to_string(policy.maximum_retry_count);
      options = {"--restart", text};
    }
    if (config.contains("OpenStdin") && config["OpenStdin"].is_boolean() && config["OpenStdin"].get<bool>())
      options.push_back("--stdin");
  } catch (const Error& e) {
    throw ApiError(e.exit_code() == 404 ? 404 : 400, e.what());
  }
  std::string id = spawn_monitor(options, run_args);
  log::info("created {} ({})", id, fmt::join(run_args, " "));
  record_event(root_, "container", "create", id);
  return json_response(201, json{{"Id", id}, {"Warnings", json::array()}});
}

std::string EngineApi::spawn_monitor(const std::vector<std::string>& options, const std::vector<std::string>& run_args) {
  // The monitor: `PROGRAM monitor ROOT [OPTIONS] run ...`, in a session of its own, fd 3 its
  // status pipe.
  int status[2];
  if (::pipe2(status, O_CLOEXEC) != 0) throw SysError("pipe2", "", errno);
  UniqueFd status_read(status[0]), status_write(status[1]);
  std::vector<std::string> args = {program_.string(), "monitor", root_.dir().string()};
  args.insert(args.end(), options.begin(), options.end());
  args.insert(args.end(), run_args.begin(), run_args.end());
  UniqueFd null = open_fd("/dev/null", O_RDWR | O_CLOEXEC);
  pid_t monitor = spawn_process(args, {null.get(), null.get(), 2, status_write.get()}, true);
  status_write.reset();
  // Reaped by a thread of its own: the monitor lives as long as its container.
  std::thread([monitor] { ::waitpid(monitor, nullptr, 0); }).detach();

  std::string line = read_status(status_read.get(), 120s);
  if (line.rfind("created ", 0) == 0) return line.substr(8);
  if (line.rfind("error ", 0) == 0) {
    size_t space = line.find(' ', 6);
    int code = std::atoi(line.substr(6, space - 6).c_str());
    std::string message = space == std::string::npos ? "" : line.substr(space + 1);
    throw ApiError(status_for(code, message), message);
  }
  throw ApiError(500, "the container's monitor ended without a word (see the daemon's log)");
}

http::Response EngineApi::start(const std::string& id) {
  ch10::ContainerRecord record = container(id);
  std::string status = record.status(), full_id = record.id();
  if (status == "running" || status == "restarting") return empty_response(304);
  mark_stopped_by_user(root_, full_id, false);
  if (status != "created") {
    // Exited: a new monitor starts it again, with the flags it was created with, once the
    // last one has cleaned up.
    if (!wait_for_monitor(root_, full_id, 20s))
      throw ApiError(500, fmt::format("container {}: its monitor is still cleaning up after it: try again", full_id));
    std::vector<std::string> run_args = read_run_arguments(root_, full_id);
    if (run_args.empty())
      throw ApiError(500, fmt::format("container {}: its run flags are not recorded: it cannot be started again", id));
    spawn_monitor({"--existing", full_id}, run_args);
  }
  tell_monitor(root_, full_id, "start");
  // Answered once it runs (or has ended already): `docker start` then finds it running.
  for (int i = 0; i < 3000; ++i) {
    if (auto exit = read_exit(root_, full_id)) {
      if (!exit->error.empty()) throw ApiError(exit->status_code == 127 || exit->status_code == 126 ? 400 : 500, exit->error);
      break;
    }
    auto now = ch10::ContainerStore(root_).load(full_id);
    if (!now || now->json.value("State", json::object()).value("Status", "") == "running") break;
    std::this_thread::sleep_for(10ms);
  }
  return no_content();
}

ch10::ContainerRecord EngineApi::container(const std::string& text) {
  ch10::ContainerRecord record = find_container(root_, text);
  const json& state = record.json.value("State", json::object());
  if (state.value("Status", "") != "running" || process_of(record).alive()) return record;
  // Recorded as running, its process gone, and no monitor holds its lock: the monitor was
  // killed (kill -9) or the machine restarted. The container died with it (PR_SET_PDEATHSIG),
  // and nobody undid its setup: `oci delete` does, from the lifecycle's record.
  std::lock_guard lock(reaping_);
  if (!wait_for_monitor(root_, record.id(), 0ms)) return record;  // it is cleaning up now
  record = find_container(root_, text);
  if (record.json.value("State", json::object()).value("Status", "") != "running") return record;  // done meanwhile
  std::string id = record.id();
  log::warning("container {}: its monitor is gone: cleaning up after it", id.substr(0, 12));
  if (fs::exists(root_.container_run_dir(id))) {
    CommandOutput deleted = command_output({program_.string(), "--root", root_.dir().string(), "oci", "delete", "--force", id});
    if (deleted.exit_code != 0) log::warning("container {}: oci delete: {}", id.substr(0, 12), deleted.err);
  }
  record = find_container(root_, id);
  auto& recorded = record.json["State"];
  if (recorded.value("Status", "") == "running") {  // no lifecycle record to say it (after a reboot)
    recorded["Status"] = "exited";
    recorded["Running"] = false;
    recorded["Pid"] = 0;
    recorded["ExitCode"] = 137;
    recorded["FinishedAt"] = ch10::rfc3339_now();
    recorded.erase("Monitor");
    ch10::ContainerStore::save(record, true);
  }
  record_event(root_, "container", "die", id, {{"exitCode", "137"}});
  write_exit(root_, id, {137, ch10::rfc3339_now(), "its monitor was killed: the container died with it"});
  return record;
}

void EngineApi::start_with_daemon() {
  for (const auto& record : ch10::ContainerStore(root_).list()) {
    if (record.status() != "exited") continue;
    std::string policy = recorded_restart_policy(record.json).name;
    if (policy != "always" && (policy != "unless-stopped" || stopped_by_user(root_, record.id()))) continue;
    try {
      start(record.id());
      log::info("started {} (restart policy {})", record.id().substr(0, 12), policy);
    } catch (const std::exception& e) {
      log::warning("starting {} (restart policy {}): {}", record.id().substr(0, 12), policy, e.what());
    }
  }
}

http::Response EngineApi::restart(http::Request& request, const std::string& id) {
  ch10::ContainerRecord record = container(id);
  stop(request, record.id());
  http::Response started = start(record.id());
  record_event(root_, "container", "restart", record.id());
  return started;
}

http::Response EngineApi::wait(http::Request& request, const std::string& id) {
  ch10::ContainerRecord record = container(id);
  std::string condition = request.query_param("condition").value_or("");
  if (condition.empty()) condition = "not-running";  // `docker wait` sends condition= empty
  if (condition != "not-running" && condition != "next-exit" && condition != "removed")
    throw ApiError(400, fmt::format("invalid condition: \"{}\"", condition));
  std::string full_id = record.id();
  std::string before = finished_before(root_, full_id);
  // not-running: a container that does not run now (created, or exited) is answered at once,
  // with its last exit code (0 when it never ran), as dockerd answers.
  bool running = record.status() == "running";
  http::Response response;
  response.headers.set("Content-Type", "application/json");
  const StateRoot& root = root_;
  ProcessIdentity process = process_of(record);
  response.stream = [this, &root, full_id, before, condition, running, process, dir = record.dir](int fd) {
    std::optional<ExitRecord> exit;
    if (condition == "not-running" && !running) exit = read_exit(root, full_id).value_or(ExitRecord{});
    while (!exit || (condition == "removed" && fs::exists(dir))) {
      if (!exit) exit = new_exit(root, full_id, before);
      // Its monitor killed meanwhile: nobody would write the exit record but this clean-up.
      if (!exit && running && !process.alive() && wait_for_monitor(root, full_id, 0ms) && fs::exists(dir)) try {
          container(full_id);
        } catch (const Error&) {
          // removed meanwhile
        }
      if (exit && (condition != "removed" || !fs::exists(dir))) break;
      if (peer_gone(fd)) return;
      std::this_thread::sleep_for(20ms);
    }
    json body = {{"StatusCode", exit ? exit->status_code : 0}, {"Error", nullptr}};
    if (exit && !exit->error.empty()) body["Error"] = {{"Message", exit->error}};
    send_text(fd, body.dump() + "\n");
  };
  return response;
}

http::Response EngineApi::attach(http::Request& request, const std::string& id) {
  ch10::ContainerRecord record = container(id);
  bool want_stdout = query_flag(request, "stdout"), want_stderr = query_flag(request, "stderr");
  if (!query_flag(request, "stream") && !query_flag(request, "logs"))
    throw ApiError(400, "attach: stream or logs must be set");
  UniqueFd log = open_log(record, !query_flag(request, "logs"));
  if (!log) throw ApiError(409, fmt::format("container {} has no log to attach to", id));
  http::Response response;
  bool upgrade = request.headers.has("Upgrade");
  response.status = upgrade ? 101 : 200;
  response.headers.set("Content-Type", "application/vnd.docker.raw-stream");
  if (upgrade) {
    response.headers.set("Connection", "Upgrade");
    response.headers.set("Upgrade", "tcp");
  }
  std::string full_id = record.id(), before = finished_before(root_, full_id);
  bool stream = query_flag(request, "stream");
  const StateRoot& root = root_;
  auto reader = std::make_shared<LogReader>(std::move(log));
  // A stream follows the container's next run to its end: one that has ended already is
  // followed once it starts again (`docker start -a` attaches first, then starts).
  bool want_stdin = query_flag(request, "stdin") && record.json["Config"].value("OpenStdin", false);
  response.stream = [&root, reader, full_id, before, want_stdout, want_stderr, stream, want_stdin](int fd) {
    if (want_stdin) {
      // What the client sends goes to the container's monitor, which reads it from this
      // very connection; the output still comes back on it from here.
      try {
        hand_over_stdin(root, full_id, fd);
      } catch (const Error& e) {
        log::warning("attach {}: {}", full_id.substr(0, 12), e.what());
      }
    }
    if (!stream) {
      send_entries(fd, *reader, want_stdout, want_stderr, false);
      return;
    }
    follow(fd, *reader, root, full_id, before, want_stdout, want_stderr, false, false);
  };
  return response;
}

http::Response EngineApi::logs(http::Request& request, const std::string& id) {
  ch10::ContainerRecord record = container(id);
  bool want_stdout = query_flag(request, "stdout"), want_stderr = query_flag(request, "stderr");
  if (!want_stdout && !want_stderr) throw ApiError(400, "Bad parameters: you must choose at least one stream");
  bool timestamps = query_flag(request, "timestamps");
  bool follow_it = query_flag(request, "follow") && record.status() == "running";
  std::string tail = request.query_param("tail").value_or("all");
  UniqueFd log = open_log(record, false);
  http::Response response;
  response.headers.set("Content-Type", "application/vnd.docker.raw-stream");
  std::string full_id = record.id(), before = finished_before(root_, full_id);
  const StateRoot& root = root_;
  auto reader = std::make_shared<LogReader>(std::move(log));
  response.stream = [&root, reader, full_id, before, want_stdout, want_stderr, timestamps, follow_it, tail](int fd) {
    if (tail != "all") {
      // Only the last N entries: read them all, keep the tail, then follow from there.
      long count = std::max(0L, std::strtol(tail.c_str(), nullptr, 10));
      std::deque<LogEntry> kept;
      while (auto entry = reader->next()) {
        if ((entry->stream == "stdout" && !want_stdout) || (entry->stream == "stderr" && !want_stderr)) continue;
        kept.push_back(*entry);
        if (static_cast<long>(kept.size()) > count) kept.pop_front();
      }
      for (const auto& entry : kept)
        if (!send_text(fd, frame(entry.stream, timestamps ? entry.time + " " + entry.text : entry.text))) return;
    }
    if (follow_it)
      follow(fd, *reader, root, full_id, before, want_stdout, want_stderr, timestamps, true);
    else
      send_entries(fd, *reader, want_stdout, want_stderr, timestamps);
  };
  return response;
}

http::Response EngineApi::stop(http::Request& request, const std::string& id) {
  ch10::ContainerRecord record = container(id);
  std::string status = record.status();
  if (status == "restarting") {
    // Its monitor waits out the backoff: marked stopped, it gives up the restart. One that
    // was starting the next run already runs it: that run is stopped below.
    mark_stopped_by_user(root_, record.id(), true);
    for (int i = 0; i < 500 && container(record.id()).status() == "restarting"; ++i)
      std::this_thread::sleep_for(20ms);
    record = container(record.id());
    status = record.status();
    if (status != "running") return no_content();
  }
  // Whatever its state: a monitor between two runs reads it before it starts the next one.
  mark_stopped_by_user(root_, record.id(), true);
  if (status != "running") return empty_response(304);
  int seconds = 10;  // docker's default
  if (auto t = request.query_param("t")) seconds = std::atoi(t->c_str());
  std::string signal_name = record.json["Config"].value("StopSignal", "");
  int signal = signal_name.empty() ? SIGTERM : ch09::parse_signal(signal_name);
  ProcessIdentity process = process_of(record);
  std::string full_id = record.id();
  std::string before = finished_before(root_, full_id);
  record_event(root_, "container", "kill", full_id, {{"signal", std::to_string(signal)}});
  if (process.alive()) ::kill(process.pid, signal);
  auto ended = [&] { return new_exit(root_, full_id, before).has_value(); };
  for (int i = 0; i < seconds * 50 && !ended(); ++i) std::this_thread::sleep_for(20ms);
  if (!ended() && process.alive()) {
    record_event(root_, "container", "kill", full_id, {{"signal", std::to_string(SIGKILL)}});
    ::kill(process.pid, SIGKILL);
  }
  for (int i = 0; i < 500 && !ended(); ++i) std::this_thread::sleep_for(20ms);
  record_event(root_, "container", "stop", full_id);
  return no_content();
}

http::Response EngineApi::kill(http::Request& request, const std::string& id) {
  ch10::ContainerRecord record = container(id);
  if (record.status() != "running") throw ApiError(409, fmt::format("Container {} is not running", record.id()));
  int signal = SIGKILL;
  if (auto name = request.query_param("signal"); name && !name->empty()) {
    try {
      signal = ch09::parse_signal(*name);
    } catch (const Error& e) {
      throw ApiError(400, e.what());
    }
  }
  mark_stopped_by_user(root_, record.id(), true);  // no restart policy starts it again
  record_event(root_, "container", "kill", record.id(), {{"signal", std::to_string(signal)}});
  ProcessIdentity process = process_of(record);
  if (process.alive()) ::kill(process.pid, signal);
  return no_content();
}

http::Response EngineApi::top(http::Request& request, const std::string& id) {
  ch10::ContainerRecord record = container(id);
  if (record.status() != "running") throw ApiError(409, fmt::format("Container {} is not running", record.id()));
  // The container's processes: those in its first process's PID namespace (and below).
  ProcessIdentity first = process_of(record);
  std::error_code error;
  fs::path pid_namespace = fs::read_symlink(fmt::format("/proc/{}/ns/pid", first.pid), error);
  if (error) throw ApiError(409, fmt::format("Container {} is not running", record.id()));
  std::set<std::string> members;
  for (const auto& entry : fs::directory_iterator("/proc", error)) {
    std::error_code ignored;
    if (fs::read_symlink(entry.path() / "ns" / "pid", ignored) == pid_namespace)
      members.insert(entry.path().filename().string());
  }
  // As dockerd: ps(1) on the host with the client's ps_args (default -ef), rows kept by PID.
  std::vector<std::string> argv = {"/bin/ps"};
  std::istringstream words(request.query_param("ps_args").value_or("-ef"));
  for (std::string word; words >> word;) argv.push_back(word);
  CommandOutput ps = command_output(argv);
  if (ps.exit_code != 0) throw ApiError(500, fmt::format("ps {}: {}", fmt::join(argv, " "), ps.err));
  std::istringstream lines(ps.out);
  std::string header;
  std::getline(lines, header);
  std::vector<std::string> titles;
  std::istringstream header_words(header);
  for (std::string word; header_words >> word;) titles.push_back(word);
  auto pid_column = std::find(titles.begin(), titles.end(), "PID");
  if (pid_column == titles.end()) throw ApiError(500, "Couldn't find PID field in ps output");
  json processes = json::array();
  for (std::string line; std::getline(lines, line);) {
    // The last column (the command) keeps its spaces.
    std::vector<std::string> fields;
    std::istringstream cells(line);
    for (size_t i = 0; i + 1 < titles.size(); ++i) {
      std::string cell;
      cells >> cell;
      fields.push_back(cell);
    }
    std::string rest;
    std::getline(cells >> std::ws, rest);
    fields.push_back(rest);
    if (members.count(fields[static_cast<size_t>(pid_column - titles.begin())])) processes.push_back(fields);
  }
  return json_response(200, json{{"Titles", titles}, {"Processes", processes}});
}

http::Response EngineApi::stats(http::Request& request, const std::string& id) {
  ch10::ContainerRecord record = container(id);
  bool stream = !request.query_param("stream") || query_flag(request, "stream");  // docker's default: a stream
  bool one_shot = query_flag(request, "one-shot");
  http::Response response;
  response.headers.set("Content-Type", "application/json");
  const StateRoot& root = root_;
  response.stream = [&root, record, stream, one_shot](int fd) {
    std::optional<StatsSample> before;
    if (!stream && !one_shot) {
      // As dockerd: a sample to compare with first, so that the one answer has a CPU %.
      before = sample_stats(root, record);
      std::this_thread::sleep_for(500ms);
    }
    while (true) {
      StatsSample now = sample_stats(root, record);
      if (!send_text(fd, stats_json(record, now, before).dump() + "\n") || !stream) return;
      if (record.status() != "running") return;
      before = now;
      for (int i = 0; i < 50; ++i) {  // one a second, as dockerd sends them
        if (peer_gone(fd)) return;
        std::this_thread::sleep_for(20ms);
      }
    }
  };
  return response;
}

http::Response EngineApi::rename(http::Request& request, const std::string& id) {
  std::string name = request.query_param("name").value_or("");
  if (name.empty()) throw ApiError(400, "Error when allocating new name: Invalid container name ()");
  ch10::ContainerStore store(root_);
  UniqueFd lock = store.lock();
  ch10::ContainerRecord record = container(id);
  if (name[0] == '/') name = name.substr(1);
  try {
    ch10::check_container_name(name);
  } catch (const Error& e) {
    throw ApiError(400, fmt::format("Error when allocating new name: {}", e.what()));
  }
  if (record.name() == name) throw ApiError(400, "Renaming a container with the same name as its current name");
  try {
    store.check_name_free(name);
  } catch (const Error& e) {
    throw ApiError(409, fmt::format("Error when allocating new name: {}", e.what()));
  }
  std::string old_name = record.name();
  record.json["Name"] = "/" + name;
  ch10::ContainerStore::save(record, true);
  record_event(root_, "container", "rename", record.id(), {{"oldName", "/" + old_name}});
  return no_content();
}

http::Response EngineApi::remove(http::Request& request, const std::string& id) {
  ch10::ContainerRecord record = container(id);
  std::string full_id = record.id(), status = record.status();
  if (status == "restarting") {
    if (!query_flag(request, "force"))
      throw ApiError(409, fmt::format("You cannot remove a restarting container {}. Stop the container before "
                                      "attempting removal or force remove",
                                      full_id));
    mark_stopped_by_user(root_, full_id, true);
    for (int i = 0; i < 500 && container(full_id).status() == "restarting"; ++i)
      std::this_thread::sleep_for(20ms);
  } else if (status == "running") {
    mark_stopped_by_user(root_, full_id, true);
    record_event(root_, "container", "kill", full_id, {{"signal", std::to_string(SIGKILL)}});
    if (!query_flag(request, "force"))
      throw ApiError(409, fmt::format("You cannot remove a running container {}. Stop the container before attempting "
                                      "removal or force remove",
                                      full_id));
    std::string before = finished_before(root_, full_id);
    ProcessIdentity process = process_of(record);
    if (process.alive()) ::kill(process.pid, SIGKILL);
    for (int i = 0; i < 500 && !new_exit(root_, full_id, before); ++i) std::this_thread::sleep_for(20ms);
  } else if (status == "created") {
    tell_monitor(root_, full_id, "remove");
    for (int i = 0; i < 500 && fs::exists(control_fifo(root_, full_id)); ++i) std::this_thread::sleep_for(20ms);
  }
  // Its monitor cleans up after it (unmounts, releases its address) before it goes.
  if (!wait_for_monitor(root_, full_id, 20s))
    throw ApiError(500, fmt::format("container {}: its monitor is still cleaning up after it: try again", full_id));
  auto current = ch10::ContainerStore(root_).load(full_id);
  if (current) {
    record_event(root_, "container", "destroy", full_id);
    ch10::ContainerStore::remove(*current);
    if (query_flag(request, "v")) {
      // Its anonymous volumes go with it (named ones stay, as docker keeps them).
      ch13::VolumeStore volumes(root_);
      UniqueFd lock = volumes.lock();
      for (const auto& mount : current->json.value("Mounts", json::array())) {
        auto volume = volumes.find(mount.value("Name", ""));
        if (volume && volume->anonymous()) volumes.remove(*volume);
      }
    }
  }
  forget_container(root_, full_id);
  return no_content();
}

http::Response EngineApi::list_containers(http::Request& request) {
  bool all = query_flag(request, "all");
  ch10::ImageStore images(root_);
  double now = ch10::now_seconds();
  json list = json::array();
  std::map<std::string, std::string> image_columns;  // by the record's name and id: looked up once
  for (const auto& record : ch10::ContainerStore(root_).list()) {
    std::string status = record.status();
    if (!all && status != "running") continue;
    std::string image_key = record.json["Config"].value("Image", "") + "\n" + record.json.value("Image", "");
    auto column = image_columns.find(image_key);
    if (column == image_columns.end()) column = image_columns.emplace(image_key, ch10::image_column(record, images)).first;
    const json& config = record.json.value("Config", json::object());
    json mounts = json::array();
    for (const auto& mount : record.json.value("Mounts", json::array())) mounts.push_back(mount);
    list.push_back({{"Id", record.id()},
                    {"Names", {"/" + record.name()}},
                    {"Image", column->second},
                    {"ImageID", record.json.value("Image", "")},
                    {"Command", ch10::command_line(record.json)},
                    {"Created", static_cast<std::int64_t>(ch10::rfc3339_seconds(record.json.value("Created", "")))},
                    {"Ports", json::array()},
                    {"Labels", config.value("Labels", json::object())},
                    {"State", status},
                    {"Status", ch10::status_text(record, now)},
                    {"HostConfig",
                     {{"NetworkMode", record.json.value("HostConfig", json::object()).value("NetworkMode", "default")}}},
                    {"NetworkSettings", {{"Networks", json::object()}}},
                    {"Mounts", mounts}});
  }
  return json_response(200, list);
}

http::Response EngineApi::inspect_container(const std::string& id) {
  ch10::ContainerRecord record = container(id);
  nlohmann::ordered_json object = ch10::inspect_container(record);
  object["LogPath"] = log_path(record.dir, record.id()).string();
  return json_response(200, object);
}

http::Response EngineApi::list_images() {
  ch10::ImageStore store(root_);
  json list = json::array();
  for (const auto& image : store.images()) {
    std::uint64_t size = 0;
    for (const auto& diff_id : image.diff_ids) size += store.layer_size(diff_id);
    json tags = json::array();
    for (const auto& name : image.names)
      if (!name.tag.empty()) tags.push_back(name.familiar_name() + ":" + name.tag);
    list.push_back({{"Id", image.id},
                    {"ParentId", ""},
                    {"RepoTags", tags},
                    {"RepoDigests", json::array()},
                    {"Created", static_cast<std::int64_t>(ch10::rfc3339_seconds(image.created))},
                    {"Size", size},
                    {"SharedSize", -1},
                    {"VirtualSize", size},
                    {"Labels", image.config.value("config", json::object()).value("Labels", json::object())},
                    {"Containers", -1}});
  }
  return json_response(200, list);
}

http::Response EngineApi::inspect_image(const std::string& name) {
  ch10::ImageStore store(root_);
  try {
    return json_response(200, ch10::inspect_image(store, store.find(name)));
  } catch (const Error& e) {
    throw ApiError(404, e.what());
  }
}

http::Response EngineApi::version() {
  utsname host{};
  ::uname(&host);
  std::string arch = ch10::oci_architecture();
  json component = {{"Name", "Engine"},
                    {"Version", "20.10.24-dockling"},
                    {"Details",
                     {{"ApiVersion", kApiVersion}, {"MinAPIVersion", "1.12"}, {"Os", "linux"}, {"Arch", arch},
                      {"KernelVersion", host.release}}}};
  return json_response(200, json{{"Platform", {{"Name", "dockling"}}},
                                 {"Components", json::array({component})},
                                 {"Version", "20.10.24-dockling"},
                                 {"ApiVersion", kApiVersion},
                                 {"MinAPIVersion", "1.12"},
                                 {"GitCommit", "dockling"},
                                 {"GoVersion", "none (C++20)"},
                                 {"Os", "linux"},
                                 {"Arch", arch},
                                 {"KernelVersion", host.release},
                                 {"BuildTime", ""}});
}

http::Response EngineApi::info() {
  utsname host{};
  ::uname(&host);
  int running = 0, stopped = 0, total = 0;
  for (const auto& record : ch10::ContainerStore(root_).list()) {
    ++total;
    (record.status() == "running" ? running : stopped)++;
  }
  json answer{{"ID", ""},
               {"Containers", total},
               {"ContainersRunning", running},
               {"ContainersPaused", 0},
               {"ContainersStopped", stopped},
               {"Images", ch10::ImageStore(root_).images().size()},
               {"Driver", "overlay"},
               {"DockerRootDir", root_.dir().string()},
               {"Name", host.nodename},
               {"ServerVersion", "20.10.24-dockling"},
               {"OSType", "linux"},
               {"OperatingSystem", "dockling"},
               {"Architecture", host.machine},
               {"KernelVersion", host.release},
               {"NCPU", static_cast<int>(std::thread::hardware_concurrency())},
               {"LoggingDriver", "json-file"},
               {"CgroupDriver", "cgroupfs"},
               {"SecurityOptions", {"name=seccomp,profile=default"}}};
  answer["RegistryConfig"] = {{"InsecureRegistryCIDRs", {"127.0.0.0/8"}},
                              {"IndexConfigs",
                               {{"docker.io", {{"Name", "docker.io"}, {"Mirrors", registry_.mirrors}, {"Secure", true}, {"Official", true}}}}},
                              {"Mirrors", registry_.mirrors}};
  if (extension_ != nullptr) extension_->add_info(answer);
  return json_response(200, answer);
}

}  // namespace dockling::ch14
