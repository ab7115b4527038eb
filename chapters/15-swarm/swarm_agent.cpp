#include "swarm_agent.hpp"

#include <regex>
#include <set>

#include <fmt/format.h>

#include "address.hpp"
#include "dockling/fs.hpp"
#include "dockling/log.hpp"
#include "http_client.hpp"
#include "json_text.hpp"
#include "routing_mesh.hpp"

using nlohmann::json;

namespace dockling::ch15 {

namespace {

/// A status for the manager: the task, its new state, docker's message for it.
json status_of(const std::string& task, const char* state, const std::string& message) {
  return {{"ID", task}, {"State", state}, {"Message", message}};
}

/// The create request of a task's container, from its ContainerSpec and Resources.
json create_body(const json& task) {
  const json spec = task.value("Spec", json::object());
  const json container = spec.value("ContainerSpec", json::object());
  json body = {{"Image", container.value("Image", "")}};
  if (container.contains("Command") && container["Command"].is_array()) body["Entrypoint"] = container["Command"];
  if (container.contains("Args") && container["Args"].is_array()) body["Cmd"] = container["Args"];
  if (container.contains("Env") && container["Env"].is_array()) body["Env"] = container["Env"];
  if (!container.value("Dir", "").empty()) body["WorkingDir"] = container["Dir"];
  if (!container.value("User", "").empty()) body["User"] = container["User"];
  if (!container.value("Hostname", "").empty()) body["Hostname"] = container["Hostname"];
  json host = json::object();
  json limits = spec.contains(json::json_pointer("/Resources/Limits")) ? spec["Resources"]["Limits"] : json::object();
  if (limits.is_object()) {
    if (limits.contains("MemoryBytes")) host["Memory"] = limits["MemoryBytes"];
    if (limits.contains("NanoCPUs")) host["NanoCpus"] = limits["NanoCPUs"];
  }
  if (container.contains("Mounts") && container["Mounts"].is_array()) host["Mounts"] = container["Mounts"];
  body["HostConfig"] = host;
  return body;
}

/// "message" of an Engine API error answer, or the body itself.
std::string error_message(const std::string& body) {
  json parsed = json::parse(body, nullptr, false);
  if (parsed.is_object() && parsed.contains("message")) return parsed["message"].get<std::string>();
  return body;
}

}  // namespace

SwarmAgent::SwarmAgent(AgentConfig config) : config_(std::move(config)) {}

SwarmAgent::~SwarmAgent() { stop(); }

std::string SwarmAgent::container_name(const json& task) {
  int slot = task.value("Slot", 0);
  std::string place = slot != 0 ? std::to_string(slot) : task.value("NodeID", "");
  return fmt::format("{}.{}.{}", task.value("ServiceName", "task"), place, task.value("ID", ""));
}

json SwarmAgent::engine_call(const std::string& method, const std::string& target, const std::string& body,
                             int* status) {
  ch14::HttpCall call;
  call.method = method;
  call.target = "/v1.41" + target;
  call.body = body;
  call.timeout = std::chrono::milliseconds(120000);
  ch14::HttpAnswer answer = ch14::http_call({config_.engine}, call);
  if (status != nullptr) *status = answer.status;
  if (answer.status >= 300) {
    if (status != nullptr) return json{{"message", error_message(answer.body)}};
    throw Error(error_message(answer.body));
  }
  if (answer.body.empty()) return json();
  return json::parse(answer.body, nullptr, false);
}

void SwarmAgent::start() {
  thread_ = std::thread([this] {
    adopt();
    loop();
  });
}

void SwarmAgent::adopt() {
  // Containers named as tasks are this node's tasks: adopted as they are, after a restart. The
  // daemon may not answer yet (it starts swarm mode and its API together): asked again until it
  // does, before the first heartbeat, so that the manager never sees a node without its tasks.
  static const std::regex task_name(R"(^/?[^.]+\.[0-9a-z]+\.([0-9a-z]{25})$)");
  for (int attempt = 0; !stopping_; ++attempt) {
    try {
      json list = engine_call("GET", "/containers/json?all=1");
      std::lock_guard lock(mutex_);
      for (const auto& container : list) {
        for (const auto& name : container.value("Names", json::array())) {
          std::smatch match;
          std::string text = name.get<std::string>();
          if (!std::regex_match(text, match, task_name)) continue;
          // Running, or ended while the daemon was away: the watcher reports the end then.
          entries_[match[1]] = {container.value("Id", ""), "running"};
        }
      }
      return;
    } catch (const std::exception& e) {
      if (attempt == 20) log::error("swarm agent: cannot list this node's containers yet: {}", e.what());
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

void SwarmAgent::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return workers_ == 0; });
}

void SwarmAgent::spawn(std::function<void()> work) {
  ++workers_;
  std::thread([this, work = std::move(work)] {
    try {
      work();
    } catch (const std::exception& e) {
      log::error("swarm agent: {}", e.what());
    }
    std::lock_guard lock(mutex_);
    if (--workers_ == 0) idle_.notify_all();
  }).detach();
}

void SwarmAgent::leave(bool tell) {
  if (tell) {
    try {
      ch14::HttpCall call{"POST", "/swarm/rpc/leave", "{}"};
      call.headers.emplace_back("Authorization", fmt::format("Bearer {}.{}", config_.node_id, config_.secret));
      call.timeout = std::chrono::milliseconds(2000);
      ch14::http_call({config_.manager}, call);
    } catch (const std::exception& e) {
      log::info("swarm agent: the manager did not hear the leave: {}", e.what());
    }
  }
  // The loop first (no new work), then the containers, killed by their removal: a worker
  // still waiting out a stop's grace period returns at once.
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  std::map<std::string, Entry> entries;
  {
    std::lock_guard lock(mutex_);
    entries.swap(entries_);
  }
  for (const auto& [task, entry] : entries)
    if (!entry.container.empty()) remove_container(entry.container);
  stop();
  std::map<std::string, Network> networks;
  {
    std::lock_guard lock(mutex_);
    networks.swap(networks_);
  }
  for (const auto& [name, network] : networks) unplumb(network);
}

void SwarmAgent::loop() {
  std::string digest;
  std::chrono::milliseconds heartbeat(500);
  bool warned = false;
  while (!stopping_) {
    try {
      ch14::HttpCall call{"POST", "/swarm/rpc/session",
                          json{{"Digest", digest}, {"WaitMs", heartbeat.count()}}.dump()};
      call.headers.emplace_back("Authorization", fmt::format("Bearer {}.{}", config_.node_id, config_.secret));
      call.timeout = heartbeat + std::chrono::milliseconds(5000);
      ch14::HttpAnswer answer = ch14::http_call({config_.manager}, call);
      if (answer.status != 200) throw Error(fmt::format("the manager answered {}: {}", answer.status, error_message(answer.body)));
      json session = json::parse(answer.body);
      digest = session.value("Digest", "");
      heartbeat = std::chrono::milliseconds(session.value("HeartbeatMs", 500));
      {
        std::lock_guard lock(mutex_);
        node_addr_ = session.value("NodeAddr", "");
      }
      sync_networks(session.value("Networks", json::array()));
      if (warned) log::info("swarm agent: the manager {} answers again", config_.manager);
      warned = false;
      handle(session.value("Tasks", json::array()));
    } catch (const std::exception& e) {
      if (!warned) log::error("swarm agent: {}", e.what());
      warned = true;
      for (int i = 0; i < 5 && !stopping_; ++i) std::this_thread::sleep_for(heartbeat / 5);
    }
    if (!stopping_) watch_containers();
  }
}

void SwarmAgent::handle(const json& tasks) {
  std::set<std::string> assigned;
  for (const auto& task : tasks) {
    std::string id = task.value("ID", "");
    assigned.insert(id);
    std::string desired = task.value("DesiredState", "running");
    std::string state = text_at(task, "/Status/State");
    std::lock_guard lock(mutex_);
    auto entry = entries_.find(id);
    if (desired == "running") {
      // A task the manager assigned and no one here has started yet.
      if (entry == entries_.end() && state == "assigned") {
        entries_[id] = {"", "starting"};
        spawn([this, task] { run_task(task); });
      }
      continue;
    }
    // Desired shutdown or remove: stop what runs; a task never started is shut down at once.
    if (entry == entries_.end()) {
      bool final = state == "complete" || state == "shutdown" || state == "failed" || state == "rejected" ||
                   state == "orphaned";
      if (!final) {
        entries_[id] = {"", "ended"};
        spawn([this, id] { report(status_of(id, "shutdown", "shutdown")); });
      }
      continue;
    }
    if (entry->second.phase == "running" && !entry->second.container.empty()) {
      entry->second.phase = "stopping";
      std::int64_t grace = task.contains(json::json_pointer("/Spec/ContainerSpec/StopGracePeriod"))
                               ? task["Spec"]["ContainerSpec"]["StopGracePeriod"].get<std::int64_t>() / 1'000'000'000
                               : 10;
      std::string container = entry->second.container;
      spawn([this, id, container, grace] { stop_task(id, container, grace); });
    }
  }
  // Tasks the manager forgot: their containers go too.
  std::lock_guard lock(mutex_);
  for (auto entry = entries_.begin(); entry != entries_.end();) {
    if (assigned.count(entry->first) || entry->second.phase == "starting" || entry->second.phase == "stopping") {
      ++entry;
      continue;
    }
    if (!entry->second.container.empty()) {
      std::string container = entry->second.container;
      spawn([this, container] { remove_container(container); });
    }
    entry = entries_.erase(entry);
  }
}

void SwarmAgent::run_task(json task) {
  std::string id = task.value("ID", "");
  if (stopping_) return;  // leaving: no new container
  report(status_of(id, "accepted", "accepted"));
  report(status_of(id, "preparing", "preparing"));
  std::string image = text_at(task, "/Spec/ContainerSpec/Image");
  json body = create_body(task);
  try {
    attach(task, body);
  } catch (const std::exception& e) {
    json rejected = status_of(id, "rejected", "preparing");
    rejected["Err"] = fmt::format("cannot attach the task to its network: {}", e.what());
    report(rejected);
    std::lock_guard lock(mutex_);
    entries_[id].phase = "ended";
    return;
  }
  int status = 0;
  json created = engine_call("POST", "/containers/create?name=" + ch14::url_encode(container_name(task)),
                             body.dump(), &status);
  if (status == 404) {
    // Not here: pull it (from the registry the daemon uses for docker.io names), then again.
    std::string name = image, tag = "latest";
    std::size_t colon = image.rfind(':');
    if (colon != std::string::npos && image.find('/', colon) == std::string::npos) {
      name = image.substr(0, colon);
      tag = image.substr(colon + 1);
    }
    int pulled = 0;
    engine_call("POST", fmt::format("/images/create?fromImage={}&tag={}", ch14::url_encode(name), ch14::url_encode(tag)),
                "", &pulled);
    created = engine_call("POST", "/containers/create?name=" + ch14::url_encode(container_name(task)), body.dump(),
                          &status);
  }
  if (status >= 300) {
    json rejected = status_of(id, "rejected", "preparing");
    rejected["Err"] = created.value("message", "cannot create the container");
    report(rejected);
    std::lock_guard lock(mutex_);
    entries_[id].phase = "ended";
    return;
  }
  std::string container = created.value("Id", "");
  {
    std::lock_guard lock(mutex_);
    entries_[id].container = container;
  }
  json starting = status_of(id, "starting", "starting");
  starting["ContainerID"] = container;
  report(starting);
  json started = engine_call("POST", "/containers/" + container + "/start", "", &status);
  if (status >= 300) {
    json failed = status_of(id, "failed", "starting");
    failed["Err"] = started.value("message", "cannot start the container");
    failed["ContainerID"] = container;
    report(failed);
    std::lock_guard lock(mutex_);
    entries_[id].phase = "ended";
    return;
  }
  json inspect = engine_call("GET", "/containers/" + container + "/json", "", &status);
  json running = status_of(id, "running", "started");
  running["ContainerID"] = container;
  running["PID"] = inspect.contains(json::json_pointer("/State/Pid")) ? inspect["State"]["Pid"] : json(0);
  running["ExitCode"] = 0;
  {
    std::lock_guard lock(mutex_);
    entries_[id].phase = "running";
  }
  report(running);
}

void SwarmAgent::stop_task(const std::string& task_id, const std::string& container, std::int64_t grace_seconds) {
  int status = 0;
  engine_call("POST", fmt::format("/containers/{}/stop?t={}", container, grace_seconds), "", &status);
  json inspect = engine_call("GET", "/containers/" + container + "/json", "", &status);
  json shutdown = status_of(task_id, "shutdown", "shutdown");
  shutdown["ContainerID"] = container;
  if (inspect.contains(json::json_pointer("/State/ExitCode"))) shutdown["ExitCode"] = inspect["State"]["ExitCode"];
  report(shutdown);
  std::lock_guard lock(mutex_);
  entries_[task_id].phase = "ended";
}

void SwarmAgent::remove_container(const std::string& container) {
  int status = 0;
  engine_call("DELETE", "/containers/" + container + "?force=1&v=1", "", &status);
  if (status >= 300 && status != 404) log::error("swarm agent: cannot remove container {} (status {})", container, status);
}

void SwarmAgent::watch_containers() {
  std::map<std::string, std::string> running;  // container id → task id
  {
    std::lock_guard lock(mutex_);
    for (const auto& [task, entry] : entries_)
      if (entry.phase == "running" && !entry.container.empty()) running[entry.container] = task;
  }
  if (running.empty()) return;
  json list;
  try {
    list = engine_call("GET", "/containers/json?all=1");
  } catch (const std::exception& e) {
    log::error("swarm agent: cannot list containers: {}", e.what());
    return;
  }
  std::map<std::string, std::string> states;
  for (const auto& container : list) states[container.value("Id", "")] = container.value("State", "");
  for (const auto& [container, task] : running) {
    auto state = states.find(container);
    if (state != states.end() && state->second != "exited" && state->second != "dead") continue;
    {
      std::lock_guard lock(mutex_);
      auto entry = entries_.find(task);
      if (entry == entries_.end() || entry->second.phase != "running") continue;  // being stopped
      entry->second.phase = "ended";
    }
    int code = -1;
    if (state != states.end()) {
      int status = 0;
      json inspect = engine_call("GET", "/containers/" + container + "/json", "", &status);
      if (inspect.contains(json::json_pointer("/State/ExitCode"))) code = inspect["State"]["ExitCode"].get<int>();
    }
    json ended = code == 0 ? status_of(task, "complete", "finished") : status_of(task, "failed", "started");
    if (code != 0)
      ended["Err"] = code < 0 ? std::string("the task's container is gone") : fmt::format("task: non-zero exit ({})", code);
    ended["ContainerID"] = container;
    ended["ExitCode"] = code < 0 ? 0 : code;
    report(ended);
  }
}

SwarmAgent::Network& SwarmAgent::plumb(const std::string& name, const std::string& id, int vni,
                                      const std::string& subnet, const std::string& gateway) {
  auto known = networks_.find(name);
  if (known != networks_.end() && known->second.id == id) return known->second;
  if (known != networks_.end()) unplumb(known->second);  // removed, and made again under its name
  if (node_addr_.empty()) throw Error(fmt::format("network {}: this node's address is not known yet", name));
  std::string prefix = subnet.substr(subnet.find('/'));
  ensure_overlay_links(vni, gateway + prefix, node_addr_);
  dns_.serve(gateway, {});
  Network& network = networks_[name];
  network = Network{id, vni, subnet, gateway, {}, "", ""};
  return network;
}

void SwarmAgent::unplumb(const Network& network) {
  if (!network.mesh.empty()) remove_mesh();
  dns_.forget(network.gateway);
  remove_overlay_links(network.vni);
}

void SwarmAgent::sync_networks(const json& networks) {
  std::lock_guard lock(mutex_);
  // A network none of this node's tasks is on any more goes from this host.
  std::set<std::string> listed;
  for (const auto& entry : networks) listed.insert(entry.value("Name", ""));
  for (auto network = networks_.begin(); network != networks_.end();) {
    if (listed.count(network->first)) {
      ++network;
      continue;
    }
    unplumb(network->second);
    network = networks_.erase(network);
  }
  for (const auto& entry : networks) {
    try {
      Network& network = plumb(entry.value("Name", ""), entry.value("ID", ""), entry.value("VNI", 0),
                               entry.value("Subnet", ""), entry.value("Gateway", ""));
      std::set<OverlayPeer> peers;
      const json listed = entry.value("Peers", json::array());
      for (const auto& peer : listed) peers.insert({peer.value("IP", ""), peer.value("MAC", ""), peer.value("Node", "")});
      for (const auto& gone : network.peers)
        if (!peers.count(gone)) remove_overlay_peer(network.vni, gone);
      for (const auto& peer : peers)
        if (!network.peers.count(peer)) add_overlay_peer(network.vni, peer);
      network.peers = std::move(peers);
      DnsNames names;
      const json named = entry.value("Names", json::object());
      for (const auto& [name, addresses] : named.items()) names[name] = addresses.get<std::vector<std::string>>();
      dns_.serve(network.gateway, std::move(names));
      if (entry.value("Ingress", false)) sync_mesh(network, entry);
    } catch (const std::exception& e) {
      log::error("swarm agent: network {}: {}", entry.value("Name", ""), e.what());
    }
  }
}

void SwarmAgent::sync_mesh(Network& network, const json& entry) {
  std::string own = entry.value("Addr", "");
  auto address = ch04::Ipv4::parse(own);
  if (!address) throw Error(fmt::format("network {}: no address of this host on it", entry.value("Name", "")));
  if (network.own_address != own) {
    set_bridge_own_address(network.vni, own + network.subnet.substr(network.subnet.find('/')),
                           ch04::mac_address_for(*address));
    write_file("/proc/sys/net/ipv4/ip_forward", "1\n");  // the host routes published ports into the bridge
    // 127.0.0.1:8080 too: packets from and to 127.0.0.1 may cross the bridge (as chapter 04's).
    write_file(fmt::format("/proc/sys/net/ipv4/conf/{}/route_localnet", overlay_links(network.vni).bridge), "1\n");
    network.own_address = own;
  }
  std::vector<MeshPort> ports;
  for (const auto& port : entry.value("Ports", json::array()))
    ports.push_back({port.value("Protocol", "tcp"), port.value("PublishedPort", 0), port.value("TargetPort", 0),
                     port.value("Backends", std::vector<std::string>{})});
  std::string table = mesh_table(overlay_links(network.vni).bridge, network.subnet, own, ports);
  if (table == network.mesh) return;
  apply_mesh(table);
  network.mesh = table;
  log::info("routing mesh: {} published port(s)", ports.size());
}

void SwarmAgent::attach(const json& task, json& body) {
  if (!task.contains("NetworksAttachments") || task["NetworksAttachments"].empty()) return;
  // One network a task: its first attachment (a container here has one interface).
  const json& attachment = task["NetworksAttachments"][0];
  std::string name = text_at(attachment, "/Network/Spec/Name");
  std::string vni = text_at(attachment, "/Network/DriverState/Options/com.docker.network.driver.overlay.vxlanid_list");
  std::string address = text_at(attachment, "/Addresses/0");
  {
    std::lock_guard lock(mutex_);
    plumb(name, text_at(attachment, "/Network/ID"), vni.empty() ? 0 : std::stoi(vni),
          text_at(attachment, "/Network/IPAMOptions/Configs/0/Subnet"),
          text_at(attachment, "/Network/IPAMOptions/Configs/0/Gateway"));
  }
  body["HostConfig"]["NetworkMode"] = name;
  body["NetworkingConfig"] = {
      {"EndpointsConfig", {{name, {{"IPAMConfig", {{"IPv4Address", address.substr(0, address.find('/'))}}}}}}}};
}

std::optional<std::vector<std::string>> SwarmAgent::network_flags(const std::string& name, const json& endpoint) {
  std::lock_guard lock(mutex_);
  auto network = networks_.find(name);
  if (network == networks_.end()) return std::nullopt;
  std::vector<std::string> flags = {"--network", "bridge", "--bridge", overlay_links(network->second.vni).bridge,
                                    "--subnet", network->second.subnet, "--dns", network->second.gateway};
  std::string address = text_at(endpoint, "/IPAMConfig/IPv4Address");
  if (!address.empty()) flags.insert(flags.end(), {"--ip", address});
  return flags;
}

void SwarmAgent::report(json status) {
  for (int attempt = 0; attempt < 20 && !stopping_; ++attempt) {
    try {
      ch14::HttpCall call{"POST", "/swarm/rpc/report", json{{"Statuses", json::array({status})}}.dump()};
      call.headers.emplace_back("Authorization", fmt::format("Bearer {}.{}", config_.node_id, config_.secret));
      call.timeout = std::chrono::milliseconds(5000);
      ch14::HttpAnswer answer = ch14::http_call({config_.manager}, call);
      if (answer.status < 300) return;
      log::error("swarm agent: report of task {}: {}", status.value("ID", ""), error_message(answer.body));
      return;
    } catch (const std::exception& e) {
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  }
}

}  // namespace dockling::ch15
