#include "engine_exec.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "api_response.hpp"
#include "container_log.hpp"
#include "dockling/error.hpp"
#include "dockling/fs.hpp"
#include "dockling/log.hpp"
#include "engine_events.hpp"
#include "exec_user.hpp"
#include "in_root.hpp"
#include "spawn_process.hpp"
#include "terminal.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace dockling::ch14 {

namespace http = ch12::http;
using json = nlohmann::json;

namespace {

/// Reads what `fd` has now into `into`; false at its end (or an error: a terminal's master
/// reads EIO once the command and everything it started closed the terminal).
bool read_some(int fd, std::string& into) {
  char buffer[16384];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof buffer)) < 0 && errno == EINTR) {
  }
  if (n <= 0) return false;
  into.append(buffer, static_cast<size_t>(n));
  return true;
}

/// The string list `key` of a request body (absent or null: empty).
std::vector<std::string> strings(const json& body, const char* key) {
  auto value = body.find(key);
  if (value == body.end() || value->is_null()) return {};
  if (!value->is_array()) throw ApiError(400, fmt::format("{}: expected a list of strings", key));
  std::vector<std::string> list;
  for (const auto& item : *value) {
    if (!item.is_string()) throw ApiError(400, fmt::format("{}: expected a list of strings", key));
    list.push_back(item.get<std::string>());
  }
  return list;
}

/// The text `key` of a request body ("" when absent or null).
std::string text(const json& body, const char* key) {
  auto value = body.find(key);
  if (value == body.end() || value->is_null()) return "";
  if (!value->is_string()) throw ApiError(400, fmt::format("{}: expected a string", key));
  return value->get<std::string>();
}

bool boolean(const json& body, const char* key) {
  auto value = body.find(key);
  return value != body.end() && value->is_boolean() && value->get<bool>();
}

/// The running container's first process, from its record.
pid_t container_pid(const ch10::ContainerRecord& record) {
  return record.json.value("State", json::object()).value("Pid", 0);
}

/// Tells the client why its exec failed, as dockerd does: on its output (framed as stdout
/// without a terminal), ended by "\r\n".
void send_error(int client, bool tty, const std::string& message) {
  if (client >= 0) send_text(client, tty ? message + "\r\n" : frame("stdout", message + "\r\n"));
}

void set_window_size(int master, unsigned short rows, unsigned short columns) {
  winsize size{rows, columns, 0, 0};
  if (::ioctl(master, TIOCSWINSZ, &size) != 0) log::debug("exec: TIOCSWINSZ: {}", std::strerror(errno));
}

}  // namespace

ExecInstances::ExecInstances(const StateRoot& root, fs::path program) : root_(root), program_(std::move(program)) {}

std::shared_ptr<ExecInstance> ExecInstances::find(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto found = instances_.find(id);
  if (found == instances_.end()) throw ApiError(404, fmt::format("No such exec instance: {}", id));
  return found->second;
}

http::Response ExecInstances::create(http::Request& request, const ch10::ContainerRecord& container) {
  json body = json_body(request);
  if (container.status() != "running")
    throw ApiError(409, fmt::format("Container {} is not running", container.id()));
  auto exec = std::make_shared<ExecInstance>();
  exec->args = strings(body, "Cmd");
  if (exec->args.empty()) throw ApiError(400, "No exec command specified");
  exec->env = strings(body, "Env");
  for (const auto& entry : exec->env)
    if (entry.empty() || entry[0] == '=')
      throw ApiError(400, fmt::format("invalid environment variable: {}", entry));
  exec->user = text(body, "User");
  exec->working_dir = text(body, "WorkingDir");
  exec->tty = boolean(body, "Tty");
  exec->attach_stdin = boolean(body, "AttachStdin");
  exec->attach_stdout = boolean(body, "AttachStdout");
  exec->attach_stderr = boolean(body, "AttachStderr");
  exec->container_id = container.id();
  exec->id = random_hex(32);
  {
    std::lock_guard lock(mutex_);
    instances_[exec->id] = exec;
  }
  log::info("exec {} in {}: {}", exec->id.substr(0, 12), container.id().substr(0, 12), fmt::join(exec->args, " "));
  record_event(root_, "container", fmt::format("exec_create: {} ", fmt::join(exec->args, " ")), container.id(),
               {{"execID", exec->id}});
  return json_response(201, json{{"Id", exec->id}});
}

std::vector<std::string> ExecInstances::oci_exec_args(const ExecInstance& exec, const std::string& console_socket,
                                                      const fs::path& pid_file) const {
  std::vector<std::string> args = {program_.string(), "--root", root_.dir().string(), "oci", "exec",
                                   "--pid-file", pid_file.string()};
  if (!console_socket.empty()) args.insert(args.end(), {"--tty", "--console-socket", console_socket});
  std::vector<std::string> env = exec.env;
  if (!exec.user.empty()) {
    // docker's -u: a name or uid (and group), looked up in the container's own files.
    auto record = ch10::ContainerStore(root_).load(exec.container_id);
    fs::path container_root = fmt::format("/proc/{}/root", record ? container_pid(*record) : 0);
    ch07::ExecUser user;
    try {
      user = ch07::resolve_user(exec.user, ch03::read_file_in_root(container_root, "/etc/passwd").value_or(""),
                                ch03::read_file_in_root(container_root, "/etc/group").value_or(""));
    } catch (const Error& e) {
      throw ApiError(500, e.what());
    }
    args.insert(args.end(), {"--user", fmt::format("{}:{}", user.uid, user.gid)});
    for (auto gid : user.groups) args.insert(args.end(), {"-g", std::to_string(gid)});
    bool has_home = std::any_of(env.begin(), env.end(), [](const std::string& e) { return e.rfind("HOME=", 0) == 0; });
    if (!has_home) env.push_back("HOME=" + user.home);
  }
  for (const auto& entry : env) args.insert(args.end(), {"--env", entry});
  if (!exec.working_dir.empty()) args.insert(args.end(), {"--cwd", exec.working_dir});
  args.push_back("--");
  args.push_back(exec.container_id);
  args.insert(args.end(), exec.args.begin(), exec.args.end());
  return args;
}

http::Response ExecInstances::start(http::Request& request, const std::string& id) {
  json body = json_body(request);
  std::shared_ptr<ExecInstance> exec = find(id);
  {
    std::lock_guard lock(mutex_);
    if (exec->started) throw ApiError(409, fmt::format("Error: Exec command {} has already run", id));
    auto record = ch10::ContainerStore(root_).load(exec->container_id);
    if (!record || record->status() != "running")
      throw ApiError(409, fmt::format("Container {} is not running", exec->container_id));
    exec->started = true;
    exec->running = true;
  }
  if (boolean(body, "Detach")) {
    std::thread([this, exec] { run(exec, -1); }).detach();
    return empty_response(200);
  }
  http::Response response;
  bool upgrade = request.headers.has("Upgrade");
  response.status = upgrade ? 101 : 200;
  response.headers.set("Content-Type", "application/vnd.docker.raw-stream");
  if (upgrade) {
    response.headers.set("Connection", "Upgrade");
    response.headers.set("Upgrade", "tcp");
  }
  response.stream = [this, exec](int fd) { run(exec, fd); };
  return response;
}

void ExecInstances::run(const std::shared_ptr<ExecInstance>& exec, int client) {
  fs::path dir = root_.dir() / "engine" / "exec";
  std::string name = exec->id.substr(0, 16);
  fs::path pid_file = dir / (name + ".pid"), socket_path = dir / (name + ".sock");
  bool tty = exec->tty && client >= 0;
  auto finish = [&](int code, const std::string& error) {
    record_event(root_, "container", "exec_die", exec->container_id,
                 {{"execID", exec->id}, {"exitCode", std::to_string(code)}});
    std::lock_guard lock(mutex_);
    exec->running = false;
    exec->exit_code = code;
    exec->terminal.reset();
    if (!error.empty()) log::warning("exec {}: {}", exec->id.substr(0, 12), error);
  };
  pid_t pid = -1;
  try {
    fs::create_directories(dir);
    // With a terminal: its master comes to us on a console socket (runc's), so that the
    // daemon relays it and can resize it.
    std::optional<http::Listener> console;
    if (tty) console = http::listen_on("unix:" + socket_path.string());
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) throw SysError("pipe2", "exec", errno);
    UniqueFd out_read(out[0]), out_write(out[1]), err_read(err[0]), err_write(err[1]);
    UniqueFd null = open_fd("/dev/null", O_RDWR | O_CLOEXEC);
    // Without a terminal its stdin is the client's socket itself (-i): the command reads
    // what the client sends, and the end of it when the client shuts down its side.
    int in = client >= 0 && exec->attach_stdin && !tty ? client : null.get();
    record_event(root_, "container", fmt::format("exec_start: {} ", fmt::join(exec->args, " ")), exec->container_id,
                 {{"execID", exec->id}});
    pid = spawn_process(oci_exec_args(*exec, tty ? socket_path.string() : "", pid_file),
                        {in, tty ? null.get() : out[1], err[1]}, false);
    out_write.reset();
    err_write.reset();
    if (tty) out_read.reset();

    std::shared_ptr<UniqueFd> master;
    std::string held_errors;  // the runtime's stderr until the command runs: its error, if any
    bool command_runs = false;
    bool client_open = client >= 0;
    bool client_reads = tty && exec->attach_stdin;
    auto send = [&](const std::string& stream, const std::string& data) {
      if (!client_open) return;
      bool wanted = stream == "stdout" ? exec->attach_stdout : exec->attach_stderr;
      if (!wanted) return;
      if (!send_text(client, tty ? data : frame(stream, data))) client_open = false;
    };
    auto check_started = [&] {
      if (command_runs) return;
      // `oci exec` writes its pid file (and renames it into place) once the command runs.
      if (!path_exists(pid_file.string())) return;
      command_runs = true;
      {
        std::lock_guard lock(mutex_);
        exec->pid = std::atoi(read_file(pid_file.string()).c_str());
      }
      // What came on stderr meanwhile was the command's own (it runs): it goes out now.
      if (!tty && !held_errors.empty()) send("stderr", held_errors);
      if (!tty) held_errors.clear();
    };
    while (out_read || err_read || (master && *master)) {
      std::vector<pollfd> fds;
      if (console) fds.push_back({console->fd.get(), POLLIN, 0});
      if (out_read) fds.push_back({out_read.get(), POLLIN, 0});
      if (err_read) fds.push_back({err_read.get(), POLLIN, 0});
      if (master && *master) fds.push_back({master->get(), POLLIN, 0});
      if (client_reads && master && *master) fds.push_back({client, POLLIN, 0});
      int ready = ::poll(fds.data(), fds.size(), 50);
      check_started();
      if (ready <= 0) continue;
      for (const auto& entry : fds) {
        if (!entry.revents) continue;
        std::string data;
        if (console && entry.fd == console->fd.get()) {
          UniqueFd connection(::accept4(console->fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
          if (!connection) continue;
          master = std::make_shared<UniqueFd>(ch03::receive_fd(connection.get()));
          console.reset();
          ::unlink(socket_path.c_str());
          std::lock_guard lock(mutex_);
          exec->terminal = master;
          if (exec->size) set_window_size(master->get(), exec->size->first, exec->size->second);
        } else if (entry.fd == out_read.get()) {
          if (read_some(entry.fd, data)) send("stdout", data);
          else out_read.reset();
        } else if (entry.fd == err_read.get()) {
          if (!read_some(entry.fd, data)) {
            err_read.reset();
          } else {
            check_started();
            // Before the command runs, what comes is the runtime's; with a terminal it is
            // always the runtime's (the command writes to its terminal).
            if (command_runs && !tty) send("stderr", data);
            else held_errors += data;
          }
        } else if (master && entry.fd == master->get()) {
          if (read_some(entry.fd, data)) {
            send("stdout", data);
          } else {
            std::lock_guard lock(mutex_);
            master->reset();
          }
        } else if (entry.fd == client) {
          if (!read_some(client, data)) {
            client_reads = false;
            continue;
          }
          try {
            write_all(master->get(), data);  // what the client types, to the terminal
          } catch (const Error&) {
            client_reads = false;
          }
        }
      }
    }
    if (console) ::unlink(socket_path.c_str());
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    pid = -1;
    check_started();
    ::unlink(pid_file.c_str());
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (!command_runs) {
      // It never ran: docker's 126 and its words, on the output the client reads.
      std::string message = held_errors.substr(0, held_errors.find_last_not_of("\r\n") + 1);
      if (size_t colon = message.find(": "); colon != std::string::npos) message = message.substr(colon + 2);
      if (client_open)
        send_error(client, tty, fmt::format("OCI runtime exec failed: exec failed: unable to start container process: "
                                            "{}: unknown",
                                            message));
      finish(126, message);
      return;
    }
    finish(code, "");
  } catch (const std::exception& e) {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    ::unlink(socket_path.c_str());
    ::unlink(pid_file.c_str());
    send_error(client, tty, e.what());
    finish(126, e.what());
  }
}

http::Response ExecInstances::inspect(const std::string& id) {
  std::shared_ptr<ExecInstance> exec = find(id);
  std::lock_guard lock(mutex_);
  nlohmann::ordered_json process = {{"tty", exec->tty},
                                    {"entrypoint", exec->args.front()},
                                    {"arguments", std::vector<std::string>(exec->args.begin() + 1, exec->args.end())},
                                    {"privileged", false}};
  if (!exec->user.empty()) process["user"] = exec->user;
  nlohmann::ordered_json object = {{"ID", exec->id},
                                   {"Running", exec->running},
                                   {"ExitCode", exec->exit_code ? json(*exec->exit_code) : json(nullptr)},
                                   {"ProcessConfig", process},
                                   {"OpenStdin", exec->attach_stdin},
                                   {"OpenStderr", exec->attach_stderr},
                                   {"OpenStdout", exec->attach_stdout},
                                   {"CanRemove", false},
                                   {"ContainerID", exec->container_id},
                                   {"DetachKeys", ""},
                                   {"Pid", exec->pid}};
  return json_response(200, object);
}

http::Response ExecInstances::resize(http::Request& request, const std::string& id) {
  std::shared_ptr<ExecInstance> exec = find(id);
  auto number = [&](const char* key) {
    std::string value = request.query_param(key).value_or("");
    if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos || value.size() > 5)
      throw ApiError(400, fmt::format("invalid {}: \"{}\"", key, value));
    return static_cast<unsigned short>(std::stoul(value));
  };
  unsigned short rows = number("h"), columns = number("w");
  std::lock_guard lock(mutex_);
  if (!exec->running) throw ApiError(409, fmt::format("Exec {} is not running", id));
  exec->size = {rows, columns};  // kept for a terminal that is not there yet
  if (exec->terminal && *exec->terminal) set_window_size(exec->terminal->get(), rows, columns);
  return empty_response(200);
}

}  // namespace dockling::ch14
