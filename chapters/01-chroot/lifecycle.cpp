#include "lifecycle.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <ctime>
#include <filesystem>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "dockling/fd.hpp"
#include "dockling/fs.hpp"
#include "dockling/log.hpp"
#include "dockling/process.hpp"
#include "dockling/tempdir.hpp"
#include "fork_exec.hpp"
#include "signal_forwarder.hpp"
#include "spec_json.hpp"

namespace dockling {

namespace fs = std::filesystem;

namespace {

constexpr const char* kStateFile = "state.json";

/// Now, as runc writes `created`: RFC 3339 in UTC with nanoseconds.
std::string rfc3339_now() {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  tm utc{};
  ::gmtime_r(&now.tv_sec, &utc);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &utc);
  return fmt::format("{}.{:09}Z", date, now.tv_nsec);
}

/// runc's rule for ids: letters, digits, '_', '+', '-', '.', and not "." or "..".
void check_id(const std::string& id) {
  bool valid = !id.empty() && id != "." && id != ".." && id.size() <= 1024 &&
               std::all_of(id.begin(), id.end(), [](char c) {
                 return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '+' || c == '-' || c == '.';
               });
  if (!valid) throw Error(fmt::format("invalid container id \"{}\": use letters, digits, '_', '+', '-' and '.'", id));
}

Status status_from_name(const std::string& name) {
  for (Status status : {Status::creating, Status::created, Status::running, Status::stopped})
    if (status_name(status) == name) return status;
  return Status::stopped;
}

nlohmann::json identity_json(const ProcessIdentity& identity) {
  return {{"pid", identity.pid}, {"start_time", identity.start_time}};
}

ProcessIdentity identity_from(const nlohmann::json& json) {
  return {json.value("pid", 0), json.value("start_time", std::uint64_t{0})};
}

/// The status as it is now: what the file says, unless the process it names is gone.
Status current_status(Status recorded, const ProcessIdentity& process, const ProcessIdentity& creator) {
  if (recorded == Status::creating) return creator.alive() ? Status::creating : Status::stopped;
  if (recorded == Status::stopped || !process.alive()) return Status::stopped;
  return recorded;
}

/// Waits until the process `pid` (whose identity was checked) has exited, polling a pidfd.
void wait_until_gone(const ProcessIdentity& process) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, process.pid, 0));
  if (fd < 0) return;  // gone already
  UniqueFd pidfd(fd);
  pollfd entry{pidfd.get(), POLLIN, 0};
  while (process.alive() && ::poll(&entry, 1, 100) <= 0) {
  }
}

/// Lets the created container at `dir` go on to its command: opening exec.fifo for reading
/// releases the child blocked opening it for writing; its byte says it got through. Gives up
/// when the process dies first.
void release(const fs::path& dir, const ProcessIdentity& process) {
  fs::path path = dir / kExecFifo;
  // The pidfd first, while the process still waits: once released it may exec a short
  // command and be gone before we look. Checked after, so that it is this very process.
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, process.pid, 0)));
  if (!pidfd || !process.alive()) throw Error("cannot start a container whose process has exited");
  UniqueFd fifo = open_fd(path.string(), O_RDONLY | O_NONBLOCK);
  pollfd entries[2] = {{fifo.get(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
  for (;;) {
    int n = ::poll(entries, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    check(n, "poll", path.string());
    char byte = 0;
    if ((entries[0].revents & (POLLIN | POLLHUP)) && ::read(fifo.get(), &byte, 1) == 1) break;
    if (entries[1].revents & POLLIN) throw Error("the container's process exited before it could start");
  }
  ::unlink(path.c_str());  // started: no second start (runc removes it too)
}

}  // namespace

std::string_view status_name(Status status) {
  switch (status) {
    case Status::creating: return "creating";
    case Status::created: return "created";
    case Status::running: return "running";
    case Status::stopped: return "stopped";
  }
  return "stopped";
}

/// The container this process created: its process, our end of its socket, and the steps'
/// live state in `container`.
struct Lifecycle::Attached {
  ContainerSpec spec;
  Container container;
  ContainerState state;
  std::optional<ch00::SignalForwarder> forwarder;  ///< `run`: signals to us go to the command
  UniqueFd socket;
  Child child;
  bool waited = false;  ///< reaped by wait()
  int exit_code = 0;

  Attached(const ContainerSpec& what, const StateRoot& root) : spec(what), container(spec, root) {}
};

Lifecycle::Lifecycle(const Steps& steps, const StateRoot& root) : steps_(steps), root_(root) {}

Lifecycle::~Lifecycle() {
  if (!attached_) return;
  if (attached_->container.detached) {
    attached_->child.mark_reaped();  // it lives on; whoever deletes it cleans up
    return;
  }
  try {
    std::string id = attached_->spec.id;  // a copy: remove() destroys attached_
    remove(id, true);
  } catch (const std::exception& e) {
    log::warning("{}", e.what());
  }
}

void Lifecycle::save(const ContainerState& state) const {
  nlohmann::json json = {{"id", state.id},
                         {"status", status_name(state.status)},
                         {"process", identity_json(state.process)},
                         {"creator", identity_json(state.creator)},
                         {"created", state.created},
                         {"detached", state.detached},
                         {"spec", state.spec},
                         {"record", state.record}};
  write_file_atomically(root_.container_run_dir(state.id) / kStateFile, json.dump());
}

std::optional<ContainerState> Lifecycle::load(const std::string& id) const {
  fs::path path = root_.container_run_dir(id) / kStateFile;
  std::string text;
  try {
    text = read_file(path.string());
  } catch (const SysError& e) {
    if (e.error_number() == ENOENT || e.error_number() == ENOTDIR) return std::nullopt;
    throw;
  }
  try {
    nlohmann::json json = nlohmann::json::parse(text);
    ContainerState state;
    state.id = json.at("id").get<std::string>();
    state.process = identity_from(json.value("process", nlohmann::json::object()));
    state.creator = identity_from(json.value("creator", nlohmann::json::object()));
    state.status = current_status(status_from_name(json.value("status", "")), state.process, state.creator);
    state.created = json.value("created", "");
    state.detached = json.value("detached", false);
    state.spec = json.at("spec").get<ContainerSpec>();
    state.record = json.value("record", nlohmann::json::object());
    return state;
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: not a container's state: {}", path.string(), e.what()));
  }
}

void Lifecycle::undo(Container& container) noexcept {
  for (auto it = steps_.rbegin(); it != steps_.rend(); ++it) (*it)->after_exit(container);
}

void Lifecycle::create(const ContainerSpec& spec, const CreateOptions& options) {
  check_id(spec.id);
  const fs::path& rootfs = spec.root.path;
  if (!path_exists(rootfs)) throw Error(fmt::format("rootfs \"{}\": No such file or directory", rootfs.string()));
  if (!is_directory(rootfs)) throw Error(fmt::format("rootfs \"{}\": not a directory", rootfs.string()));
  if (spec.process.args.empty()) throw Error("no command to run");
  if (attached_) throw Error("this process holds a container already");
  remove_crashed();

  // The run directory: state.json, and exec.fifo where the child waits for start. 0711 and
  // 0622: the child may be an unprivileged user by then (-u, a user namespace).
  fs::path dir = root_.container_run_dir(spec.id);
  // A parallel delete may remove the empty parents (tidy_run_dir) between the two mkdirs.
  for (int attempt = 0;; ++attempt) {
    std::error_code error;
    fs::create_directories(root_.containers_run_dir(), error);
    if (error) throw Error(fmt::format("mkdir(\"{}\"): {}", root_.containers_run_dir().string(), error.message()));
    if (::mkdir(dir.c_str(), 0711) == 0) break;
    if (errno == EEXIST) throw Error(fmt::format("container with id exists: {}", spec.id));
    if (errno != ENOENT || attempt == 100) throw SysError("mkdir", dir.string(), errno);
  }
  auto attached = std::make_unique<Attached>(spec, root_);
  Container& container = attached->container;
  ContainerState& state = attached->state;
  state = {spec.id, Status::creating, {}, ProcessIdentity::self(), rfc3339_now(), options.detached, spec,
           nlohmann::json::object()};
  container.detached = options.detached;
  try {
    fs::path fifo = dir / kExecFifo;
    check(::mkfifo(fifo.c_str(), 0622), "mkfifo", fifo.string());
    check(::chmod(fifo.c_str(), 0622), "chmod", fifo.string());  // whatever the umask
    UniqueFd run_dir = open_fd(dir.string(), O_PATH | O_DIRECTORY);
    container.run_dir_fd = run_dir.get();
    int flags = 0;
    for (const auto& step : steps_) {
      log::debug("parent: {}: before clone", step->name());
      step->before_clone(container);
      flags |= step->clone_flags(spec);
    }
    state.record = container.record;
    save(state);  // from here a crash leaves a record that `delete` can undo
    if (!options.detached) attached->forwarder.emplace();  // before clone: no signal is lost
    pid_t pid = start_child(container, steps_, flags, attached->socket);
    attached->child = Child(pid);
    container.run_dir_fd = -1;
    run_dir.reset();
    state.process = ProcessIdentity::of(pid);
    for (const auto& step : steps_) {
      log::debug("parent: {}: after clone (child {})", step->name(), pid);
      step->after_clone(container, pid);
    }
    if (attached->forwarder) attached->forwarder->forward_to(pid);
    char go = 1;
    check(static_cast<int>(::send(attached->socket.get(), &go, 1, MSG_NOSIGNAL)), "send", "go");
    auto report = read_child_report(attached->socket.get());
    if (!report) throw Error("the container's process exited while it was being created");
    if (report->first != 0) throw Error(report->second, report->first);
    state.status = Status::created;
    state.record = container.record;
    save(state);
  } catch (...) {
    attached->child.kill_and_reap();
    undo(container);
    remove_tree(dir);
    root_.tidy_run_dir();
    throw;
  }
  attached_ = std::move(attached);
  if (options.detached) {
    attached_->child.mark_reaped();  // it outlives us: no kill when we go
  }
}

void Lifecycle::start(const std::string& id) {
  if (attached_ && attached_->spec.id == id && !attached_->container.detached) {
    Attached& attached = *attached_;
    if (attached.state.status != Status::created) throw Error(fmt::format("container {} is not created", id));
    release(root_.container_run_dir(id), attached.state.process);
    attached.state.status = Status::running;
    save(attached.state);
    // Its end of the socket closes on exec (CLOEXEC): end of file means the command runs.
    auto report = read_child_report(attached.socket.get());
    if (report) throw Error(report->second, report->first);
    for (const auto& step : steps_) step->after_start(attached.container, attached.state.process.pid);
    return;
  }
  auto state = load(id);
  if (!state) throw Error(fmt::format("container {} does not exist", id));
  if (state->status != Status::created)
    throw Error(fmt::format("cannot start a container that is {}", status_name(state->status)));
  release(root_.container_run_dir(id), state->process);
  state->status = Status::running;
  save(*state);
  Container container(state->spec, root_);
  container.record = state->record;
  container.detached = true;
  for (const auto& step : steps_) step->after_start(container, state->process.pid);
}

int Lifecycle::wait() {
  if (!attached_ || attached_->container.detached) throw Error("no container of this process to wait for");
  Attached& attached = *attached_;
  if (!attached.waited) {
    int status = ch00::wait_for_exit(attached.child.pid());
    attached.child.mark_reaped();
    attached.waited = true;
    attached.exit_code = ch00::exit_code_from_status(status);
    attached.container.exit_code = attached.exit_code;
  }
  return attached.exit_code;
}

void Lifecycle::kill(const std::string& id, int signal) {
  ContainerState current = state(id);
  if (current.status != Status::created && current.status != Status::running)
    throw Error(fmt::format("container {} is not running", id));
  check(::kill(current.process.pid, signal), "kill", std::to_string(current.process.pid));
}

void Lifecycle::remove(const std::string& id, bool force) {
  if (attached_ && attached_->spec.id == id && !attached_->container.detached) {
    std::unique_ptr<Attached> attached = std::move(attached_);
    if (!attached->waited && attached->child.pid() > 0) {
      if (!force && attached->state.process.alive())
        throw Error(fmt::format("cannot delete container {} that is not stopped", id));
      attached->child.kill_and_reap();
    }
    undo(attached->container);
  } else {
    auto state = load(id);
    if (!state) throw Error(fmt::format("container {} does not exist", id));
    if (state->status != Status::stopped) {
      if (!force)
        throw Error(fmt::format("cannot delete container {} that is not stopped: {}", id, status_name(state->status)));
      if (state->status == Status::creating) throw Error(fmt::format("container {} is being created", id));
      ::kill(state->process.pid, SIGKILL);
      wait_until_gone(state->process);
    }
    Container container(state->spec, root_);
    container.record = state->record;
    container.detached = true;
    undo(container);
  }
  remove_tree(root_.container_run_dir(id));
  root_.tidy_run_dir();
}

ContainerState Lifecycle::state(const std::string& id) const {
  check_id(id);
  auto state = load(id);
  if (!state) throw Error(fmt::format("container {} does not exist", id));
  return *state;
}

void Lifecycle::remove_crashed() noexcept {
  try {
    for (const auto& state : list()) {
      if (state.status != Status::stopped || state.detached || state.creator.alive()) continue;
      log::debug("removing container {}: its run died without deleting it", state.id);
      remove(state.id, false);
    }
  } catch (const std::exception& e) {
    log::warning("{}", e.what());
  }
}

std::vector<ContainerState> Lifecycle::list() const {
  std::vector<ContainerState> states;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(root_.containers_run_dir(), error)) {
    try {
      if (auto state = load(entry.path().filename())) states.push_back(std::move(*state));
    } catch (const Error& e) {
      log::warning("{}", e.what());
    }
  }
  std::sort(states.begin(), states.end(), [](const auto& a, const auto& b) { return a.created < b.created; });
  return states;
}

}  // namespace dockling
