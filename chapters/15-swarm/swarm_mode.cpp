#include "swarm_mode.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "api_response.hpp"
#include "dockling/fs.hpp"
#include "dockling/log.hpp"
#include "engine_state.hpp"
#include "hmac_sha256.hpp"
#include "http_client.hpp"
#include "object_routes.hpp"

namespace fs = std::filesystem;
namespace http = dockling::ch12::http;
using nlohmann::json;

namespace dockling::ch15 {

using ch14::ApiError;
using ch14::json_response;

namespace {

constexpr int kSwarmPort = 2377;
const char* const kNotManager =
    "This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state. Please run this "
    "command on a manager node or promote the current node to a manager.";
const char* const kNotInSwarm =
    "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to "
    "swarm and try again.";
const char* const kAlreadyInSwarm =
    "This node is already part of a swarm. Use \"docker swarm leave\" to leave this swarm and join another one.";

std::string hostname() {
  utsname host{};
  ::uname(&host);
  return host.nodename;
}

/// The IPv4 addresses of interface `name`.
std::vector<std::string> addresses_of(const std::string& name) {
  std::vector<std::string> found;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return found;
  for (ifaddrs* entry = list; entry != nullptr; entry = entry->ifa_next) {
    if (entry->ifa_addr == nullptr || entry->ifa_addr->sa_family != AF_INET || name != entry->ifa_name) continue;
    char text[INET_ADDRSTRLEN];
    ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(entry->ifa_addr)->sin_addr, text, sizeof(text));
    found.emplace_back(text);
  }
  ::freeifaddrs(list);
  return found;
}

/// The address of the interface that holds the default route, as docker picks one.
std::string default_route_address() {
  std::ifstream routes("/proc/net/route");
  std::string line, interface;
  std::getline(routes, line);  // the header
  while (std::getline(routes, line)) {
    std::istringstream fields(line);
    std::string name, destination;
    fields >> name >> destination;
    if (destination == "00000000") {
      interface = name;
      break;
    }
  }
  if (interface.empty()) throw ApiError(400, "could not find the system's IP address - specify one with --advertise-addr");
  std::vector<std::string> addresses = addresses_of(interface);
  if (addresses.empty()) throw ApiError(400, "could not find the system's IP address - specify one with --advertise-addr");
  if (addresses.size() > 1)
    throw ApiError(400, fmt::format("could not choose an IP address to advertise since this system has multiple "
                                    "addresses on interface {} ({} and {})",
                                    interface, addresses[0], addresses[1]));
  return addresses[0];
}

/// Splits "HOST:PORT" (or "HOST", with `port`).
std::pair<std::string, int> host_port(const std::string& text, int port) {
  std::size_t colon = text.rfind(':');
  if (colon == std::string::npos) return {text, port};
  try {
    return {text.substr(0, colon), std::stoi(text.substr(colon + 1))};
  } catch (const std::exception&) {
    throw ApiError(400, fmt::format("invalid address {}: the port is not a number", text));
  }
}

bool is_ipv4(const std::string& text) {
  in_addr address{};
  return ::inet_pton(AF_INET, text.c_str(), &address) == 1;
}

/// The advertise address: given (an IP, IP:PORT, or an interface's name), or the listen
/// address when that is a specific IP, or the default route's interface address.
std::string advertise_ip(const std::string& given, const std::string& listen_host) {
  if (!given.empty()) {
    std::string host = host_port(given, kSwarmPort).first;
    if (is_ipv4(host)) return host;
    std::vector<std::string> addresses = addresses_of(host);
    if (addresses.size() == 1) return addresses[0];
    throw ApiError(400, fmt::format("advertise address must be a non-zero IP address or network interface (with "
                                    "optional port number): {}",
                                    given));
  }
  if (is_ipv4(listen_host) && listen_host != "0.0.0.0") return listen_host;
  return default_route_address();
}

/// The local address this machine uses to reach `target` (a UDP connect sends nothing).
std::string local_address_towards(const std::string& target) {
  auto [host, port] = host_port(target, kSwarmPort);
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &remote.sin_addr) != 1) return "";
  UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd || ::connect(fd.get(), reinterpret_cast<sockaddr*>(&remote), sizeof(remote)) != 0) return "";
  sockaddr_in local{};
  socklen_t length = sizeof(local);
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&local), &length);
  char text[INET_ADDRSTRLEN];
  ::inet_ntop(AF_INET, &local.sin_addr, text, sizeof(text));
  return text;
}

NodeDescription describe(const std::string& addr, const std::string& listen_addr) {
  NodeDescription self;
  self.hostname = hostname();
  self.addr = addr;
  self.listen_addr = listen_addr;
  self.memory_bytes = static_cast<std::int64_t>(::sysconf(_SC_PHYS_PAGES)) * ::sysconf(_SC_PAGESIZE);
  self.nano_cpus = static_cast<std::int64_t>(std::thread::hardware_concurrency()) * 1'000'000'000;
  return self;
}

/// "Bearer X" → X, or "".
std::string bearer(const http::Request& request) {
  std::string value = request.headers.get("Authorization").value_or("");
  return value.rfind("Bearer ", 0) == 0 ? value.substr(7) : "";
}

std::uint64_t version_param(const http::Request& request) {
  std::string text = request.query_param("version").value_or("");
  try {
    return std::stoull(text);
  } catch (const std::exception&) {
    throw ApiError(400, fmt::format("invalid version: '{}'", text));
  }
}

/// One frame of docker's multiplexed stream: stream type, three zeros, the length, the bytes.
std::string frame(char stream, const std::string& payload) {
  std::string header(8, '\0');
  header[0] = stream;
  std::uint32_t length = static_cast<std::uint32_t>(payload.size());
  for (int i = 0; i < 4; ++i) header[4 + i] = static_cast<char>((length >> (24 - 8 * i)) & 0xff);
  return header + payload;
}

}  // namespace

SwarmMode::SwarmMode(const StateRoot& root, const ch14::DaemonOptions& options) : root_(root) {
  std::string host = options.host;
  if (host.empty()) host = "unix://" + ch14::default_socket(root).string();
  if (host.rfind("unix:", 0) == 0 && host.rfind("unix://", 0) != 0) host = "unix://" + host.substr(5);
  engine_ = host;
}

SwarmMode::~SwarmMode() { end(); }

void SwarmMode::save(const Membership& m) {
  fs::create_directories(root_.dir() / "swarm");
  json record = {{"NodeID", m.node_id}, {"Role", m.role},      {"Secret", m.secret},         {"NodeKey", m.node_key},
                 {"Manager", m.manager}, {"Addr", m.addr},     {"ListenAddr", m.listen_addr}, {"ClusterID", m.cluster_id}};
  fs::path path = root_.dir() / "swarm" / "node.json";
  write_file_durably(path, record.dump(2) + "\n");
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
}

void SwarmMode::start() {
  fs::path path = root_.dir() / "swarm" / "node.json";
  if (!fs::exists(path)) return;
  try {
    json record = json::parse(read_file(path.string()));
    Membership m{record.value("NodeID", ""),  record.value("Role", "worker"), record.value("Secret", ""),
                 record.value("NodeKey", ""), record.value("Manager", ""),    record.value("Addr", ""),
                 record.value("ListenAddr", ""), record.value("ClusterID", "")};
    std::lock_guard lock(changing_);
    begin(m);
    log::info("swarm: this node ({}) is a {} of swarm {} again", m.node_id, m.role, m.cluster_id);
  } catch (const std::exception& e) {
    log::error("swarm: cannot take this node's place in its swarm again ({}): {}", path.string(), e.what());
  }
}

void SwarmMode::stop() {
  std::lock_guard lock(changing_);
  end();
}

void SwarmMode::begin(const Membership& m) {
  std::shared_ptr<SwarmManager> manager;
  if (m.role == "manager") {
    manager = std::make_shared<SwarmManager>(root_.dir() / "swarm" / "manager", std::chrono::milliseconds(500));
    manager->start();
  }
  auto agent = std::make_shared<SwarmAgent>(AgentConfig{m.manager, m.node_id, m.secret, engine_});
  {
    std::lock_guard lock(mutex_);
    membership_ = m;
    manager_ = manager;
    agent_ = agent;
  }
  listener_ = std::make_unique<http::Listener>(http::listen_on(m.listen_addr));
  listener_stop_ = UniqueFd(::eventfd(0, EFD_CLOEXEC));
  server_ = std::thread([this, stop = listener_stop_.get()] {
    http::serve(*listener_, [this](http::Request& request) { return rpc(request); }, stop);
  });
  agent->start();
}

void SwarmMode::end() {
  std::shared_ptr<SwarmAgent> agent;
  std::shared_ptr<SwarmManager> manager;
  {
    std::lock_guard lock(mutex_);
    agent.swap(agent_);
    manager.swap(manager_);
  }
  if (agent) agent->stop();
  if (manager) manager->stop();
  if (server_.joinable()) {
    std::uint64_t one = 1;
    if (::write(listener_stop_.get(), &one, sizeof(one)) < 0) log::error("swarm: cannot stop the swarm port");
    server_.join();
  }
  listener_.reset();
  listener_stop_ = UniqueFd();
}

bool SwarmMode::member() {
  std::lock_guard lock(mutex_);
  return membership_.has_value();
}

std::shared_ptr<SwarmManager> SwarmMode::manager() {
  if (!membership_) throw ApiError(503, kNotInSwarm);
  if (!manager_) throw ApiError(503, kNotManager);
  return manager_;
}

std::optional<std::vector<std::string>> SwarmMode::network_flags(const std::string& network, const json& endpoint) {
  std::shared_ptr<SwarmAgent> agent;
  {
    std::lock_guard lock(mutex_);
    agent = agent_;
  }
  return agent ? agent->network_flags(network, endpoint) : std::nullopt;
}

void SwarmMode::add_info(json& info) {
  std::lock_guard lock(mutex_);
  if (!membership_) {
    info["Swarm"] = {{"NodeID", ""},           {"NodeAddr", ""}, {"LocalNodeState", "inactive"},
                     {"ControlAvailable", false}, {"Error", ""},   {"RemoteManagers", nullptr}};
    return;
  }
  if (manager_) {
    info["Swarm"] = manager_->info_json(membership_->node_id);
    return;
  }
  info["Swarm"] = {{"NodeID", membership_->node_id},
                   {"NodeAddr", membership_->addr},
                   {"LocalNodeState", "active"},
                   {"ControlAvailable", false},
                   {"Error", ""},
                   {"RemoteManagers", {{{"NodeID", ""}, {"Addr", membership_->manager}}}}};
}

std::optional<http::Response> SwarmMode::route(http::Request& request, const std::string& path) {
  const std::string& method = request.method;
  if (path.rfind("/swarm", 0) != 0 && path.rfind("/services", 0) != 0 && path.rfind("/nodes", 0) != 0 &&
      path.rfind("/tasks", 0) != 0 && path.rfind("/networks", 0) != 0)
    return std::nullopt;
  if (path == "/swarm/init" && method == "POST") return init(request);
  if (path == "/swarm/join" && method == "POST") return join(request);
  if (path == "/swarm/leave" && method == "POST") return leave(request);
  if (path == "/swarm/update" && method == "POST") return update_swarm(request);
  static const std::regex object_path(R"(^/(services|nodes|tasks|networks)(?:/([^/]+))?(/[a-z]+)?$)");
  std::smatch match;
  std::unique_lock lock(mutex_);
  // Outside a manager, the engine's own networks only: chapter 14 answers.
  if (path.rfind("/networks", 0) == 0 && method == "GET" && !manager_) return std::nullopt;
  if (path == "/swarm" && method == "GET") return json_response(200, manager()->swarm_json());
  if (!std::regex_match(path, match, object_path)) return std::nullopt;
  std::string kind = match[1], name = match[2], action = match[3];
  std::shared_ptr<SwarmManager> held = manager();
  SwarmManager& boss = *held;
  lock.unlock();  // the manager has its own lock; a long answer (logs) must not hold this one
  Filters filters = parse_filters(request.query_param("filters").value_or(""));
  if (kind == "services") {
    if (name.empty() && action.empty() && method == "GET")
      return json_response(200, boss.services(filters, ch14::query_flag(request, "status")));
    if (name == "create" && action.empty() && method == "POST")
      return json_response(201, json{{"ID", boss.create_service(ch14::json_body(request))}});
    if (!name.empty() && action.empty() && method == "GET") return json_response(200, boss.service(name));
    if (!name.empty() && action.empty() && method == "DELETE") {
      boss.remove_service(name);
      return ch14::empty_response(200);
    }
    if (action == "/update" && method == "POST") {
      bool rollback = request.query_param("rollback").value_or("") == "previous";
      boss.update_service(name, version_param(request), ch14::json_body(request), rollback);
      return json_response(200, json{{"Warnings", nullptr}});
    }
    if (action == "/logs" && method == "GET") return service_logs(request, name);
  }
  if (kind == "nodes") {
    if (name.empty() && method == "GET") return json_response(200, boss.nodes(filters));
    if (!name.empty() && action.empty() && method == "GET") return json_response(200, boss.node(name));
    if (!name.empty() && action.empty() && method == "DELETE") {
      boss.remove_node(name, ch14::query_flag(request, "force"));
      return ch14::empty_response(200);
    }
    if (action == "/update" && method == "POST") {
      boss.update_node(name, version_param(request), ch14::json_body(request));
      return ch14::empty_response(200);
    }
  }
  if (kind == "networks") {
    if (name.empty() && method == "GET") {
      // The engine's own networks, then the swarm's, as dockerd lists them on a manager.
      json list = json::array();
      for (const json& local : ch14::local_networks())
        if (network_passes(filters, local)) list.push_back(local);
      for (json& network : boss.networks(filters)) list.push_back(std::move(network));
      return json_response(200, list);
    }
    if (name == "create" && method == "POST")
      return json_response(201, json{{"Id", boss.create_network(ch14::json_body(request))}, {"Warning", ""}});
    if (!name.empty() && action.empty() && method == "GET") {
      if (boss.has_network(name)) return json_response(200, boss.network(name));
      return std::nullopt;  // bridge, host, none, or chapter 14's 404
    }
    if (!name.empty() && action.empty() && method == "DELETE") {
      boss.remove_network(name);
      return ch14::empty_response(204);
    }
  }
  if (kind == "tasks") {
    if (name.empty() && method == "GET") return json_response(200, boss.tasks(filters));
    if (!name.empty() && action.empty() && method == "GET") return json_response(200, boss.task(name));
  }
  return std::nullopt;
}

http::Response SwarmMode::init(http::Request& request) {
  json body = ch14::json_body(request);
  std::lock_guard lock(changing_);
  if (member()) throw ApiError(503, kAlreadyInSwarm);
  auto [listen_host, listen_port] = host_port(body.value("ListenAddr", "0.0.0.0:2377"), kSwarmPort);
  if (listen_host.empty()) listen_host = "0.0.0.0";
  std::string given = body.value("AdvertiseAddr", "");
  std::string ip = advertise_ip(given, listen_host);
  int port = given.empty() ? listen_port : host_port(given, listen_port).second;
  std::int64_t heartbeat_ns = 0;
  if (body.contains(json::json_pointer("/Spec/Dispatcher/HeartbeatPeriod")) &&
      body["Spec"]["Dispatcher"]["HeartbeatPeriod"].is_number_integer())
    heartbeat_ns = body["Spec"]["Dispatcher"]["HeartbeatPeriod"].get<std::int64_t>();
  std::chrono::milliseconds heartbeat(heartbeat_ns > 0 ? heartbeat_ns / 1'000'000 : 500);
  std::string listen_addr = fmt::format("{}:{}", listen_host, listen_port);
  std::string advertised = fmt::format("{}:{}", ip, port);
  // The swarm port first: a port in use fails here, before anything is written.
  http::Listener probe = http::listen_on(listen_addr);
  probe.fd = UniqueFd();
  NodeCredentials self = SwarmManager::create(root_.dir() / "swarm" / "manager", describe(ip, advertised), heartbeat);
  Membership m{self.node_id, "manager", self.secret, self.node_key, advertised, ip, listen_addr, self.cluster_id};
  save(m);
  begin(m);
  log::info("swarm: initialized swarm {}: this node ({}) is its manager, on {}", m.cluster_id, m.node_id, advertised);
  return json_response(200, json(m.node_id));
}

http::Response SwarmMode::join(http::Request& request) {
  json body = ch14::json_body(request);
  std::lock_guard lock(changing_);
  if (member()) throw ApiError(503, kAlreadyInSwarm);
  json remotes = body.value("RemoteAddrs", json::array());
  if (!remotes.is_array() || remotes.empty() || !remotes[0].is_string())
    throw ApiError(400, "invalid join request: no manager address (RemoteAddrs)");
  auto [manager_host, manager_port] = host_port(remotes[0].get<std::string>(), kSwarmPort);
  std::string manager = fmt::format("{}:{}", manager_host, manager_port);
  auto [listen_host, listen_port] = host_port(body.value("ListenAddr", "0.0.0.0:2377"), kSwarmPort);
  if (listen_host.empty()) listen_host = "0.0.0.0";
  std::string given = body.value("AdvertiseAddr", "");
  std::string ip = !given.empty() ? advertise_ip(given, listen_host) : local_address_towards(manager);
  if (ip.empty()) ip = advertise_ip("", listen_host);
  std::string listen_addr = fmt::format("{}:{}", listen_host, listen_port);
  http::Listener probe = http::listen_on(listen_addr);
  probe.fd = UniqueFd();
  NodeDescription self = describe(ip, fmt::format("{}:{}", ip, listen_port));
  ch14::HttpCall call{"POST", "/swarm/rpc/join",
                      json{{"Token", body.value("JoinToken", "")},
                           {"Hostname", self.hostname},
                           {"Addr", self.addr},
                           {"ListenAddr", self.listen_addr},
                           {"MemoryBytes", self.memory_bytes},
                           {"NanoCPUs", self.nano_cpus}}
                          .dump()};
  call.timeout = std::chrono::milliseconds(10000);
  ch14::HttpAnswer answer;
  try {
    answer = ch14::http_call({manager}, call);
  } catch (const ch14::HttpUnreachable& e) {
    throw ApiError(500, fmt::format("cannot reach the manager at {}: {}", manager, e.what()));
  }
  json reply = json::parse(answer.body, nullptr, false);
  if (answer.status != 200) {
    std::string message = reply.is_object() ? reply.value("message", answer.body) : answer.body;
    throw ApiError(answer.status >= 400 && answer.status < 600 ? answer.status : 500, message);
  }
  Membership m{reply.value("NodeID", ""), reply.value("Role", "worker"), reply.value("Secret", ""),
               reply.value("NodeKey", ""), manager, ip, listen_addr, reply.value("ClusterID", "")};
  save(m);
  begin(m);
  log::info("swarm: joined swarm {} through {} as a {} ({})", m.cluster_id, manager, m.role, m.node_id);
  return ch14::empty_response(200);
}

http::Response SwarmMode::leave(http::Request& request) {
  bool force = ch14::query_flag(request, "force");
  std::lock_guard lock(changing_);
  std::optional<Membership> m;
  std::shared_ptr<SwarmAgent> agent;
  bool is_manager = false;
  {
    std::lock_guard state(mutex_);
    m = membership_;
    agent = agent_;
    is_manager = manager_ != nullptr;
  }
  if (!m) throw ApiError(503, "This node is not part of a swarm");
  if (is_manager && !force)
    throw ApiError(503, "You are attempting to leave the swarm on a node that is participating as a manager. Removing "
                        "the last manager erases all current state of the swarm. Use `--force` to ignore this message.");
  // A manager's agent would tell the manager, itself: it only removes its containers.
  if (agent) agent->leave(!is_manager);
  end();
  fs::remove_all(root_.dir() / "swarm");
  log::info("swarm: this node ({}) left the swarm", m->node_id);
  std::lock_guard state(mutex_);
  membership_.reset();
  return ch14::empty_response(200);
}

http::Response SwarmMode::update_swarm(http::Request& request) {
  std::shared_ptr<SwarmManager> boss;
  {
    std::lock_guard lock(mutex_);
    boss = manager();
  }
  if (ch14::query_flag(request, "rotateWorkerToken")) boss->rotate_token("worker");
  if (ch14::query_flag(request, "rotateManagerToken")) boss->rotate_token("manager");
  return ch14::empty_response(200);
}

http::Response SwarmMode::rpc(http::Request& request) {
  try {
    const std::string& path = request.path;
    if (path == "/swarm/rpc/logs" && request.method == "GET") {
      std::string key;
      {
        std::lock_guard lock(mutex_);
        if (membership_) key = membership_->node_key;
      }
      if (key.empty() || !ch12::equal_in_constant_time(bearer(request), key)) throw ApiError(401, "not a manager of this swarm");
      std::string container = request.query_param("container").value_or("");
      static const std::regex id("^[0-9a-f]{12,64}$");
      if (!std::regex_match(container, id)) throw ApiError(400, "invalid container id");
      std::string query = request.query;
      std::string engine = engine_;
      http::Response response;
      response.headers.set("Content-Type", "application/vnd.docker.raw-stream");
      response.stream = [engine, container, query](int fd) {
        ch14::HttpCall call{"GET", fmt::format("/v1.41/containers/{}/logs?{}", container, query)};
        call.timeout = std::chrono::milliseconds(0);
        call.cancelled = [fd] { return ch14::peer_gone(fd); };
        ch14::http_stream({engine}, call, [fd](std::string_view data) { return ch14::send_text(fd, data); });
      };
      return response;
    }
    std::shared_ptr<SwarmManager> boss;
    {
      std::lock_guard lock(mutex_);
      boss = manager_;
    }
    if (boss == nullptr) throw ApiError(503, "this node is not a manager");
    json body = ch14::json_body(request);
    if (path == "/swarm/rpc/join" && request.method == "POST") {
      NodeDescription node{body.value("Hostname", ""), body.value("Addr", ""), body.value("ListenAddr", ""),
                           body.value("MemoryBytes", std::int64_t{0}), body.value("NanoCPUs", std::int64_t{0})};
      if (node.hostname.empty() || !is_ipv4(node.addr)) throw ApiError(400, "a joining node must give its hostname and address");
      NodeCredentials credentials = boss->join(body.value("Token", ""), node);
      return json_response(200, json{{"NodeID", credentials.node_id},
                                     {"Secret", credentials.secret},
                                     {"NodeKey", credentials.node_key},
                                     {"ClusterID", credentials.cluster_id},
                                     {"Role", credentials.role}});
    }
    std::string credential = bearer(request);
    std::size_t dot = credential.find('.');
    std::string node_id = credential.substr(0, dot), secret = dot == std::string::npos ? "" : credential.substr(dot + 1);
    if (path == "/swarm/rpc/session" && request.method == "POST") {
      std::chrono::milliseconds wait(std::clamp<std::int64_t>(body.value("WaitMs", std::int64_t{0}), 0, 10000));
      return json_response(200, boss->session(node_id, secret, body.value("Digest", ""), wait));
    }
    if (path == "/swarm/rpc/report" && request.method == "POST") {
      boss->report(node_id, secret, body.value("Statuses", json::array()));
      return ch14::empty_response(204);
    }
    if (path == "/swarm/rpc/leave" && request.method == "POST") {
      boss->leave(node_id, secret);
      return ch14::empty_response(204);
    }
    throw ApiError(404, "page not found");
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

http::Response SwarmMode::service_logs(http::Request& request, const std::string& name) {
  std::shared_ptr<SwarmManager> boss;
  {
    std::lock_guard lock(mutex_);
    boss = manager();
  }
  json service = boss->service(name);
  std::string service_id = service["ID"];
  bool details = ch14::query_flag(request, "details"), timestamps = ch14::query_flag(request, "timestamps");
  bool follow = ch14::query_flag(request, "follow");
  std::string tail = request.query_param("tail").value_or("all");
  std::string self;
  {
    std::lock_guard lock(mutex_);
    self = membership_ ? membership_->node_id : "";
  }
  std::string engine = engine_;
  std::shared_ptr<SwarmManager> manager = boss;
  http::Response response;
  response.headers.set("Content-Type", "application/vnd.docker.raw-stream");
  response.stream = [=](int fd) {
    std::mutex writing;
    std::set<std::string> seen;  // task ids whose logs are being read
    std::vector<std::thread> readers;
    auto read_task = [&, fd](json task) {
      std::string container = task.contains(json::json_pointer("/Status/ContainerStatus/ContainerID"))
                                  ? task["Status"]["ContainerStatus"]["ContainerID"].get<std::string>()
                                  : "";
      if (container.empty()) return;
      std::string node = task.value("NodeID", "");
      std::string query = fmt::format("stdout=1&stderr=1&timestamps=1&tail={}{}", tail, follow ? "&follow=1" : "");
      ch14::HttpEndpoint where{engine};
      ch14::HttpCall call{"GET", fmt::format("/v1.41/containers/{}/logs?{}", container, query)};
      if (node != self) {
        auto [address, key] = manager->node_endpoint(node);
        where = {address};
        call.target = fmt::format("/swarm/rpc/logs?container={}&{}", container, query);
        call.headers.emplace_back("Authorization", "Bearer " + key);
      }
      call.timeout = std::chrono::milliseconds(follow ? 0 : 30000);
      call.cancelled = [fd] { return ch14::peer_gone(fd); };
      std::string prefix = fmt::format("com.docker.swarm.node.id={},com.docker.swarm.service.id={},com.docker.swarm.task.id={}",
                                       node, service_id, task.value("ID", ""));
      std::string pending;  // bytes of a frame not yet complete
      bool open = true;
      try {
        ch14::http_stream(where, call, [&](std::string_view data) {
          pending.append(data);
          while (open && pending.size() >= 8) {
            std::uint32_t length = 0;
            for (int i = 4; i < 8; ++i) length = (length << 8) | static_cast<unsigned char>(pending[i]);
            if (pending.size() < 8 + length) break;
            char stream = pending[0];
            std::string line = pending.substr(8, length);
            pending.erase(0, 8 + length);
            // "TIME TEXT" from the engine: docker's service logs put the details after the time.
            std::size_t space = line.find(' ');
            std::string time = space == std::string::npos ? "" : line.substr(0, space);
            std::string text = space == std::string::npos ? line : line.substr(space + 1);
            std::string out = (timestamps ? time + " " : "") + (details ? prefix + " " : "") + text;
            std::lock_guard lock(writing);
            open = ch14::send_text(fd, frame(stream, out));
          }
          return open;
        });
      } catch (const std::exception& e) {
        log::error("swarm: logs of task {}: {}", task.value("ID", ""), e.what());
      }
    };
    auto start_new = [&] {
      json tasks = manager->tasks({{"service", {service_id}}});
      std::vector<json> sorted(tasks.begin(), tasks.end());
      std::sort(sorted.begin(), sorted.end(), [](const json& a, const json& b) {
        return std::pair(a.value("Slot", 0), a.value("CreatedAt", "")) < std::pair(b.value("Slot", 0), b.value("CreatedAt", ""));
      });
      for (auto& task : sorted) {
        bool has_container = task.contains(json::json_pointer("/Status/ContainerStatus/ContainerID"));
        if (!has_container || !seen.insert(task.value("ID", "")).second) continue;
        if (follow)
          readers.emplace_back(read_task, task);
        else
          read_task(task);
      }
    };
    try {
      start_new();
      while (follow && !ch14::peer_gone(fd)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        start_new();
      }
    } catch (const std::exception& e) {
      log::error("swarm: logs of service {}: {}", service_id, e.what());
    }
    for (auto& reader : readers) reader.join();
  };
  return response;
}

}  // namespace dockling::ch15
