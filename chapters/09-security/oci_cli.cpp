#include "oci_cli.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "dockling/cli.hpp"
#include "dockling/error.hpp"
#include "dockling/fd.hpp"
#include "dockling/fs.hpp"
#include "dockling/log.hpp"
#include "exec_user.hpp"
#include "in_root.hpp"
#include "lifecycle.hpp"
#include "oci_command.hpp"
#include "oci_exec.hpp"
#include "security_step.hpp"

namespace dockling::ch09 {

namespace fs = std::filesystem;

namespace {

/// The steps that created container `id`: a bundle's (its hooks run at start and delete), or
/// chapter 09's (`run`). What they do comes from the spec in its state.json.
Steps steps_for(const StateRoot& root, const std::string& id) {
  Steps none;
  ContainerState state = Lifecycle(none, root).state(id);
  // As runc: the spec saved at create, not config.json as it may be now.
  return state.spec.bundle.empty() ? make_pipeline(steps()) : bundle_steps("");
}

/// runc's state JSON for one container, its fields in runc's order.
nlohmann::ordered_json oci_state(const ContainerState& state) {
  nlohmann::ordered_json json = {{"ociVersion", "1.0.2"},
                         {"id", state.id},
                         {"pid", state.status == Status::stopped ? 0 : state.process.pid},
                         {"status", status_name(state.status)},
                         {"bundle", state.spec.bundle},
                         {"rootfs", state.spec.root.path.string()},
                         {"created", state.created},
                         {"owner", ""}};
  if (!state.spec.annotations.empty()) json["annotations"] = state.spec.annotations;
  return json;
}

/// The user who owns the state, as runc's list shows it.
std::string owner_name() {
  const passwd* entry = ::getpwuid(::geteuid());
  return entry != nullptr ? entry->pw_name : std::to_string(::geteuid());
}

/// Pads each column to its widest cell plus 3 spaces, at least 12: Go's tabwriter with
/// runc's settings, so that the table lines up as runc's does.
std::string table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) {
      if (widths.size() <= i) widths.push_back(12);
      widths[i] = std::max(widths[i], row[i].size() + 3);
    }
  std::string text;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i)
      text += i + 1 < row.size() ? fmt::format("{:<{}}", row[i], widths[i]) : row[i];
    text += "\n";
  }
  return text;
}

}  // namespace

int parse_signal(const std::string& name) {
  std::string bare = name.rfind("SIG", 0) == 0 ? name.substr(3) : name;
  if (!bare.empty() && std::all_of(bare.begin(), bare.end(), ::isdigit)) {
    int number = std::stoi(bare);
    if (number > 0 && number < NSIG) return number;
  }
  for (int number = 1; number < NSIG; ++number) {
    const char* abbreviation = ::sigabbrev_np(number);
    if (abbreviation != nullptr && bare == abbreviation) return number;
  }
  throw Error(fmt::format("unknown signal \"{}\"", name));
}

void OciCommands::add(CLI::App& app) {
  CLI::App* oci = add_command(app, "oci", "Run OCI runtime-spec bundles, like runc");
  oci->require_subcommand(1);
  run_ = add_command(*oci, "run", "Create and start the bundle's container, and wait for it, like runc run");
  run_->add_option("-b,--bundle", bundle_dir_, "The bundle directory (config.json and the rootfs)");
  run_->add_option("ID", id_, "The container's id")->required();
  run_->add_option("--console-socket", console_socket_,
                   "Path to an AF_UNIX socket which will receive the master end of the console's pseudoterminal");
  spec_ = add_command(*oci, "spec", "Write a default config.json, like runc spec");
  spec_->add_option("-b,--bundle", bundle_dir_, "Where to write config.json");
  create_ = add_command(*oci, "create", "Create the bundle's container; it waits for `oci start`");
  create_->add_option("-b,--bundle", bundle_dir_, "The bundle directory (config.json and the rootfs)");
  create_->add_option("--pid-file", pid_file_, "Write the container's pid to this file");
  create_->add_option("--console-socket", console_socket_,
                      "Path to an AF_UNIX socket which will receive the master end of the console's pseudoterminal");
  create_->add_option("ID", id_, "The container's id")->required();
  start_ = add_command(*oci, "start", "Start a created container: it runs its command");
  start_->add_option("ID", id_, "The container's id")->required();
  state_ = add_command(*oci, "state", "Print a container's state as JSON");
  state_->add_option("ID", id_, "The container's id")->required();
  kill_ = add_command(*oci, "kill", "Send a signal to a container's process (default SIGTERM)");
  kill_->add_option("ID", id_, "The container's id")->required();
  kill_->add_option("SIGNAL", signal_, "KILL, SIGKILL or 9 ...");
  kill_->add_flag("-a,--all", all_, "Send the signal to every process of the container (its cgroup's), not only its first");
  delete_ = add_command(*oci, "delete", "Delete a stopped container: everything it set up goes");
  delete_->add_flag("-f,--force", force_, "Kill it first (SIGKILL) when it still runs");
  delete_->add_option("ID", id_, "The container's id")->required();
  list_ = add_command(*oci, "list", "List the containers of the state root");
  list_->add_flag("-q,--quiet", quiet_, "Only their ids");
  list_->add_option("-f,--format", format_, "table or json")->check(CLI::IsMember({"table", "json"}));
  exec_ = add_command(*oci, "exec", "Run a new process inside a running container, confined as its first one");
  exec_->add_option("--cwd", cwd_, "Working directory (default: the container's)");
  exec_->add_option("-e,--env", env_, "Set an environment variable: KEY=VALUE")->allow_extra_args(false);
  exec_->add_option("-u,--user", user_, "UID[:GID] to run as (default: the container's user)");
  exec_->add_option("-g,--additional-gids", additional_gids_, "Additional group id")->allow_extra_args(false);
  exec_->add_flag("-t,--tty", tty_, "Allocate a pseudo-TTY from the container's devpts");
  exec_->add_option("--console-socket", console_socket_,
                    "Path to an AF_UNIX socket which will receive the master end of the console's pseudoterminal");
  exec_->add_flag("-d,--detach", detach_, "Return once the process runs; print nothing, it runs on");
  exec_->add_option("--pid-file", pid_file_, "Write the process's pid to this file");
  exec_->add_option("-p,--process", process_file_,
                    "A process.json (args, env, cwd, user, terminal, capabilities, rlimits, ...) instead of the flags");
  exec_->add_option("ID", id_, "The container's id")->required();
  exec_->add_option("COMMAND", args_, "The command and its arguments (none with --process)");
  exec_->positionals_at_end();
  exec_->prefix_command();
}

std::optional<int> OciCommands::run(const StateRoot& root) {
  if (spec_->parsed()) {
    write_spec(bundle_dir_);
    return 0;
  }
  if (run_->parsed()) return run_bundle(root, bundle_dir_, id_, console_socket_);
  if (create_->parsed()) return create(root);
  if (start_->parsed()) return start(root);
  if (state_->parsed()) return state(root);
  if (kill_->parsed()) return kill(root);
  if (delete_->parsed()) return remove(root);
  if (list_->parsed()) return list(root);
  if (exec_->parsed()) return exec(root);
  return std::nullopt;
}

int OciCommands::create(const StateRoot& root) {
  BundleContainer loaded = load_bundle(bundle_dir_, id_, console_socket_);
  // runc: a detached container's terminal can only go to a console socket.
  if (loaded.bundle.spec.process.terminal && console_socket_.empty())
    throw Error("cannot allocate tty if runc will detach without setting console socket");
  Lifecycle lifecycle(loaded.steps, root);
  lifecycle.create(loaded.bundle.spec, CreateOptions{.detached = true});
  if (!pid_file_.empty()) {
    // As runc: the pid then a rename, so a reader never sees half of it.
    write_file_atomically(fs::absolute(pid_file_), std::to_string(lifecycle.state(id_).process.pid));
  }
  return 0;
}

int OciCommands::start(const StateRoot& root) {
  Steps steps = steps_for(root, id_);
  Lifecycle(steps, root).start(id_);
  return 0;
}

int OciCommands::state(const StateRoot& root) {
  Steps none;
  std::cout << oci_state(Lifecycle(none, root).state(id_)).dump(2);  // no newline, as runc
  return 0;
}

int OciCommands::kill(const StateRoot& root) {
  int signal = parse_signal(signal_);
  Steps none;
  Lifecycle lifecycle(none, root);
  if (all_) {
    // As runc: every process in the container's cgroup (exec'd ones too), and also when its
    // first process is gone (a container without a PID namespace of its own keeps the rest).
    if (auto cgroup = container_cgroup(lifecycle.state(id_))) {
      ch08::signal_all(*cgroup, signal);
      return 0;
    }
  }
  lifecycle.kill(id_, signal);
  return 0;
}

int OciCommands::remove(const StateRoot& root) {
  Steps steps = steps_for(root, id_);
  Lifecycle(steps, root).remove(id_, force_);
  return 0;
}

int OciCommands::list(const StateRoot& root) {
  Steps none;
  std::vector<ContainerState> states = Lifecycle(none, root).list();
  if (quiet_) {
    for (const auto& state : states) std::cout << state.id << "\n";
    return 0;
  }
  if (format_ == "json") {
    nlohmann::ordered_json all = nlohmann::ordered_json::array();
    for (const auto& state : states) {
      nlohmann::ordered_json entry = oci_state(state);
      entry["owner"] = owner_name();
      all.push_back(entry);
    }
    std::cout << (states.empty() ? std::string("null") : all.dump()) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows = {{"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}};
  for (const auto& state : states) {
    std::string pid = std::to_string(state.status == Status::stopped ? 0 : state.process.pid);
    rows.push_back({state.id, pid, std::string(status_name(state.status)),
                    state.spec.bundle.empty() ? state.spec.root.path.string() : state.spec.bundle, state.created, owner_name()});
  }
  std::cout << table(rows);
  return 0;
}

namespace {

/// An `oci exec --process FILE` request: the process.json's process, the container's where
/// the file leaves out capabilities, noNewPrivileges or rlimits (as runc).
ExecRequest request_from_process_file(const std::string& file, const ContainerState& state) {
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(read_file(file));
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(fmt::format("{}: not valid JSON: {}", file, e.what()));
  }
  std::vector<std::string> warnings;
  ProcessSpec process = parse_process(json, file, warnings);
  for (const auto& warning : warnings) log::warning("{}", warning);
  ExecRequest request;
  request.args = process.args;
  // runc's HOME: the user's from the rootfs's passwd, unless the file's env has one.
  std::string passwd = ch03::read_file_in_root(state.spec.root.path, "/etc/passwd").value_or("");
  ch07::set_default_home(process.env, ch07::resolve_user(std::to_string(process.user.uid), passwd, "").home);
  request.env = process.env;
  request.env_replaces = true;
  request.cwd = process.cwd;
  request.user = process.user;
  if (json.contains("capabilities")) request.capabilities = process.capabilities;
  if (json.contains("noNewPrivileges")) request.no_new_privileges = process.no_new_privileges;
  if (json.contains("rlimits")) request.rlimits = process.rlimits;
  request.terminal = process.terminal;
  request.console_size = process.console_size;
  return request;
}

}  // namespace

int OciCommands::exec(const StateRoot& root) {
  Steps none;
  if (!process_file_.empty()) {
    if (!args_.empty()) throw Error("exec: give --process or a COMMAND, not both");
    ExecRequest request = request_from_process_file(process_file_, Lifecycle(none, root).state(id_));
    request.terminal = request.terminal || tty_;
    request.detach = detach_;
    request.pid_file = pid_file_;
    request.console_socket = console_socket_;
    return exec_in_container(Lifecycle(none, root).state(id_), request);
  }
  if (args_.empty()) throw Error("process args cannot be empty");  // runc's words
  ExecRequest request;
  request.args = args_;
  request.env = env_;
  request.terminal = tty_;
  request.detach = detach_;
  request.pid_file = pid_file_;
  request.console_socket = console_socket_;
  for (const auto& entry : env_)
    if (entry.find('=') == std::string::npos) throw Error(fmt::format("invalid --env \"{}\": not KEY=VALUE", entry));
  if (!cwd_.empty()) request.cwd = cwd_;
  auto number = [](const std::string& text, const char* what) {
    if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
      throw Error(fmt::format("invalid {} \"{}\": not a number", what, text));
    return static_cast<unsigned>(std::stoul(text));
  };
  if (!user_.empty() || !additional_gids_.empty()) {
    ProcessUser user = Lifecycle(none, root).state(id_).spec.process.user;
    if (!user_.empty()) {
      size_t colon = user_.find(':');
      user.uid = number(user_.substr(0, colon), "--user uid");
      user.gid = colon == std::string::npos ? 0 : number(user_.substr(colon + 1), "--user gid");
      user.groups.clear();
    }
    for (const auto& gid : additional_gids_) user.groups.push_back(number(gid, "--additional-gids"));
    request.user = user;
  }
  return exec_in_container(Lifecycle(none, root).state(id_), request);
}

}  // namespace dockling::ch09
