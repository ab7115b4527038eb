#include "swarm_commands.hpp"

#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <map>
#include <thread>

#include <fmt/format.h>

#include "dockling/cli.hpp"
#include "dockling/error.hpp"
#include "engine_state.hpp"
#include "go_template.hpp"
#include "http_client.hpp"
#include "image_store.hpp"
#include "images_step.hpp"

namespace dockling::ch15 {

namespace {

constexpr const char* kApi = "/v1.41";

std::string str(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

/// Go's url.QueryEscape.
std::string query_escape(std::string_view text) {
  std::string out = ch14::url_encode(text);
  for (std::size_t at; (at = out.find("%20")) != std::string::npos;) out.replace(at, 3, "+");
  return out;
}

/// Throws the lines of `errors` as one error (docker joins its errors with newlines).
void throw_missing(const std::vector<std::string>& errors) {
  if (errors.empty()) return;
  std::string text;
  for (const auto& line : errors) text += (text.empty() ? "" : "\n") + line;
  throw Error(text, 1);
}

/// docker's filters as JSON: {"KEY":{"VALUE":true}}, keys sorted (Go's map order).
std::string filters_json(const std::vector<std::pair<std::string, std::string>>& pairs) {
  nlohmann::json filters = nlohmann::json::object();
  for (const auto& [key, value] : pairs) filters[key][value] = true;
  return filters.dump();
}

/// "--filter k=v" flags as pairs.
std::vector<std::pair<std::string, std::string>> parse_filters(const std::vector<std::string>& flags) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& flag : flags) {
    std::size_t equals = flag.find('=');
    if (equals == std::string::npos) throw Error(fmt::format("invalid argument \"{}\" for \"-f, --filter\" flag: bad format of filter (expected name=value)", flag), 125);
    std::string key = flag.substr(0, equals), value = flag.substr(equals + 1);
    key.erase(key.find_last_not_of(' ') + 1);
    value.erase(0, value.find_first_not_of(' '));
    pairs.emplace_back(key, value);
  }
  return pairs;
}

/// The daemon's address: DOCKLING_HOST, else the state root's socket.
ch14::HttpEndpoint endpoint(const StateRoot& root) {
  if (const char* host = std::getenv("DOCKLING_HOST"); host != nullptr && *host != '\0') return {host};
  return {"unix://" + ch14::default_socket(root).string()};
}

/// The Engine API as the docker CLI calls it; a daemon's error becomes docker's words.
class Api {
 public:
  explicit Api(ch14::HttpEndpoint endpoint) : endpoint_(std::move(endpoint)) {}

  /// Sends a request; answers of 400 and more throw "Error response from daemon: MESSAGE", a
  /// 404 "No such KIND: NAME" when `kind` is given.
  ch14::HttpAnswer call(const std::string& method, const std::string& path, const std::string& body = "",
                        const std::string& kind = "", const std::string& name = "") const {
    ch14::HttpCall request;
    request.method = method;
    request.target = kApi + path;
    request.body = body;
    ch14::HttpAnswer answer;
    try {
      answer = ch14::http_call(endpoint_, request);
    } catch (const ch14::HttpUnreachable&) {
      throw Error(unreachable(), 1);
    }
    if (answer.status >= 400) throw daemon_error(answer, kind, name);
    return answer;
  }

  /// GET PATH as JSON.
  Json get(const std::string& path, const std::string& kind = "", const std::string& name = "") const {
    return parse(call("GET", path, "", kind, name).body);
  }

  /// POST PATH with a JSON body; the answer as JSON (null when empty).
  Json post(const std::string& path, const Json& body, const std::string& kind = "", const std::string& name = "") const {
    return parse(call("POST", path, body.dump(), kind, name).body);
  }

  /// Streams GET PATH's body to `on_data` (no time limit: logs --follow). An error's body (JSON,
  /// where a stream's frames start with 0, 1 or 2) becomes the error.
  void stream(const std::string& path, const std::function<bool(std::string_view)>& on_data, const std::string& kind,
              const std::string& name) const {
    ch14::HttpCall request;
    request.target = kApi + path;
    request.timeout = std::chrono::milliseconds(0);
    std::string error_body;
    bool first = true, failed = false;
    ch14::HttpAnswer answer;
    try {
      answer = ch14::http_stream(endpoint_, request, [&](std::string_view data) {
        if (first && !data.empty()) {
          failed = data[0] == '{';
          first = false;
        }
        if (failed) {
          error_body.append(data);
          return true;
        }
        return on_data(data);
      });
    } catch (const ch14::HttpUnreachable&) {
      throw Error(unreachable(), 1);
    }
    if (answer.status >= 400) {
      answer.body = error_body;
      throw daemon_error(answer, kind, name);
    }
  }

  Error daemon_error(const ch14::HttpAnswer& answer, const std::string& kind, const std::string& name) const {
    if (answer.status == 404 && !kind.empty()) return Error(fmt::format("No such {}: {}", kind, name), 1);
    std::string message = answer.body;
    try {
      auto body = nlohmann::json::parse(answer.body);
      if (body.is_object() && body.contains("message")) message = body["message"].get<std::string>();
    } catch (const std::exception&) {
    }
    // docker trims the daemon's message.
    message.erase(0, message.find_first_not_of(" \t\r\n"));
    message.erase(message.find_last_not_of(" \t\r\n") + 1);
    return Error("Error response from daemon: " + message, 1);
  }

 private:
  static Json parse(const std::string& body) {
    if (body.empty()) return nullptr;
    try {
      return Json::parse(body);
    } catch (const std::exception&) {
      return body;
    }
  }

  std::string unreachable() const {
    return fmt::format("Cannot connect to the Docker daemon at {}. Is the docker daemon running?", endpoint_.address);
  }

  ch14::HttpEndpoint endpoint_;
};

double now() { return ch10::now_seconds(); }

/// Caches of names, as docker's idresolver: GET /services/ID and GET /nodes/ID once each.
class Resolver {
 public:
  explicit Resolver(const Api& api) : api_(api) {}

  std::string service(const std::string& id) {
    auto it = services_.find(id);
    if (it != services_.end()) return it->second;
    std::string name = id;
    try {
      name = str(api_.get("/services/" + id + "?insertDefaults=false").value("Spec", Json::object()), "Name");
      if (name.empty()) name = id;
    } catch (const Error&) {
    }
    return services_[id] = name;
  }

  std::string node(const std::string& id) {
    if (id.empty()) return "";
    auto it = nodes_.find(id);
    if (it != nodes_.end()) return it->second;
    std::string name = id;
    try {
      Json node = api_.get("/nodes/" + id);
      name = str(node.value("Description", Json::object()), "Hostname");
      if (name.empty()) name = id;
    } catch (const Error&) {
    }
    return nodes_[id] = name;
  }

  const std::map<std::string, std::string>& services() const { return services_; }
  const std::map<std::string, std::string>& nodes() const { return nodes_; }

 private:
  const Api& api_;
  std::map<std::string, std::string> services_, nodes_;
};

/// Prints progress as docker's jsonmessage does: on a terminal each id keeps its line (bars
/// drawn); otherwise a line for each message without a bar.
class ProgressPrinter {
 public:
  explicit ProgressPrinter(bool discard) : discard_(discard), terminal_(::isatty(STDOUT_FILENO) != 0) {}

  void print(const ProgressMessage& message) {
    if (discard_) return;
    if (!terminal_) {
      if (message.total > 0) return;
      std::cout << message.id << ": " << message.action << "\n" << std::flush;
      return;
    }
    // "STATUS PROGRESS": the bar only on a terminal wider than 110 columns (200 when the
    // width cannot be had), as docker's JSONProgress.
    std::string text = message.action + " ";
    if (message.total > 0 && width() > 110) {
      int filled = std::min(50, static_cast<int>(100.0 * message.current / message.total) / 2);
      text += fmt::format("[{}>{}] ", std::string(static_cast<std::size_t>(filled), '='),
                          std::string(static_cast<std::size_t>(50 - filled), ' '));
    }
    auto it = lines_.find(message.id);
    if (it == lines_.end()) {
      it = lines_.emplace(message.id, lines_.size()).first;
      std::cout << "\n";
    }
    std::size_t up = lines_.size() - it->second;
    std::cout << fmt::format("\x1b[{}A\x1b[2K\r{}: {}\r\x1b[{}B", up, message.id, text, up) << std::flush;
  }

  /// docker leaves the cursor below the last line, without a newline.
  void finish() { std::cout << std::flush; }

  static int width() {
    winsize size{};
    if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) != 0) return 200;
    return size.ws_col;
  }

 private:
  bool discard_, terminal_;
  std::map<std::string, std::size_t> lines_;
};

volatile std::sig_atomic_t interrupted = 0;

/// SIGINT while waiting ends the wait, not the process (docker's "Operation continuing in
/// background"); the previous handler comes back at the end.
class InterruptGuard {
 public:
  InterruptGuard() {
    interrupted = 0;
    struct sigaction action {};
    action.sa_handler = [](int) { interrupted = 1; };
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, &previous_);
  }
  ~InterruptGuard() { ::sigaction(SIGINT, &previous_, nullptr); }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  struct sigaction previous_ {};
};

/// docker's waitOnService: polls the service, its up-to-date tasks and the nodes until it
/// converged and stayed so for the monitor period.
void wait_for_service(const Api& api, const std::string& id, bool quiet) {
  ConvergeProgress progress;
  ProgressPrinter printer(quiet);
  InterruptGuard guard;
  double start = now();
  std::string filters = query_escape(filters_json({{"service", id}, {"_up-to-date", "true"}}));
  for (;;) {
    Json service = api.get("/services/" + id + "?insertDefaults=false", "service", id);
    auto fetch = [&] {
      Json tasks = api.get("/tasks?filters=" + filters);
      Json nodes = api.get("/nodes");
      std::vector<Json> task_list(tasks.begin(), tasks.end());
      std::vector<std::string> active;
      for (const auto& node : nodes)
        if (str(node.value("Status", Json::object()), "State") != "down") active.push_back(str(node, "ID"));
      return std::make_pair(task_list, active);
    };
    for (const auto& message : progress.poll(service, fetch, now() - start)) printer.print(message);
    if (!progress.error().empty()) {
      printer.finish();
      throw Error(progress.error(), 1);
    }
    if (progress.done()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (interrupted) {
      if (!progress.converged() && !quiet)
        std::cout << "Operation continuing in background.\nUse `docker service ps " << id << "` to check progress.\n";
      break;
    }
  }
  printer.finish();
}

/// The image with its digest when the daemon can find it (GET /distribution/IMAGE/json), else
/// docker's warning on stderr and the image as it was.
std::string pin_image(const Api& api, const std::string& image, std::vector<std::string>& warnings) {
  try {
    Json answer = api.get("/distribution/" + image + "/json");
    std::string digest = str(answer.value("Descriptor", Json::object()), "digest");
    if (!digest.empty() && image.find('@') == std::string::npos) return image + "@" + digest;
    return image;
  } catch (const Error&) {
    warnings.push_back(digest_warning(image));
    return image;
  }
}

void print_warnings(const Json& answer, std::vector<std::string> warnings) {
  if (answer.is_object() && answer.contains("Warnings") && answer["Warnings"].is_array())
    for (const auto& warning : answer["Warnings"])
      if (warning.is_string()) warnings.push_back(warning.get<std::string>());
  for (const auto& warning : warnings) std::cerr << warning << "\n";
}

std::string node_address(const Api& api, const std::string& node_id) {
  Json node = api.get("/nodes/" + node_id, "node", node_id);
  return str(node.value("ManagerStatus", Json::object()), "Addr");
}

std::string with_port(std::string address) {
  if (address.find(':') == std::string::npos) address += ":2377";
  return address;
}

// ---- swarm

int swarm_init(const Api& api, const SwarmCommands& c) {
  Json dispatcher = Json::object();
  if (!c.dispatcher_heartbeat.empty())
    dispatcher["HeartbeatPeriod"] = parse_duration(c.dispatcher_heartbeat, "--dispatcher-heartbeat");
  Json spec = Json::object();
  spec["Labels"] = nullptr;
  spec["Orchestration"] = Json::object();
  spec["Raft"] = Json{{"ElectionTick", 0}, {"HeartbeatTick", 0}};
  spec["Dispatcher"] = dispatcher;
  spec["CAConfig"] = Json::object();
  spec["TaskDefaults"] = Json::object();
  spec["EncryptionConfig"] = Json{{"AutoLockManagers", false}};
  Json body = Json::object();
  body["ListenAddr"] = with_port(c.listen_addr);
  body["AdvertiseAddr"] = c.advertise_addr;
  body["DataPathAddr"] = "";
  body["DataPathPort"] = 0;
  body["ForceNewCluster"] = false;
  body["Spec"] = spec;
  body["AutoLockManagers"] = false;
  body["Availability"] = "";
  body["DefaultAddrPool"] = nullptr;
  body["SubnetSize"] = 24;
  Json answer = api.post("/swarm/init", body);
  std::string node_id = answer.is_string() ? answer.get<std::string>() : "";
  std::string address = node_address(api, node_id);
  Json swarm = api.get("/swarm");
  std::cout << init_text(node_id, str(swarm.value("JoinTokens", Json::object()), "Worker"), address) << std::flush;
  return 0;
}

int swarm_join(const Api& api, const SwarmCommands& c) {
  Json body = Json::object();
  body["ListenAddr"] = with_port(c.listen_addr);
  body["AdvertiseAddr"] = c.advertise_addr;
  body["DataPathAddr"] = "";
  body["RemoteAddrs"] = Json::array({c.remote});
  body["JoinToken"] = c.token;
  body["Availability"] = "";
  api.post("/swarm/join", body);
  Json info = api.get("/info");
  bool manager = info.value("Swarm", Json::object()).value("ControlAvailable", false);
  std::cout << fmt::format("This node joined a swarm as a {}.\n", manager ? "manager" : "worker") << std::flush;
  return 0;
}

int swarm_join_token(const Api& api, const SwarmCommands& c) {
  if (c.role != "worker" && c.role != "manager") throw Error(fmt::format("unknown role {}", c.role), 1);
  bool worker = c.role == "worker";
  Json swarm = api.get("/swarm");
  if (c.rotate) {
    std::string version = std::to_string(swarm.value("Version", Json::object()).value("Index", 0));
    api.post(fmt::format("/swarm/update?rotateManagerToken={}&rotateManagerUnlockKey=false&rotateWorkerToken={}&version={}",
                         worker ? "false" : "true", worker ? "true" : "false", version),
             swarm.value("Spec", Json::object()));
    if (!c.quiet) std::cout << fmt::format("Successfully rotated {} join token.\n\n", c.role);
    swarm = api.get("/swarm");
  }
  if (c.quiet) {
    std::cout << str(swarm.value("JoinTokens", Json::object()), worker ? "Worker" : "Manager") << "\n" << std::flush;
    return 0;
  }
  Json info = api.get("/info");
  std::string address = node_address(api, str(info.value("Swarm", Json::object()), "NodeID"));
  swarm = api.get("/swarm");
  std::cout << join_command_text(c.role, str(swarm.value("JoinTokens", Json::object()), worker ? "Worker" : "Manager"),
                                 address)
            << std::flush;
  return 0;
}

int swarm_leave(const Api& api, const SwarmCommands& c) {
  api.call("POST", c.force ? "/swarm/leave?force=1" : "/swarm/leave");
  std::cout << "Node left the swarm.\n" << std::flush;
  return 0;
}

// ---- service

int service_create(const Api& api, SwarmCommands& c) {
  CreateOptions options = c.create_options;
  options.image = normalize_image(options.image);
  std::vector<std::string> warnings;
  options.image = pin_image(api, options.image, warnings);
  Json spec = service_spec(options);
  Json answer = api.post("/services/create", spec);
  print_warnings(answer, warnings);
  std::string id = str(answer, "ID");
  std::cout << id << "\n" << std::flush;
  if (!c.detach) wait_for_service(api, id, c.quiet);
  return 0;
}

int service_ls(const Api& api, const SwarmCommands& c) {
  auto filters = parse_filters(c.filters);
  std::string query = filters.empty() ? "?status=true" : "?filters=" + query_escape(filters_json(filters)) + "&status=true";
  Json services = api.get("/services" + query);
  std::vector<Json> list(services.begin(), services.end());
  std::cout << format_services(list, ListOptions{c.quiet, false, c.format}) << std::flush;
  return 0;
}

/// The tasks of `services` as `service ps` asks for them; `missing` gets "no such service: X".
std::vector<Json> service_tasks(const Api& api, const std::vector<std::string>& services,
                                const std::vector<std::pair<std::string, std::string>>& extra,
                                std::vector<std::string>& missing) {
  std::vector<std::pair<std::string, std::string>> by_id, by_name;
  for (const auto& service : services) {
    by_id.emplace_back("id", service);
    by_name.emplace_back("name", service);
  }
  Json id_list = api.get("/services?filters=" + query_escape(filters_json(by_id)));
  Json name_list = api.get("/services?filters=" + query_escape(filters_json(by_name)));
  std::vector<std::pair<std::string, std::string>> filter = extra;
  int found_count = 0;
  for (const auto& service : services) {
    bool matched = false;
    for (const auto& s : id_list)
      if (str(s, "ID") == service) {
        filter.emplace_back("service", str(s, "ID"));
        matched = true;
        break;
      }
    if (!matched)
      for (const auto& s : name_list)
        if (str(s.value("Spec", Json::object()), "Name") == service) {
          filter.emplace_back("service", str(s, "ID"));
          matched = true;
          break;
        }
    if (!matched)
      for (const auto& s : id_list)
        if (str(s, "ID").rfind(service, 0) == 0) {
          if (matched) throw Error("multiple services found with provided prefix: " + service, 1);
          filter.emplace_back("service", str(s, "ID"));
          matched = true;
        }
    if (matched)
      ++found_count;
    else
      missing.push_back("no such service: " + service);
  }
  if (found_count == 0) throw_missing(missing);
  Json tasks = api.get("/tasks?filters=" + query_escape(filters_json(filter)));
  return std::vector<Json>(tasks.begin(), tasks.end());
}

/// Prints tasks as `service ps` and `node ps` do, resolving names as docker does.
void print_tasks(const Api& api, const std::vector<Json>& tasks, const SwarmCommands& c) {
  Resolver resolver(api);
  for (const auto& task : tasks) {
    resolver.service(str(task, "ServiceID"));
    resolver.node(str(task, "NodeID"));
  }
  std::cout << format_tasks(tasks, resolver.services(), resolver.nodes(), ListOptions{c.quiet, c.no_trunc, c.format}, now())
            << std::flush;
}

int service_ps(const Api& api, const SwarmCommands& c) {
  std::vector<std::string> missing;
  std::vector<Json> tasks = service_tasks(api, c.targets, parse_filters(c.filters), missing);
  print_tasks(api, tasks, c);
  throw_missing(missing);
  return 0;
}

int service_logs(const Api& api, const SwarmCommands& c) {
  std::int64_t replicas = 1;
  std::string service_id;
  try {
    Json service = api.get("/services/" + c.target + "?insertDefaults=false", "service", c.target);
    const Json& mode = service["Spec"]["Mode"];
    if (mode.contains("Replicated") && mode["Replicated"].contains("Replicas"))
      replicas = mode["Replicated"]["Replicas"].get<std::int64_t>();
    service_id = str(service, "ID");
  } catch (const Error& e) {
    if (std::string(e.what()).rfind("No such", 0) != 0) throw;
    try {
      api.get("/tasks/" + c.target, "task", c.target);
    } catch (const Error& missing) {
      if (std::string(missing.what()).rfind("No such", 0) != 0) throw;
      throw Error("no such task or service: " + c.target, 1);
    }
  }
  std::string path = (service_id.empty() ? "/tasks/" : "/services/") + c.target + "/logs?";
  std::vector<std::string> query;
  if (!c.raw) query.push_back("details=1");
  if (c.follow) query.push_back("follow=1");
  query.push_back("stderr=1");
  query.push_back("stdout=1");
  query.push_back("tail=" + query_escape(c.tail.empty() ? "all" : c.tail));
  if (c.timestamps) query.push_back("timestamps=1");
  for (std::size_t i = 0; i < query.size(); ++i) path += (i ? "&" : "") + query[i];

  Resolver resolver(api);
  std::map<std::string, Json> tasks;
  std::map<std::string, std::string> prefixes;
  std::string buffer;
  auto write = [](int stream, const std::string& text) {
    (stream == 2 ? std::cerr : std::cout) << text << std::flush;
  };
  api.stream(
      path,
      [&](std::string_view data) {
        buffer.append(data);
        while (buffer.size() >= 8) {
          auto byte = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(buffer[i])); };
          std::uint32_t length = byte(4) << 24 | byte(5) << 16 | byte(6) << 8 | byte(7);
          if (buffer.size() < 8 + length) break;
          int stream = buffer[0] == 2 ? 2 : 1;
          std::string payload = buffer.substr(8, length);
          buffer.erase(0, 8 + length);
          if (c.raw) {
            write(stream, payload);
            continue;
          }
          LogLine line = parse_log_line(payload, c.timestamps);
          std::string key = line.node_id + "/" + line.service_id + "/" + line.task_id;
          auto cached = prefixes.find(key);
          if (cached == prefixes.end()) {
            std::string hostname = resolver.node(line.node_id);
            std::string service_name = resolver.service(line.service_id);
            Json task = api.get("/tasks/" + line.task_id, "task", line.task_id);
            cached = prefixes
                         .emplace(key, log_prefix(service_name, task.value("Slot", 0), c.no_task_ids ? "" : str(task, "ID"),
                                                  hostname, replicas, c.no_trunc))
                         .first;
          }
          std::string out = line.timestamp.empty() ? "" : line.timestamp + " ";
          out += cached->second + line.message;
          write(stream, out);
        }
        return true;
      },
      "service", c.target);
  return 0;
}

/// Sets `object[key]`; a new key goes before the first of `successors` there, where Go's
/// struct puts it (so a body keeps the order docker's CLI sends).
void set_before(Json& object, const std::string& key, Json value, const std::vector<std::string>& successors) {
  if (object.contains(key)) {
    object[key] = std::move(value);
    return;
  }
  Json rebuilt = Json::object();
  bool placed = false;
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (!placed && std::find(successors.begin(), successors.end(), it.key()) != successors.end()) {
      rebuilt[key] = value;
      placed = true;
    }
    rebuilt[it.key()] = it.value();
  }
  if (!placed) rebuilt[key] = std::move(value);
  object = std::move(rebuilt);
}

/// GET /services/NAME?insertDefaults=false.
Json inspect_service(const Api& api, const std::string& name) {
  return api.get("/services/" + name + "?insertDefaults=false", "service", name);
}

std::string version_of(const Json& object) {
  return std::to_string(object.value("Version", Json::object()).value("Index", 0));
}

int service_scale(const Api& api, const SwarmCommands& c) {
  std::vector<std::pair<std::string, std::uint64_t>> wanted;
  for (const auto& arg : c.targets) {
    std::size_t equals = arg.find('=');
    std::string count = equals == std::string::npos ? "" : arg.substr(equals + 1);
    if (equals == std::string::npos || equals == 0 || count.empty() ||
        count.find_first_not_of("0123456789") != std::string::npos)
      throw Error(fmt::format("invalid scale specifier '{}'.\nSee '{} service scale --help'.", arg,
                              "ch15-swarm"), 1);
    wanted.emplace_back(arg.substr(0, equals), std::stoull(count));
  }
  std::vector<std::string> errors, scaled;
  for (const auto& [name, count] : wanted) {
    try {
      Json service = inspect_service(api, name);
      Json spec = service["Spec"];
      if (!spec["Mode"].contains("Replicated")) throw Error("scale can only be used with replicated or replicated-job mode", 1);
      spec["Mode"]["Replicated"]["Replicas"] = count;
      Json answer = api.post("/services/" + str(service, "ID") + "/update?version=" + version_of(service), spec);
      print_warnings(answer, {});
      std::cout << fmt::format("{} scaled to {}\n", name, count) << std::flush;
      scaled.push_back(str(service, "ID"));
    } catch (const Error& e) {
      errors.push_back(fmt::format("{}: {}", name, e.what()));
    }
  }
  if (!c.detach)
    for (const auto& id : scaled) wait_for_service(api, id, false);
  throw_missing(errors);
  return 0;
}

int service_update(const Api& api, const SwarmCommands& c) {
  Json service = inspect_service(api, c.target);
  Json spec = service["Spec"];
  std::vector<std::string> warnings;
  if (c.image) {
    std::string image = pin_image(api, normalize_image(*c.image), warnings);
    spec["TaskTemplate"]["ContainerSpec"]["Image"] = image;
  }
  if (!c.env_add.empty() || !c.env_rm.empty()) {
    Json& container = spec["TaskTemplate"]["ContainerSpec"];
    std::map<std::string, std::string> env;
    auto key = [](const std::string& entry) { return entry.substr(0, entry.find('=')); };
    if (container.contains("Env"))
      for (const auto& entry : container["Env"]) env[key(entry.get<std::string>())] = entry.get<std::string>();
    for (const auto& entry : c.env_add) env[key(entry)] = entry;
    for (const auto& name : c.env_rm) env.erase(key(name));
    Json list = Json::array();
    for (const auto& [name, entry] : env) list.push_back(entry);
    set_before(container, "Env", list,
               {"Dir", "User", "Groups", "Privileges", "Init", "StopSignal", "TTY", "OpenStdin", "ReadOnly", "Mounts",
                "StopGracePeriod", "Healthcheck", "Hosts", "DNSConfig", "Secrets", "Configs", "Isolation", "Sysctls",
                "CapabilityAdd", "CapabilityDrop", "Ulimits"});
  }
  if (!c.constraint_add.empty() || !c.constraint_rm.empty()) {
    Json& placement = spec["TaskTemplate"]["Placement"];
    if (!placement.is_object()) placement = Json::object();
    std::vector<std::string> constraints;
    if (placement.is_object() && placement.contains("Constraints"))
      constraints = placement["Constraints"].get<std::vector<std::string>>();
    constraints = edited_constraints(std::move(constraints), c.constraint_add, c.constraint_rm);
    if (constraints.empty())
      placement.erase("Constraints");
    else
      placement["Constraints"] = constraints;
  }
  if (!c.publish_add.empty() || !c.publish_rm.empty()) {
    Json& endpoint = spec["EndpointSpec"];
    Json ports = edited_ports(endpoint.is_object() ? endpoint.value("Ports", Json::array()) : Json::array(),
                              c.publish_add, c.publish_rm);
    if (!endpoint.is_object()) endpoint = Json{{"Mode", "vip"}};
    if (ports.empty())
      endpoint.erase("Ports");
    else
      endpoint["Ports"] = ports;
  }
  if (c.replicas) {
    if (!spec["Mode"].contains("Replicated"))
      throw Error("replicas can only be used with replicated or replicated-job mode", 1);
    spec["Mode"]["Replicated"]["Replicas"] = *c.replicas;
  }
  Json update = update_config(spec.contains("UpdateConfig") ? spec["UpdateConfig"] : Json(), c.create_options);
  if (!update.is_null()) set_before(spec, "UpdateConfig", update, {"RollbackConfig", "Networks", "EndpointSpec"});
  if (c.force_update) spec["TaskTemplate"]["ForceUpdate"] = spec["TaskTemplate"].value("ForceUpdate", 0) + 1;
  Json answer = api.post("/services/" + str(service, "ID") + "/update?registryAuthFrom=spec&version=" + version_of(service), spec);
  print_warnings(answer, warnings);
  std::cout << c.target << "\n" << std::flush;
  if (!c.detach) wait_for_service(api, str(service, "ID"), c.quiet);
  return 0;
}

int service_rollback(const Api& api, const SwarmCommands& c) {
  Json service = inspect_service(api, c.target);
  Json answer = api.post("/services/" + str(service, "ID") + "/update?rollback=previous&version=" + version_of(service),
                         service["Spec"]);
  print_warnings(answer, {});
  std::cout << c.target << "\n" << std::flush;
  if (!c.detach) wait_for_service(api, str(service, "ID"), c.quiet);
  return 0;
}

/// `inspect`'s output: the objects as a JSON array, 4 spaces, or each rendered by `format`.
void print_inspected(const std::vector<Json>& objects, const std::string& format) {
  if (format.empty()) {
    Json array = Json::array();
    for (const auto& object : objects) array.push_back(object);
    std::cout << array.dump(4) << "\n" << std::flush;
    return;
  }
  ch10::Template tmpl(format, ch10::TemplateOptions{true, ""});
  for (const auto& object : objects) std::cout << tmpl.render(object) << "\n";
  std::cout << std::flush;
}

std::string nanos_text(std::int64_t nanos) {
  // Go's Duration.String for whole units: "10s", "1m30s", "500ms".
  if (nanos == 0) return "0s";
  if (nanos % 1000000000 != 0) {
    if (nanos < 1000000000) return fmt::format("{}ms", nanos / 1000000);
    return fmt::format("{}s", static_cast<double>(nanos) / 1e9);
  }
  std::int64_t seconds = nanos / 1000000000;
  std::string text;
  if (seconds >= 3600) text += fmt::format("{}h", seconds / 3600);
  if (seconds >= 60) text += fmt::format("{}m", seconds / 60 % 60);
  return text + fmt::format("{}s", seconds % 60);
}

std::string memory_text(std::int64_t bytes) {
  // go-units BytesSize: binary units, up to 4 significant digits.
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 5) {
    value /= 1024;
    ++unit;
  }
  std::string text = fmt::format("{:.4g}", value);
  return text + units[unit];
}

/// `service inspect --pretty`: the main lines of docker's text.
std::string pretty_service(const Json& service) {
  const Json& spec = service.at("Spec");
  std::string out = "\n";
  out += "ID:\t\t" + str(service, "ID") + "\n";
  out += "Name:\t\t" + str(spec, "Name") + "\n";
  if (spec.at("Mode").contains("Global")) {
    out += "Service Mode:\tGlobal\n";
  } else {
    out += "Service Mode:\tReplicated\n";
    out += fmt::format(" Replicas:\t{}\n", spec.at("Mode").value("Replicated", Json::object()).value("Replicas", 0));
  }
  const Json status = service.value("UpdateStatus", Json());
  if (status.is_object()) {
    out += "UpdateStatus:\n State:\t\t" + str(status, "State") + "\n";
    auto ago = [](const std::string& time) { return ch10::human_duration(now() - ch10::rfc3339_seconds(time)) + " ago"; };
    if (status.contains("StartedAt")) out += " Started:\t" + ago(str(status, "StartedAt")) + "\n";
    if (str(status, "State") == "completed" && status.contains("CompletedAt"))
      out += " Completed:\t" + ago(str(status, "CompletedAt")) + "\n";
    out += " Message:\t" + str(status, "Message") + "\n";
  }
  const Json task = spec.value("TaskTemplate", Json::object());
  const Json placement = task.value("Placement", Json::object());
  if (placement.contains("Constraints")) {
    out += "Placement:\n Constraints:\t[";
    std::string joined;
    for (const auto& item : placement["Constraints"]) joined += (joined.empty() ? "" : " ") + item.get<std::string>();
    out += joined + "]\n";
  } else {
    out += "Placement:\n";
  }
  auto config = [&](const char* key, const char* order_label) {
    if (!spec.contains(key)) return;
    const Json& u = spec.at(key);
    out += std::string(key) + ":\n";
    out += fmt::format(" Parallelism:\t{}\n", u.value("Parallelism", 0));
    if (u.value("Delay", 0LL) != 0) out += " Delay:\t\t" + nanos_text(u.value("Delay", 0LL)) + "\n";
    out += " On failure:\t" + str(u, "FailureAction") + "\n";
    out += " Monitoring Period: " + nanos_text(u.value("Monitor", 0LL)) + "\n";
    out += fmt::format(" Max failure ratio: {}\n", ch10::go_format(u.value("MaxFailureRatio", Json(0))));
    out += std::string(" ") + order_label + "    " + str(u, "Order") + "\n";
  };
  config("UpdateConfig", "Update order:  ");
  config("RollbackConfig", "Rollback order:");
  const Json container = task.value("ContainerSpec", Json::object());
  out += "ContainerSpec:\n Image:\t\t" + str(container, "Image") + "\n";
  auto words = [&](const char* key, const char* label) {
    if (!container.contains(key)) return;
    out += std::string(" ") + label;
    for (const auto& item : container.at(key)) out += item.get<std::string>() + " ";
    out += "\n";
  };
  words("Command", "Command:\t");
  words("Args", "Args:\t\t");
  words("Env", "Env:\t\t");
  if (container.contains("Init")) out += std::string(" Init:\t\t") + (container.value("Init", false) ? "true" : "false") + "\n";
  const Json resources = task.value("Resources", Json::object());
  const Json reservations = resources.value("Reservations", Json::object()), limits = resources.value("Limits", Json::object());
  if (task.contains("Resources")) {
    out += "Resources:\n";
    auto block = [&](const Json& part, const char* label) {
      if (part.empty()) return;
      out += std::string(" ") + label + ":\n";
      if (part.contains("NanoCPUs")) out += "  CPU:\t\t" + ch10::go_format(Json(part.at("NanoCPUs").get<double>() / 1e9)) + "\n";
      if (part.contains("MemoryBytes")) out += "  Memory:\t" + memory_text(part.at("MemoryBytes").get<std::int64_t>()) + "\n";
    };
    block(reservations, "Reservations");
    block(limits, "Limits");
  }
  const Json endpoint_spec = spec.value("EndpointSpec", Json::object());
  if (endpoint_spec.contains("Mode")) out += "Endpoint Mode:\t" + str(endpoint_spec, "Mode") + "\n";
  const Json ports = service.contains("Endpoint") ? service["Endpoint"].value("Ports", Json::array()) : Json::array();
  if (!ports.empty()) {
    out += "Ports:\n";
    for (const auto& port : ports)
      out += fmt::format(" PublishedPort = {}\n  Protocol = {}\n  TargetPort = {}\n  PublishMode = {}\n",
                         port.value("PublishedPort", 0), str(port, "Protocol"), port.value("TargetPort", 0),
                         str(port, "PublishMode"));
  }
  return out;
}

/// Inspects each of `names`; those not found are named in the error thrown after the others
/// are printed (docker prints "[]" and "no such service: X").
std::vector<Json> inspect_each(const std::vector<std::string>& names, const std::string& kind,
                               const std::function<Json(const std::string&)>& inspect, std::vector<std::string>& missing) {
  std::vector<Json> found;
  for (const auto& name : names) {
    try {
      found.push_back(inspect(name));
    } catch (const Error& e) {
      if (std::string(e.what()).rfind("No such", 0) != 0) throw;
      // docker's words differ: "no such service: X", "No such node: X".
      missing.push_back(fmt::format("{} such {}: {}", kind == "node" ? "No" : "no", kind, name));
    }
  }
  return found;
}

int service_inspect(const Api& api, const SwarmCommands& c) {
  std::vector<std::string> missing;
  std::vector<Json> services = inspect_each(c.targets, "service", [&](const std::string& name) {
    return api.get("/services/" + name + "?insertDefaults=true", "service", name);
  }, missing);
  if (c.pretty) {
    std::string out;
    for (std::size_t i = 0; i < services.size(); ++i) out += (i ? "\n" : "") + pretty_service(services[i]);
    if (!services.empty()) std::cout << out << "\n" << std::flush;
    throw_missing(missing);
    return 0;
  }
  print_inspected(services, c.format);
  throw_missing(missing);
  return 0;
}

int service_rm(const Api& api, const SwarmCommands& c) {
  return ch10::for_each_reporting(c.targets, [&](const std::string& name) {
    api.call("DELETE", "/services/" + name, "", "service", name);
    std::cout << name << "\n" << std::flush;
  });
}

// ---- network

int network_create(const Api& api, const SwarmCommands& c) {
  Json ipam_config = Json::array();
  for (const auto& subnet : c.subnets) ipam_config.push_back({{"Subnet", subnet}});
  // The body docker's CLI posts, keys in its order.
  Json body = Json::object();
  body["Name"] = c.target;
  body["CheckDuplicate"] = true;
  body["Driver"] = c.driver;
  body["Scope"] = "";
  body["EnableIPv6"] = false;
  body["IPAM"] = {{"Driver", "default"}, {"Options", Json::object()}, {"Config", ipam_config}};
  body["Internal"] = false;
  body["Attachable"] = c.attachable;
  body["Ingress"] = false;
  body["ConfigOnly"] = false;
  body["ConfigFrom"] = nullptr;
  body["Options"] = Json::object();
  body["Labels"] = Json::object();
  Json answer = api.post("/networks/create", body);
  std::cout << str(answer, "Id") << "\n" << std::flush;
  return 0;
}

int network_ls(const Api& api, const SwarmCommands& c) {
  auto filters = parse_filters(c.filters);
  Json networks = api.get(filters.empty() ? "/networks" : "/networks?filters=" + query_escape(filters_json(filters)));
  std::vector<Json> list(networks.begin(), networks.end());
  std::cout << format_networks(list, ListOptions{c.quiet, c.no_trunc, c.format}) << std::flush;
  return 0;
}

int network_inspect(const Api& api, const SwarmCommands& c) {
  std::vector<std::string> missing;
  std::vector<Json> networks = inspect_each(c.targets, "network", [&](const std::string& name) {
    return api.get("/networks/" + ch14::url_encode(name), "network", name);
  }, missing);
  print_inspected(networks, c.format);
  throw_missing(missing);
  return 0;
}

int network_rm(const Api& api, const SwarmCommands& c) {
  return ch10::for_each_reporting(c.targets, [&](const std::string& name) {
    api.call("DELETE", "/networks/" + ch14::url_encode(name), "", "network", name);
    std::cout << name << "\n" << std::flush;
  });
}

// ---- node

std::string self_id(const Api& api) { return str(api.get("/info").value("Swarm", Json::object()), "NodeID"); }

int node_ls(const Api& api, const SwarmCommands& c) {
  auto filters = parse_filters(c.filters);
  Json nodes = api.get(filters.empty() ? "/nodes" : "/nodes?filters=" + query_escape(filters_json(filters)));
  std::string self;
  if (!nodes.empty() && !c.quiet) self = self_id(api);
  std::vector<Json> list(nodes.begin(), nodes.end());
  std::cout << format_nodes(list, self, ListOptions{c.quiet, false, c.format}) << std::flush;
  return 0;
}

/// GET /nodes/ID for a name, an id or "self".
Json inspect_node(const Api& api, const std::string& name) {
  std::string id = name == "self" ? self_id(api) : name;
  return api.get("/nodes/" + id, "node", name);
}

int node_ps(const Api& api, const SwarmCommands& c) {
  std::vector<std::string> names = c.targets.empty() ? std::vector<std::string>{"self"} : c.targets;
  std::vector<Json> tasks;
  auto extra = parse_filters(c.filters);
  for (const auto& name : names) {
    Json node = inspect_node(api, name);
    auto filter = extra;
    filter.emplace_back("node", str(node, "ID"));
    Json found = api.get("/tasks?filters=" + query_escape(filters_json(filter)));
    tasks.insert(tasks.end(), found.begin(), found.end());
  }
  print_tasks(api, tasks, c);
  return 0;
}

/// "2026-12-01 10:49:51.414221705 +0000 utc": Go's time.String of an RFC 3339 UTC time, as
/// docker's PrettyPrint lower-cases it.
std::string go_time_lower(const std::string& rfc3339) {
  if (rfc3339.size() < 19) return rfc3339;
  std::string fraction;
  std::size_t dot = rfc3339.find('.', 19);
  if (dot != std::string::npos) {
    std::size_t end = rfc3339.find_first_not_of("0123456789", dot + 1);
    fraction = rfc3339.substr(dot, (end == std::string::npos ? rfc3339.size() : end) - dot);
  }
  return rfc3339.substr(0, 10) + " " + rfc3339.substr(11, 8) + fraction + " +0000 utc";
}

/// `node inspect --pretty`: docker's text for a node.
std::string pretty_node(const Json& node) {
  auto part = [&](std::initializer_list<const char*> path) {
    const Json* here = &node;
    static const Json empty = Json::object();
    for (const char* key : path) {
      if (!here->is_object() || !here->contains(key)) return empty;
      here = &(*here)[key];
    }
    return *here;
  };
  const Json spec = part({"Spec"}), description = part({"Description"}), status = part({"Status"});
  std::string out = "ID:\t\t\t" + str(node, "ID") + "\n";
  if (!str(spec, "Name").empty()) out += "Name:\t\t\t" + str(spec, "Name") + "\n";
  auto labels = [&](const Json& map, const char* title) {
    if (!map.is_object() || map.empty()) return;
    out += std::string(title) + ":\n";
    std::map<std::string, std::string> sorted;
    for (auto it = map.begin(); it != map.end(); ++it) sorted[it.key()] = it.value().is_string() ? it.value().get<std::string>() : "";
    for (const auto& [key, value] : sorted) out += " - " + key + (value.empty() ? "" : "=" + value) + "\n";
  };
  labels(part({"Spec", "Labels"}), "Labels");
  out += "Hostname:              \t" + str(description, "Hostname") + "\n";
  out += "Joined at:             \t" + go_time_lower(str(node, "CreatedAt")) + "\n";
  out += "Status:\n State:\t\t\t" + pretty(str(status, "State")) + "\n";
  if (!str(status, "Message").empty()) out += " Message:              \t" + str(status, "Message") + "\n";
  out += " Availability:         \t" + pretty(str(spec, "Availability")) + "\n";
  if (!str(status, "Addr").empty()) out += " Address:\t\t" + str(status, "Addr") + "\n";
  const Json manager = part({"ManagerStatus"});
  if (node.contains("ManagerStatus") && node["ManagerStatus"].is_object()) {
    out += "Manager Status:\n Address:\t\t" + str(manager, "Addr") + "\n";
    out += " Raft Status:\t\t" + pretty(str(manager, "Reachability")) + "\n";
    out += std::string(" Leader:\t\t") + (manager.value("Leader", false) ? "Yes" : "No") + "\n";
  }
  const Json platform = part({"Description", "Platform"}), resources = part({"Description", "Resources"});
  out += "Platform:\n Operating System:\t" + str(platform, "OS") + "\n Architecture:\t\t" + str(platform, "Architecture") + "\n";
  out += "Resources:\n CPUs:\t\t\t" + ch10::go_format(Json(resources.value("NanoCPUs", 0.0) / 1e9)) + "\n";
  out += " Memory:\t\t" + memory_text(resources.value("MemoryBytes", std::int64_t{0})) + "\n";
  const Json plugins = part({"Description", "Engine"}).value("Plugins", Json::array());
  if (!plugins.empty()) {
    std::map<std::string, std::string> by_type;
    for (const auto& plugin : plugins) {
      std::string& names = by_type[str(plugin, "Type")];
      names += (names.empty() ? "" : ", ") + str(plugin, "Name");
    }
    out += "Plugins:\n";
    for (const auto& [type, names] : by_type) out += " " + type + ":" + (type.size() >= 8 ? "\t" : "\t\t") + names + "\n";
  }
  out += "Engine Version:\t\t" + str(part({"Description", "Engine"}), "EngineVersion") + "\n";
  labels(part({"Description", "Engine", "Labels"}), "Engine Labels");
  const Json tls = part({"Description", "TLSInfo"});
  if (!tls.empty() && (!str(tls, "TrustRoot").empty() || !str(tls, "CertIssuerSubject").empty())) {
    out += "TLS Info:\n TrustRoot:\n" + str(tls, "TrustRoot") + "\n";
    out += " Issuer Subject:\t" + str(tls, "CertIssuerSubject") + "\n";
    out += " Issuer Public Key:\t" + str(tls, "CertIssuerPublicKey") + "\n";
  }
  return out;
}

int node_inspect(const Api& api, const SwarmCommands& c) {
  std::vector<std::string> missing;
  std::vector<Json> nodes = inspect_each(c.targets, "node", [&](const std::string& name) { return inspect_node(api, name); }, missing);
  if (c.pretty) {
    std::string out;
    for (const auto& node : nodes) out += pretty_node(node);  // docker puts nothing between them
    std::cout << out << std::flush;
  } else {
    print_inspected(nodes, c.format);
  }
  throw_missing(missing);
  return 0;
}

int node_update(const Api& api, const SwarmCommands& c) {
  Json node = inspect_node(api, c.target);
  Json spec = node["Spec"];
  // Docker's CLI leaves the values to the daemon ("invalid Availability: \"x\"").
  if (!c.availability.empty()) spec["Availability"] = c.availability;
  if (!c.node_role.empty()) spec["Role"] = c.node_role;
  api.post("/nodes/" + str(node, "ID") + "/update?version=" + version_of(node), spec);
  std::cout << c.target << "\n" << std::flush;
  return 0;
}

int node_rm(const Api& api, const SwarmCommands& c) {
  return ch10::for_each_reporting(c.targets, [&](const std::string& name) {
    api.call("DELETE", "/nodes/" + name + (c.force ? "?force=1" : ""), "", "node", name);
    std::cout << name << "\n" << std::flush;
  });
}

}  // namespace

void add_swarm_commands(CLI::App& app, SwarmCommands& c) {
  c.swarm = add_command(app, "swarm", "Manage Swarm");
  c.swarm->require_subcommand(1);
  c.init = add_command(*c.swarm, "init", "Initialize a swarm");
  c.init->add_option("--advertise-addr", c.advertise_addr, "Advertised address (format: <ip|interface>[:port])");
  c.init->add_option("--listen-addr", c.listen_addr, "Listen address (format: <ip|interface>[:port])");
  c.init->add_option("--dispatcher-heartbeat", c.dispatcher_heartbeat, "Dispatcher heartbeat period (ns|us|ms|s|m|h)");
  c.join = add_command(*c.swarm, "join", "Join a swarm as a node and/or manager");
  c.join->add_option("--token", c.token, "Token for entry into the swarm")->required();
  c.join->add_option("--advertise-addr", c.advertise_addr, "Advertised address (format: <ip|interface>[:port])");
  c.join->add_option("--listen-addr", c.listen_addr, "Listen address (format: <ip|interface>[:port])");
  c.join->add_option("HOST:PORT", c.remote, "A manager's address")->required();
  c.join_token = add_command(*c.swarm, "join-token", "Manage join tokens");
  c.join_token->add_flag("-q,--quiet", c.quiet, "Only display token");
  c.join_token->add_flag("--rotate", c.rotate, "Rotate join token");
  c.join_token->add_option("ROLE", c.role, "worker or manager")->required();
  c.leave = add_command(*c.swarm, "leave", "Leave the swarm");
  c.leave->add_flag("-f,--force", c.force, "Force this node to leave the swarm, ignoring warnings");

  c.service = add_command(app, "service", "Manage services");
  c.service->require_subcommand(1);
  CreateOptions& o = c.create_options;
  c.create = add_command(*c.service, "create", "Create a new service");
  c.create->add_flag("-d,--detach", c.detach, "Exit immediately instead of waiting for the service to converge");
  c.create->add_flag("-q,--quiet", c.quiet, "Suppress progress output");
  c.create->add_option("--name", o.name, "Service name");
  c.create->add_option("--replicas", o.replicas, "Number of tasks");
  c.create->add_option("--mode", o.mode, "Service mode (replicated or global)");
  c.create->add_option("-e,--env", o.env, "Set environment variables")->allow_extra_args(false);
  c.create->add_option("--constraint", o.constraints, "Placement constraints")->allow_extra_args(false);
  c.create->add_option("--network", o.networks, "Network attachments")->allow_extra_args(false);
  c.create->add_option("-p,--publish", o.publish, "Publish a port as a node port")->allow_extra_args(false);
  c.create->add_option("--restart-condition", o.restart_condition, "Restart when condition is met (none, on-failure, any)");
  c.create->add_option("--restart-delay", o.restart_delay, "Delay between restart attempts (ns|us|ms|s|m|h)");
  c.create->add_option("--limit-memory", o.limit_memory, "Limit Memory");
  c.create->add_option("--limit-cpu", o.limit_cpu, "Limit CPUs");
  c.create->add_option("--reserve-memory", o.reserve_memory, "Reserve Memory");
  c.create->add_option("--reserve-cpu", o.reserve_cpu, "Reserve CPUs");
  c.create->add_option("--update-parallelism", o.update_parallelism, "Maximum number of tasks updated simultaneously");
  c.create->add_option("--update-delay", o.update_delay, "Delay between updates (ns|us|ms|s|m|h)");
  c.create->add_option("--update-failure-action", o.update_failure_action, "Action on update failure (pause, continue, rollback)");
  c.create->add_option("--update-max-failure-ratio", o.update_max_failure_ratio, "Failure rate to tolerate during an update");
  c.create->add_option("--update-monitor", o.update_monitor, "Duration after each task update to monitor for failure (ns|us|ms|s|m|h)");
  c.create->add_option("IMAGE", o.image, "The image")->required();
  c.create->add_option("COMMAND", o.args, "The command and its arguments");
  c.create->positionals_at_end();
  c.create->prefix_command();

  c.ls = add_command(*c.service, "ls", "List services");
  c.ls->alias("list");
  c.ls->add_flag("-q,--quiet", c.quiet, "Only display IDs");
  c.ls->add_option("-f,--filter", c.filters, "Filter output based on conditions provided")->allow_extra_args(false);
  c.ls->add_option("--format", c.format, "Pretty-print services using a Go template");

  c.ps = add_command(*c.service, "ps", "List the tasks of one or more services");
  c.ps->add_flag("-q,--quiet", c.quiet, "Only display task IDs");
  c.ps->add_flag("--no-trunc", c.no_trunc, "Do not truncate output");
  c.ps->add_option("-f,--filter", c.filters, "Filter output based on conditions provided")->allow_extra_args(false);
  c.ps->add_option("--format", c.format, "Pretty-print tasks using a Go template");
  c.ps->add_option("SERVICE", c.targets, "The services")->required();

  c.logs = add_command(*c.service, "logs", "Fetch the logs of a service or task");
  c.logs->add_flag("-f,--follow", c.follow, "Follow log output");
  c.logs->add_option("-n,--tail", c.tail, "Number of lines to show from the end of the logs (default all)");
  c.logs->add_flag("-t,--timestamps", c.timestamps, "Show timestamps");
  c.logs->add_flag("--no-task-ids", c.no_task_ids, "Do not include task IDs in output");
  c.logs->add_flag("--no-trunc", c.no_trunc, "Do not truncate output");
  c.logs->add_flag("--raw", c.raw, "Do not neatly format logs");
  c.logs->add_option("SERVICE", c.target, "The service or task")->required();

  c.scale = add_command(*c.service, "scale", "Scale one or multiple replicated services");
  c.scale->add_flag("-d,--detach", c.detach, "Exit immediately instead of waiting for the service to converge");
  c.scale->add_option("SERVICE=REPLICAS", c.targets, "The services and their replica counts")->required();

  c.update = add_command(*c.service, "update", "Update a service");
  c.update->add_flag("-d,--detach", c.detach, "Exit immediately instead of waiting for the service to converge");
  c.update->add_flag("-q,--quiet", c.quiet, "Suppress progress output");
  c.update->add_option("--image", c.image, "Service image tag");
  c.update->add_option("--env-add", c.env_add, "Add or update an environment variable")->allow_extra_args(false);
  c.update->add_option("--env-rm", c.env_rm, "Remove an environment variable")->allow_extra_args(false);
  c.update->add_option("--constraint-add", c.constraint_add, "Add or update a placement constraint")->allow_extra_args(false);
  c.update->add_option("--constraint-rm", c.constraint_rm, "Remove a constraint")->allow_extra_args(false);
  c.update->add_option("--publish-add", c.publish_add, "Add or update a published port")->allow_extra_args(false);
  c.update->add_option("--publish-rm", c.publish_rm, "Remove a published port by its target port")->allow_extra_args(false);
  c.update->add_option("--replicas", c.replicas, "Number of tasks");
  c.update->add_flag("--force", c.force_update, "Force update even if no changes require it");
  c.update->add_option("--update-parallelism", o.update_parallelism, "Maximum number of tasks updated simultaneously");
  c.update->add_option("--update-delay", o.update_delay, "Delay between updates (ns|us|ms|s|m|h)");
  c.update->add_option("--update-failure-action", o.update_failure_action, "Action on update failure (pause, continue, rollback)");
  c.update->add_option("--update-max-failure-ratio", o.update_max_failure_ratio, "Failure rate to tolerate during an update");
  c.update->add_option("--update-monitor", o.update_monitor, "Duration after each task update to monitor for failure (ns|us|ms|s|m|h)");
  c.update->add_option("SERVICE", c.target, "The service")->required();

  c.rollback = add_command(*c.service, "rollback", "Revert changes to a service's configuration");
  c.rollback->add_flag("-d,--detach", c.detach, "Exit immediately instead of waiting for the service to converge");
  c.rollback->add_flag("-q,--quiet", c.quiet, "Suppress progress output");
  c.rollback->add_option("SERVICE", c.target, "The service")->required();

  c.inspect = add_command(*c.service, "inspect", "Display detailed information on one or more services");
  c.inspect->add_flag("--pretty", c.pretty, "Print the information in a human friendly format");
  c.inspect->add_option("-f,--format", c.format, "Format the output using the given Go template");
  c.inspect->add_option("SERVICE", c.targets, "The services")->required();

  c.rm = add_command(*c.service, "rm", "Remove one or more services");
  c.rm->alias("remove");
  c.rm->add_option("SERVICE", c.targets, "The services")->required();

  c.node = add_command(app, "node", "Manage Swarm nodes");
  c.node->require_subcommand(1);
  c.node_ls = add_command(*c.node, "ls", "List nodes in the swarm");
  c.node_ls->alias("list");
  c.node_ls->add_flag("-q,--quiet", c.quiet, "Only display IDs");
  c.node_ls->add_option("-f,--filter", c.filters, "Filter output based on conditions provided")->allow_extra_args(false);
  c.node_ls->add_option("--format", c.format, "Pretty-print nodes using a Go template");
  c.node_ps = add_command(*c.node, "ps", "List tasks running on one or more nodes, defaults to current node");
  c.node_ps->add_flag("-q,--quiet", c.quiet, "Only display task IDs");
  c.node_ps->add_flag("--no-trunc", c.no_trunc, "Do not truncate output");
  c.node_ps->add_option("-f,--filter", c.filters, "Filter output based on conditions provided")->allow_extra_args(false);
  c.node_ps->add_option("--format", c.format, "Pretty-print tasks using a Go template");
  c.node_ps->add_option("NODE", c.targets, "The nodes (default self)");
  c.node_inspect = add_command(*c.node, "inspect", "Display detailed information on one or more nodes");
  c.node_inspect->add_flag("--pretty", c.pretty, "Print the information in a human friendly format");
  c.node_inspect->add_option("-f,--format", c.format, "Format the output using the given Go template");
  c.node_inspect->add_option("NODE", c.targets, "The nodes (or self)")->required();
  c.node_update = add_command(*c.node, "update", "Update a node");
  c.node_update->add_option("--availability", c.availability, "Availability of the node (active, pause, drain)");
  c.node_update->add_option("--role", c.node_role, "Role of the node (worker, manager)");
  c.node_update->add_option("NODE", c.target, "The node")->required();
  c.node_rm = add_command(*c.node, "rm", "Remove one or more nodes from the swarm");
  c.node_rm->alias("remove");
  c.node_rm->add_flag("-f,--force", c.force, "Force remove a node from the swarm");
  c.node_rm->add_option("NODE", c.targets, "The nodes")->required();

  CLI::App* network = shared_command(app, "network", "Manage networks");  // beside chapter 04's prune
  network->require_subcommand(1);
  c.network_create = add_command(*network, "create", "Create a network");
  c.network_create->add_option("-d,--driver", c.driver, "Driver to manage the Network (overlay)");
  c.network_create->add_option("--subnet", c.subnets, "Subnet in CIDR format that represents a network segment")
      ->allow_extra_args(false);
  c.network_create->add_flag("--attachable", c.attachable, "Enable manual container attachment");
  c.network_create->add_option("NETWORK", c.target, "The network's name")->required();
  c.network_ls = add_command(*network, "ls", "List networks");
  c.network_ls->alias("list");
  c.network_ls->add_flag("-q,--quiet", c.quiet, "Only display network IDs");
  c.network_ls->add_flag("--no-trunc", c.no_trunc, "Do not truncate the output");
  c.network_ls->add_option("-f,--filter", c.filters, "Provide filter values (e.g. 'driver=overlay')")->allow_extra_args(false);
  c.network_ls->add_option("--format", c.format, "Pretty-print networks using a Go template");
  c.network_inspect = add_command(*network, "inspect", "Display detailed information on one or more networks");
  c.network_inspect->add_option("-f,--format", c.format, "Format the output using the given Go template");
  c.network_inspect->add_option("NETWORK", c.targets, "The networks")->required();
  c.network_rm = add_command(*network, "rm", "Remove one or more networks");
  c.network_rm->alias("remove");
  c.network_rm->add_option("NETWORK", c.targets, "The networks")->required();
}

std::optional<int> run_swarm_commands(const StateRoot& root, SwarmCommands& c) {
  bool network = c.network_create->parsed() || c.network_ls->parsed() || c.network_inspect->parsed() ||
                 c.network_rm->parsed();
  if (!c.swarm->parsed() && !c.service->parsed() && !c.node->parsed() && !network) return std::nullopt;
  Api api(endpoint(root));
  if (c.network_create->parsed()) return network_create(api, c);
  if (c.network_ls->parsed()) return network_ls(api, c);
  if (c.network_inspect->parsed()) return network_inspect(api, c);
  if (c.network_rm->parsed()) return network_rm(api, c);
  if (c.init->parsed()) return swarm_init(api, c);
  if (c.join->parsed()) return swarm_join(api, c);
  if (c.join_token->parsed()) return swarm_join_token(api, c);
  if (c.leave->parsed()) return swarm_leave(api, c);
  if (c.create->parsed()) {
    for (const auto& extra : c.create->remaining()) c.create_options.args.push_back(extra);
    return service_create(api, c);
  }
  if (c.ls->parsed()) return service_ls(api, c);
  if (c.ps->parsed()) return service_ps(api, c);
  if (c.logs->parsed()) return service_logs(api, c);
  if (c.scale->parsed()) return service_scale(api, c);
  if (c.update->parsed()) return service_update(api, c);
  if (c.rollback->parsed()) return service_rollback(api, c);
  if (c.inspect->parsed()) return service_inspect(api, c);
  if (c.rm->parsed()) return service_rm(api, c);
  if (c.node_ls->parsed()) return node_ls(api, c);
  if (c.node_ps->parsed()) return node_ps(api, c);
  if (c.node_inspect->parsed()) return node_inspect(api, c);
  if (c.node_update->parsed()) return node_update(api, c);
  if (c.node_rm->parsed()) return node_rm(api, c);
  return std::nullopt;
}

}  // namespace dockling::ch15
