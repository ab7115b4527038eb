#include "swarm_manager.hpp"

#include <sys/utsname.h>

#include <algorithm>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "api_response.hpp"
#include "constraints.hpp"
#include "digest.hpp"
#include "dockling/fs.hpp"
#include "dockling/log.hpp"
#include "dockling/state.hpp"
#include "hmac_sha256.hpp"
#include "image_store.hpp"
#include "json_text.hpp"
#include "reconcile.hpp"
#include "schedule.hpp"
#include "swarm_ids.hpp"
#include "swarm_networks.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace dockling::ch15 {

using ch14::ApiError;

namespace {

constexpr const char* kEngineVersion = "20.10.24-dockling";
constexpr int kHistoryLimit = 5;  ///< docker's TaskHistoryRetentionLimit: old tasks kept a slot

/// `length` base-36 characters derived from `key` and `label` (HMAC-SHA256).
std::string derived_text(const std::string& key, const std::string& label, std::size_t length) {
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string bytes;
  for (int round = 0; bytes.size() < length; ++round) bytes += ch12::hmac_sha256(key, fmt::format("{}:{}", label, round));
  std::string text;
  for (std::size_t i = 0; i < length; ++i) text += kDigits[static_cast<unsigned char>(bytes[i]) % 36];
  return text;
}

/// An object without the store's own fields (those starting with '_'), as the API shows it.
json public_view(const json& object) {
  json view = json::object();
  for (const auto& [key, value] : object.items())
    if (key.empty() || key[0] != '_') view[key] = value;
  return view;
}

/// A field of a JSON object, or `fallback` when it is absent or of another type.
template <typename T>
T field(const json& object, const json::json_pointer& pointer, T fallback) {
  if (!object.contains(pointer)) return fallback;
  const json& value = object.at(pointer);
  try {
    return value.get<T>();
  } catch (const json::exception&) {
    return fallback;
  }
}

TaskInfo task_info(const json& task) {
  TaskInfo info;
  info.id = task.value("ID", "");
  info.service_id = task.value("ServiceID", "");
  info.slot = task.value("Slot", 0);
  info.node_id = task.value("NodeID", "");
  info.desired = task_state_from(task.value("DesiredState", "running")).value_or(TaskState::Running);
  info.state = task_state_from(text_at(task, "/Status/State")).value_or(TaskState::New);
  info.exit_code = field<int>(task, json::json_pointer("/Status/ContainerStatus/ExitCode"), 0);
  return info;
}

NodeInfo node_info(const json& node) {
  NodeInfo info;
  info.id = node.value("ID", "");
  info.hostname = text_at(node, "/Description/Hostname");
  info.role = text_at(node, "/Spec/Role");
  info.availability = text_at(node, "/Spec/Availability");
  info.ready = text_at(node, "/Status/State") == "ready";
  info.memory_bytes = field<std::int64_t>(node, json::json_pointer("/Description/Resources/MemoryBytes"), 0);
  if (node.contains(json::json_pointer("/Spec/Labels")) && node["Spec"]["Labels"].is_object())
    for (const auto& [key, value] : node["Spec"]["Labels"].items())
      if (value.is_string()) info.labels.emplace_back(key, value.get<std::string>());
  return info;
}

ServiceInfo service_info(const json& service) {
  ServiceInfo info;
  info.id = service.value("ID", "");
  info.name = text_at(service, "/Spec/Name");
  const json& spec = service.value("Spec", json::object());
  info.global = spec.contains(json::json_pointer("/Mode/Global"));
  info.replicas = field<int>(spec, json::json_pointer("/Mode/Replicated/Replicas"), 1);
  for (const auto& text : field<std::vector<std::string>>(spec, json::json_pointer("/TaskTemplate/Placement/Constraints"), {}))
    info.constraints.push_back(parse_constraint(text));
  info.memory_reservation =
      field<std::int64_t>(spec, json::json_pointer("/TaskTemplate/Resources/Reservations/MemoryBytes"), 0);
  info.restart_condition = field<std::string>(spec, json::json_pointer("/TaskTemplate/RestartPolicy/Condition"), "any");
  if (info.restart_condition.empty()) info.restart_condition = "any";
  return info;
}

/// The restart policy's delay (docker's default: 5 s).
std::chrono::milliseconds restart_delay(const json& service) {
  std::int64_t nanos =
      field<std::int64_t>(service, json::json_pointer("/Spec/TaskTemplate/RestartPolicy/Delay"), 5'000'000'000);
  return std::chrono::milliseconds(nanos / 1'000'000);
}

/// True when `value` matches one of `wanted` exactly, or (with `prefix`) starts with one.
bool matches(const std::vector<std::string>& wanted, const std::string& value, bool prefix) {
  for (const auto& entry : wanted)
    if (value == entry || (prefix && !entry.empty() && value.rfind(entry, 0) == 0)) return true;
  return false;
}

/// docker's answer for a version that is not the object's current one.
void check_version(const json& object, std::uint64_t version) {
  if (field<std::uint64_t>(object, json::json_pointer("/Version/Index"), 0) != version)
    throw ApiError(500, "rpc error: code = Unknown desc = update out of sequence");
}

/// Checks a service spec as swarmkit's controlapi does. @throws ApiError 400.
void validate_spec(const json& spec) {
  auto invalid = [](const std::string& what) { throw ApiError(400, "rpc error: code = InvalidArgument desc = " + what); };
  if (!spec.is_object()) invalid("service spec must be a JSON object");
  static const std::regex dns_label("^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$");
  std::string name = spec.value("Name", "");
  if (!std::regex_match(name, dns_label)) invalid("name must be valid as a DNS name component");
  if (text_at(spec, "/TaskTemplate/ContainerSpec/Image").empty())
    invalid("ContainerSpec: image reference must be provided");
  const json mode = spec.value("Mode", json::object());
  if (mode.contains("Global") && mode.contains("Replicated")) invalid("service mode: only one of Replicated or Global");
  if (mode.contains(json::json_pointer("/Replicated/Replicas"))) {
    const json& replicas = mode["Replicated"]["Replicas"];
    if (!replicas.is_number_integer() || replicas.get<std::int64_t>() < 0)
      throw ApiError(400, fmt::format("json: cannot unmarshal number {} into Go struct field "
                                      "ReplicatedService.Mode.Replicated.Replicas of type uint64",
                                      replicas.dump()));
  }
  for (const auto& text :
       field<std::vector<std::string>>(spec, json::json_pointer("/TaskTemplate/Placement/Constraints"), {})) {
    try {
      parse_constraint(text);
    } catch (const Error& e) {
      invalid(e.what());
    }
  }
  std::string condition = text_at(spec, "/TaskTemplate/RestartPolicy/Condition");
  if (!condition.empty() && condition != "any" && condition != "on-failure" && condition != "none")
    invalid(fmt::format("restart condition \"{}\": must be none, on-failure or any", condition));
  for (const char* key : {"UpdateConfig", "RollbackConfig"}) {
    const json config = spec.value(key, json::object());
    if (!config.is_object()) continue;
    if (config.value("Delay", std::int64_t{0}) < 0) invalid("TaskSpec: update-delay cannot be negative");
    if (config.value("Monitor", std::int64_t{0}) < 0) invalid("TaskSpec: update-monitor cannot be negative");
    double ratio = config.value("MaxFailureRatio", 0.0);
    if (ratio < 0 || ratio > 1) invalid("TaskSpec: update-maxfailureratio cannot be less than 0 or bigger than 1");
    std::string action = config.value("FailureAction", "pause");
    if (action != "pause" && action != "continue" && action != "rollback")
      throw ApiError(400, "unrecognized update failure action " + action);  // dockerd's convert step
  }
}

/// The spec as the store keeps it: docker's defaults filled in where the CLI leaves them out.
json normalized(json spec) {
  if (!spec.contains("Labels") || spec["Labels"].is_null()) spec["Labels"] = json::object();
  if (!spec.contains("Mode") || spec["Mode"].empty()) spec["Mode"] = {{"Replicated", {{"Replicas", 1}}}};
  if (spec["Mode"].contains("Replicated") && !spec["Mode"]["Replicated"].contains("Replicas"))
    spec["Mode"]["Replicated"]["Replicas"] = 1;
  json& container = spec["TaskTemplate"]["ContainerSpec"];
  if (!container.contains("Isolation")) container["Isolation"] = "default";
  if (!spec.contains("EndpointSpec")) spec["EndpointSpec"] = {{"Mode", "vip"}};
  return spec;
}

/// A network as docker's API shows it: without the store's version and times.
json network_view(const json& network) {
  json view = public_view(network);
  for (const char* key : {"Version", "UpdatedAt", "CreatedAt"}) view.erase(key);
  return view;
}

std::string digest_of(const std::string& text) { return fmt::format("{:016x}", std::hash<std::string>{}(text)); }

}  // namespace

Filters parse_filters(const std::string& text) {
  Filters filters;
  if (text.empty()) return filters;
  json parsed = json::parse(text, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) throw ApiError(400, "invalid filter '" + text + "'");
  for (const auto& [key, value] : parsed.items()) {
    auto& values = filters[key];
    if (value.is_object()) {
      for (const auto& [entry, enabled] : value.items())
        if (enabled.is_boolean() && enabled.get<bool>()) values.push_back(entry);
    } else if (value.is_array()) {
      for (const auto& entry : value)
        if (entry.is_string()) values.push_back(entry.get<std::string>());
    }
  }
  return filters;
}

// ---- the manager's life ----

bool SwarmManager::exists(const fs::path& dir) { return fs::exists(dir / "manager.key"); }

NodeCredentials SwarmManager::create(const fs::path& dir, const NodeDescription& self,
                                     std::chrono::milliseconds heartbeat) {
  fs::create_directories(dir);
  fs::remove(dir / "state.db");
  fs::remove(dir / "state.db-wal");
  fs::remove(dir / "state.db-shm");
  std::string key = new_secret(64);
  write_file_durably(dir / "manager.key", key + "\n");
  fs::permissions(dir / "manager.key", fs::perms::owner_read | fs::perms::owner_write);
  SwarmManager manager(dir, heartbeat);
  std::string cluster_id = new_id();
  json cluster = {{"ID", cluster_id},
                  {"Spec",
                   {{"Name", "default"},
                    {"Labels", json::object()},
                    {"Orchestration", {{"TaskHistoryRetentionLimit", kHistoryLimit}}},
                    {"Raft", {{"SnapshotInterval", 10000}, {"KeepOldSnapshots", 0}, {"LogEntriesForSlowFollowers", 500},
                              {"ElectionTick", 10}, {"HeartbeatTick", 1}}},
                    {"Dispatcher", {{"HeartbeatPeriod", static_cast<std::int64_t>(heartbeat.count()) * 1'000'000}}},
                    {"CAConfig", {{"NodeCertExpiry", 7776000000000000}}},
                    {"TaskDefaults", json::object()},
                    {"EncryptionConfig", {{"AutoLockManagers", false}}}}},
                  {"_Rotation", {{"worker", 0}, {"manager", 0}}}};
  std::string ingress = new_id();
  manager.store_.apply({{"cluster", "cluster", cluster}, {"network", ingress, ingress_network(ingress, ch10::rfc3339_now())}});
  for (const char* role : {"worker", "manager"}) manager.rotate_token(role);  // writes the hashes
  NodeCredentials self_credentials = manager.join(manager.join_token("manager"), self);
  return self_credentials;
}

SwarmManager::SwarmManager(const fs::path& dir, std::chrono::milliseconds heartbeat)
    : dir_(dir), heartbeat_(heartbeat), store_(dir / "state.db") {
  key_ = read_file((dir / "manager.key").string());
  while (!key_.empty() && key_.back() == '\n') key_.pop_back();
  if (key_.empty()) throw Error(fmt::format("{}: empty manager key", (dir / "manager.key").string()));
  if (const json* cluster = store_.find("cluster", "cluster"))
    heartbeat_ = std::chrono::milliseconds(
        field<std::int64_t>(*cluster, json::json_pointer("/Spec/Dispatcher/HeartbeatPeriod"), heartbeat.count() * 1'000'000) /
        1'000'000);
  if (heartbeat_.count() <= 0) heartbeat_ = heartbeat;
}

SwarmManager::~SwarmManager() { stop(); }

void SwarmManager::start() {
  std::lock_guard lock(mutex_);
  // A manager that starts again gives every node a full grace period before calling it down.
  for (const auto& [id, node] : store_.all("node")) last_seen_[id] = Clock::now();
  thread_ = std::thread([this] { loop(); });
}

void SwarmManager::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SwarmManager::loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    try {
      orchestrate();
    } catch (const std::exception& e) {
      log::error("swarm manager: {}", e.what());
    }
    // Woken at once by a change (a new service, a report); else a tick for heartbeats and delays.
    changed_.wait_for(lock, std::chrono::milliseconds(100));
  }
}

void SwarmManager::apply(std::vector<StoreChange> changes) {
  if (changes.empty()) return;
  store_.apply(std::move(changes));
  changed_.notify_all();
}

void SwarmManager::orchestrate() {
  std::vector<StoreChange> changes;
  check_heartbeats(changes);
  apply(std::move(changes));
  changes.clear();
  reconcile_services(changes);
  apply(std::move(changes));
  changes.clear();
  schedule(changes);
  apply(std::move(changes));
  changes.clear();
  collect_garbage(changes);
  // The loop's own writes need no wake-up of itself; the agents' sessions do want one.
  apply(std::move(changes));
}

void SwarmManager::check_heartbeats(std::vector<StoreChange>& changes) {
  auto now = Clock::now();
  for (const auto& [id, node] : store_.all("node")) {
    auto seen = last_seen_.find(id);
    if (seen == last_seen_.end()) seen = last_seen_.emplace(id, now).first;
    if (text_at(node, "/Status/State") == "ready" && now - seen->second > 3 * heartbeat_) {
      json down = node;
      down["Status"]["State"] = "down";
      down["Status"]["Message"] = "heartbeat failure";
      log::info("swarm: node {} ({}) is down: no heartbeat for {} ms", text_at(node, "/Description/Hostname"), id,
                std::chrono::duration_cast<std::chrono::milliseconds>(now - seen->second).count());
      changes.push_back({"node", id, down});
    }
  }
}

std::vector<NodeInfo> SwarmManager::node_infos() {
  std::vector<NodeInfo> nodes;
  for (const auto& [id, node] : store_.all("node")) nodes.push_back(node_info(node));
  return nodes;
}

void SwarmManager::reconcile_services(std::vector<StoreChange>& changes) {
  std::vector<NodeInfo> nodes = node_infos();
  std::map<std::string, std::vector<const json*>> tasks_of;
  for (const auto& [id, task] : store_.all("task")) tasks_of[task.value("ServiceID", "")].push_back(&task);
  auto now = Clock::now();
  std::string timestamp = ch10::rfc3339_now();
  // An update whose service was removed is over.
  std::erase_if(rollouts_, [&](const auto& rollout) { return store_.find("service", rollout.first) == nullptr; });
  std::map<std::string, std::set<std::string>> held = held_addresses(store_.all("task"), store_.all("node"));
  for (const auto& [service_id, service] : store_.all("service")) {
    ServiceInfo info = service_info(service);
    std::vector<const json*>& mine = tasks_of[service_id];
    std::sort(mine.begin(), mine.end(), [](const json* a, const json* b) {
      return a->value("CreatedAt", "") < b->value("CreatedAt", "");
    });
    std::vector<TaskInfo> tasks;
    for (const json* task : mine) tasks.push_back(task_info(*task));
    ReconcileActions actions = reconcile(info, tasks, nodes);

    // A task that ended by itself is replaced after the restart delay, not at once.
    std::set<int> waiting_slots;
    std::set<std::string> waiting_nodes;
    std::vector<std::string> shut_down;
    for (const auto& id : actions.shut_down) {
      const json& task = store_.all("task").at(id);
      TaskState state = task_state_from(text_at(task, "/Status/State")).value_or(TaskState::New);
      if (state == TaskState::Complete || state == TaskState::Failed || state == TaskState::Rejected) {
        auto due = restart_at_.try_emplace(id, now + restart_delay(service)).first->second;
        if (now < due) {
          waiting_slots.insert(task.value("Slot", 0));
          waiting_nodes.insert(task.value("NodeID", ""));
          continue;
        }
        restart_at_.erase(id);
      }
      shut_down.push_back(id);
    }
    for (const auto& id : shut_down) {
      json task = store_.all("task").at(id);
      task["DesiredState"] = "shutdown";
      changes.push_back({"task", id, task});
    }
    for (const auto& id : actions.remove) {
      json task = store_.all("task").at(id);
      task["DesiredState"] = "remove";
      changes.push_back({"task", id, task});
    }
    // Named copies: clang before 16 cannot capture structured bindings in a lambda.
    const json& spec_of = service;
    const std::string& id_of = service_id;
    auto new_task = [&](int slot, const std::string& node) {
      json task = {{"ID", new_id()},
                   {"Labels", json::object()},
                   {"Spec", spec_of["Spec"]["TaskTemplate"]},
                   {"ServiceID", id_of},
                   {"Slot", slot},
                   {"Status", {{"Timestamp", timestamp}, {"State", "pending"}, {"Message", "pending task scheduling"}}},
                   {"DesiredState", "running"},
                   {"_SpecVersion", spec_of.value("_SpecVersion", 1)}};
      if (!node.empty()) task["NodeID"] = node;
      try {
        json attachments =
            attach_networks(spec_of["Spec"]["TaskTemplate"], store_.all("network"), held, publishes_ports(spec_of));
        if (!attachments.empty()) task["NetworksAttachments"] = attachments;
      } catch (const Error& e) {
        log::error("swarm: service {}: no new task: {}", text_at(spec_of, "/Spec/Name"), e.what());
        return;
      }
      changes.push_back({"task", task["ID"], task});
    };
    for (int slot : actions.create_slots)
      if (!waiting_slots.count(slot)) new_task(slot, "");
    for (const auto& node : actions.create_on_nodes)
      if (!waiting_nodes.count(node)) new_task(0, node);
    bool converged = actions.create_slots.empty() && actions.create_on_nodes.empty() && actions.shut_down.empty() &&
                     actions.remove.empty();
    for (auto& change : update_round(service, mine, converged, rollouts_, now, timestamp)) changes.push_back(std::move(change));
  }
}

void SwarmManager::schedule(std::vector<StoreChange>& changes) {
  std::vector<NodeInfo> nodes = node_infos();
  std::map<std::string, ServiceInfo> services;
  for (const auto& [id, service] : store_.all("service")) services.emplace(id, service_info(service));
  // What each node carries: per service, in all, and the memory reserved there.
  std::map<std::string, std::map<std::string, NodeLoad>> load_by_service;  // service → node → load
  std::map<std::string, NodeLoad> totals;
  std::vector<std::pair<std::string, std::string>> pending;  // (sort key, task id)
  for (const auto& [id, task] : store_.all("task")) {
    TaskInfo info = task_info(task);
    if (info.desired != TaskState::Running || is_final(info.state)) continue;
    if (info.state == TaskState::Pending || info.state == TaskState::New) {
      pending.emplace_back(fmt::format("{}/{:08}/{}", info.service_id, info.slot, id), id);
      continue;
    }
    if (info.node_id.empty()) continue;
    auto service = services.find(info.service_id);
    std::int64_t memory = service == services.end() ? 0 : service->second.memory_reservation;
    ++load_by_service[info.service_id][info.node_id].service_tasks;
    ++totals[info.node_id].total_tasks;
    totals[info.node_id].reserved_memory += memory;
  }
  std::sort(pending.begin(), pending.end());
  std::string timestamp = ch10::rfc3339_now();
  for (const auto& [key, id] : pending) {
    json task = store_.all("task").at(id);
    auto service = services.find(task.value("ServiceID", ""));
    if (service == services.end()) continue;
    std::string chosen;
    std::string error;
    if (task.contains("NodeID")) {  // a global service's task: its node is given; check it still fits
      chosen = task["NodeID"].get<std::string>();
    } else {
      std::map<std::string, NodeLoad> load;
      for (const auto& node : nodes) {
        NodeLoad entry = totals[node.id];
        entry.service_tasks = load_by_service[service->first][node.id].service_tasks;
        load[node.id] = entry;
      }
      ScheduleChoice choice = choose_node(service->second, nodes, load);
      chosen = choice.node_id;
      error = choice.error;
    }
    if (chosen.empty()) {
      if (text_at(task, "/Status/Err") != error) {
        task["Status"]["Err"] = error;
        task["Status"]["Timestamp"] = timestamp;
        changes.push_back({"task", id, task});
      }
      continue;
    }
    ++load_by_service[service->first][chosen].service_tasks;
    ++totals[chosen].total_tasks;
    totals[chosen].reserved_memory += service->second.memory_reservation;
    task["NodeID"] = chosen;
    task["Status"] = {{"Timestamp", timestamp}, {"State", "assigned"}, {"Message", "scheduler assigned task to node"}};
    changes.push_back({"task", id, task});
  }
}

void SwarmManager::collect_garbage(std::vector<StoreChange>& changes) {
  std::set<std::string> ready_nodes;
  for (const auto& [id, node] : store_.all("node"))
    if (text_at(node, "/Status/State") == "ready") ready_nodes.insert(id);
  // Per (service, slot or node): the ended tasks kept as history, newest first.
  std::map<std::string, std::vector<const json*>> history;
  for (const auto& [id, task] : store_.all("task")) {
    TaskInfo info = task_info(task);
    bool gone_service = store_.find("service", info.service_id) == nullptr;
    bool nowhere = info.node_id.empty() || !ready_nodes.count(info.node_id);
    // A removed task is forgotten once it stopped (or when no agent will ever stop it).
    if ((info.desired == TaskState::Remove || gone_service) && (is_final(info.state) || nowhere)) {
      changes.push_back({"task", id, nullptr});
      continue;
    }
    if (info.desired != TaskState::Running && is_final(info.state))
      history[fmt::format("{}/{}", info.service_id, info.slot != 0 ? std::to_string(info.slot) : info.node_id)]
          .push_back(&task);
  }
  for (auto& [key, tasks] : history) {
    if (static_cast<int>(tasks.size()) <= kHistoryLimit) continue;
    std::sort(tasks.begin(), tasks.end(),
              [](const json* a, const json* b) { return a->value("CreatedAt", "") > b->value("CreatedAt", ""); });
    for (std::size_t i = kHistoryLimit; i < tasks.size(); ++i)
      changes.push_back({"task", (*tasks[i])["ID"].get<std::string>(), nullptr});
  }
}

// ---- tokens ----

std::string SwarmManager::token_secret(const std::string& role) {
  const json& cluster = store_.all("cluster").at("cluster");
  int rotation = field<int>(cluster, json::json_pointer("/_Rotation/" + role), 0);
  return derived_text(key_, fmt::format("{}-token:{}", role, rotation), 25);
}

std::string SwarmManager::join_token(const std::string& role) {
  std::lock_guard lock(mutex_);
  return format_token({derived_text(key_, "cluster", 50), token_secret(role)});
}

void SwarmManager::rotate_token(const std::string& role) {
  std::lock_guard lock(mutex_);
  json cluster = store_.all("cluster").at("cluster");
  if (cluster.contains(json::json_pointer("/_TokenHashes/" + role)))
    cluster["_Rotation"][role] = field<int>(cluster, json::json_pointer("/_Rotation/" + role), 0) + 1;
  store_.apply({{"cluster", "cluster", cluster}});
  cluster = store_.all("cluster").at("cluster");
  cluster["_TokenHashes"][role] = secret_hash(token_secret(role));  // the store keeps only hashes
  apply({{"cluster", "cluster", cluster}});
}

std::string SwarmManager::node_key() { return ch10::sha256_digest(ch12::hmac_sha256(key_, "node-rpc")).substr(7); }

// ---- docker's API ----

json SwarmManager::swarm_json() {
  std::string worker = join_token("worker"), manager = join_token("manager");
  std::lock_guard lock(mutex_);
  json swarm = public_view(store_.all("cluster").at("cluster"));
  swarm["TLSInfo"] = json::object();
  swarm["RootRotationInProgress"] = false;
  swarm["DefaultAddrPool"] = {"10.0.0.0/8"};
  swarm["SubnetSize"] = 24;
  swarm["DataPathPort"] = 4789;
  swarm["JoinTokens"] = {{"Worker", worker}, {"Manager", manager}};
  return swarm;
}

json SwarmManager::info_json(const std::string& self_id) {
  std::lock_guard lock(mutex_);
  json managers = json::array();
  int nodes = 0;
  for (const auto& [id, node] : store_.all("node")) {
    ++nodes;
    if (text_at(node, "/Spec/Role") == "manager")
      managers.push_back({{"NodeID", id}, {"Addr", text_at(node, "/ManagerStatus/Addr")}});
  }
  json cluster = public_view(store_.all("cluster").at("cluster"));
  const json* self = store_.find("node", self_id);
  return {{"NodeID", self_id},
          {"NodeAddr", self != nullptr ? text_at(*self, "/Status/Addr") : ""},
          {"LocalNodeState", "active"},
          {"ControlAvailable", true},
          {"Error", ""},
          {"RemoteManagers", managers},
          {"Nodes", nodes},
          {"Managers", managers.size()},
          {"Cluster", cluster}};
}

const json& SwarmManager::find_node(const std::string& name) {
  if (const json* node = store_.find("node", name)) return *node;
  const json* found = nullptr;
  for (const auto& [id, node] : store_.all("node"))
    if (text_at(node, "/Description/Hostname") == name) return node;
  for (const auto& [id, node] : store_.all("node")) {
    if (id.rfind(name, 0) != 0 || name.empty()) continue;
    if (found != nullptr) throw ApiError(400, fmt::format("node {} is ambiguous ({} matches found)", name, 2));
    found = &node;
  }
  if (found == nullptr) throw ApiError(404, fmt::format("node {} not found", name));
  return *found;
}

const json& SwarmManager::find_service(const std::string& name) {
  if (const json* service = store_.find("service", name)) return *service;
  for (const auto& [id, service] : store_.all("service"))
    if (text_at(service, "/Spec/Name") == name) return service;
  const json* found = nullptr;
  for (const auto& [id, service] : store_.all("service")) {
    if (id.rfind(name, 0) != 0 || name.empty()) continue;
    if (found != nullptr) throw ApiError(400, fmt::format("service {} is ambiguous (2 matches found)", name));
    found = &service;
  }
  if (found == nullptr) throw ApiError(404, fmt::format("service {} not found", name));
  return *found;
}

json SwarmManager::nodes(const Filters& filters) {
  std::lock_guard lock(mutex_);
  json list = json::array();
  for (const auto& [id, node] : store_.all("node")) {
    auto wanted = [&](const char* key) -> const std::vector<std::string>* {
      auto found = filters.find(key);
      return found == filters.end() || found->second.empty() ? nullptr : &found->second;
    };
    if (auto ids = wanted("id"); ids && !matches(*ids, id, true)) continue;
    if (auto names = wanted("name"); names && !matches(*names, text_at(node, "/Description/Hostname"), true)) continue;
    if (auto roles = wanted("role"); roles && !matches(*roles, text_at(node, "/Spec/Role"), false)) continue;
    list.push_back(public_view(node));
  }
  return list;
}

json SwarmManager::node(const std::string& name) {
  std::lock_guard lock(mutex_);
  return public_view(find_node(name));
}

void SwarmManager::update_node(const std::string& name, std::uint64_t version, const json& spec) {
  std::lock_guard lock(mutex_);
  json node = find_node(name);
  check_version(node, version);
  std::string availability = spec.value("Availability", "active");
  if (availability != "active" && availability != "pause" && availability != "drain")
    throw ApiError(400, fmt::format("invalid availability: {}", availability));
  std::string role = spec.value("Role", text_at(node, "/Spec/Role"));
  if (role != text_at(node, "/Spec/Role"))
    throw ApiError(400, "changing a node's role needs several managers (etcd): not supported yet");
  node["Spec"]["Availability"] = availability;
  node["Spec"]["Labels"] = spec.value("Labels", json::object());
  if (node["Spec"]["Labels"].is_null()) node["Spec"]["Labels"] = json::object();
  apply({{"node", node["ID"], node}});
}

void SwarmManager::remove_node(const std::string& name, bool force) {
  std::lock_guard lock(mutex_);
  const json& node = find_node(name);
  std::string id = node["ID"];
  if (text_at(node, "/Spec/Role") == "manager")
    throw ApiError(400, fmt::format("rpc error: code = FailedPrecondition desc = node {} is a cluster manager and is a "
                                    "member of the raft cluster. It must be demoted to worker before removal",
                                    id));
  if (!force && text_at(node, "/Status/State") != "down")
    throw ApiError(400, fmt::format("rpc error: code = FailedPrecondition desc = node {} is not down and can't be "
                                    "removed",
                                    id));
  last_seen_.erase(id);
  apply({{"node", id, nullptr}});
}

json SwarmManager::services(const Filters& filters, bool status) {
  std::lock_guard lock(mutex_);
  std::map<std::string, int> running;
  for (const auto& [id, task] : store_.all("task")) {
    TaskInfo info = task_info(task);
    if (info.state == TaskState::Running && info.desired == TaskState::Running) ++running[info.service_id];
  }
  std::vector<NodeInfo> nodes = node_infos();
  json list = json::array();
  for (const auto& [id, service] : store_.all("service")) {
    auto wanted = [&](const char* key) -> const std::vector<std::string>* {
      auto found = filters.find(key);
      return found == filters.end() || found->second.empty() ? nullptr : &found->second;
    };
    if (auto ids = wanted("id"); ids && !matches(*ids, id, true)) continue;
    if (auto names = wanted("name"); names && !matches(*names, text_at(service, "/Spec/Name"), true)) continue;
    ServiceInfo info = service_info(service);
    if (auto modes = wanted("mode"); modes && !matches(*modes, info.global ? "global" : "replicated", false)) continue;
    json view = public_view(service);
    if (status) {
      int desired = info.replicas;
      if (info.global) {
        desired = 0;
        for (const auto& node : nodes)
          if (node.ready && node.availability != "drain" && meets_constraints(node, info.constraints)) ++desired;
      }
      view["ServiceStatus"] = {{"RunningTasks", running[id]}, {"DesiredTasks", desired}};
    }
    list.push_back(view);
  }
  return list;
}

json SwarmManager::service(const std::string& name) {
  std::lock_guard lock(mutex_);
  return public_view(find_service(name));
}

std::string SwarmManager::create_service(const json& spec) {
  validate_spec(spec);
  std::lock_guard lock(mutex_);
  std::string name = spec["Name"];
  for (const auto& [id, service] : store_.all("service"))
    if (text_at(service, "/Spec/Name") == name)
      throw ApiError(409, fmt::format("rpc error: code = AlreadyExists desc = name conflicts with an existing object: "
                                      "service {} already exists",
                                      name));
  std::string id = new_id();
  json stored = with_network_ids(normalized(spec));
  json service = {{"ID", id}, {"Spec", stored}, {"Endpoint", endpoint_of(stored, id)}, {"_SpecVersion", 1}};
  apply({{"service", id, service}});
  return id;
}

void SwarmManager::update_service(const std::string& name, std::uint64_t version, const json& spec, bool rollback) {
  std::lock_guard lock(mutex_);
  json service = find_service(name);
  check_version(service, version);
  json next;
  if (!rollback) {
    validate_spec(spec);
    next = with_network_ids(normalized(spec));
    if (next["Name"] != service["Spec"]["Name"])
      throw ApiError(400, "rpc error: code = Unimplemented desc = renaming services is not supported");
  }
  json updated = updated_service(service, next, ch10::rfc3339_now());
  updated["Endpoint"] = endpoint_of(updated["Spec"], service["ID"]);
  // Published ports or none: the tasks join the ingress network or leave it, so they are new.
  if (!rollback && publishes_ports(updated) != publishes_ports(service) &&
      updated.value("_SpecVersion", 1) == service.value("_SpecVersion", 1))
    updated["_SpecVersion"] = service.value("_SpecVersion", 1) + 1;
  apply({{"service", service["ID"], updated}});
}

json SwarmManager::endpoint_of(const json& spec, const std::string& service_id) {
  json endpoint = service_endpoint(spec, store_.all("service"), service_id);
  if (endpoint.contains("Ports")) {
    json::json_pointer networks("/TaskTemplate/Networks");
    // A container here has one interface: the ingress network's, for a service that publishes.
    if (spec.contains(networks) && spec[networks].is_array() && !spec[networks].empty())
      throw ApiError(400, "rpc error: code = InvalidArgument desc = a service on a network of its own cannot publish "
                          "ports here yet: a task has one network, and publishing puts it on the ingress network");
    if (ingress_id(store_.all("network")).empty())
      throw ApiError(400, "rpc error: code = FailedPrecondition desc = no ingress network: ports cannot be published");
  }
  return endpoint;
}

void SwarmManager::remove_service(const std::string& name) {
  std::lock_guard lock(mutex_);
  std::string id = find_service(name)["ID"];
  std::vector<StoreChange> changes = {{"service", id, nullptr}};
  for (const auto& [task_id, task] : store_.all("task")) {
    if (task.value("ServiceID", "") != id) continue;
    json removed = task;
    removed["DesiredState"] = "remove";
    changes.push_back({"task", task_id, removed});
  }
  apply(std::move(changes));
}

json SwarmManager::with_network_ids(json spec) {
  json::json_pointer where("/TaskTemplate/Networks");
  if (!spec.contains(where) || !spec[where].is_array()) return spec;
  for (auto& attachment : spec[where]) {
    std::string target = attachment.is_object() ? attachment.value("Target", "") : "";
    const json* network = find_network(store_.all("network"), target);
    if (network == nullptr) throw ApiError(404, fmt::format("network {} not found", target));
    attachment["Target"] = network->value("Id", "");
  }
  return spec;
}

bool network_passes(const Filters& filters, const json& network) {
  auto pass = [&](const char* key, const char* field, bool prefix) {
    auto wanted = filters.find(key);
    return wanted == filters.end() || wanted->second.empty() || matches(wanted->second, network.value(field, ""), prefix);
  };
  return pass("id", "Id", true) && pass("name", "Name", true) && pass("driver", "Driver", false) &&
         pass("scope", "Scope", false);
}

json SwarmManager::networks(const Filters& filters) {
  std::lock_guard lock(mutex_);
  json list = json::array();
  for (const auto& [id, network] : store_.all("network"))
    if (network_passes(filters, network)) list.push_back(network_view(network));
  return list;
}

bool SwarmManager::has_network(const std::string& name) {
  std::lock_guard lock(mutex_);
  return find_network(store_.all("network"), name) != nullptr;
}

json SwarmManager::network(const std::string& name) {
  std::lock_guard lock(mutex_);
  const json* network = find_network(store_.all("network"), name);
  if (network == nullptr) throw ApiError(404, fmt::format("network {} not found", name));
  return network_view(*network);
}

std::string SwarmManager::create_network(const json& request) {
  std::lock_guard lock(mutex_);
  std::string id = new_id();
  apply({{"network", id, new_overlay_network(request, store_.all("network"), id, ch10::rfc3339_now())}});
  return id;
}

void SwarmManager::remove_network(const std::string& name) {
  std::lock_guard lock(mutex_);
  const json* network = find_network(store_.all("network"), name);
  if (network == nullptr) throw ApiError(404, fmt::format("network {} not found", name));
  std::string id = network->value("Id", "");
  for (const auto& [service_id, service] : store_.all("service")) {
    if (network->value("Ingress", false) && publishes_ports(service))
      throw ApiError(403, fmt::format("rpc error: code = FailedPrecondition desc = ingress network cannot be removed "
                                      "because service {} depends on it",
                                      service_id));
    for (const auto& attachment : field<json>(service, json::json_pointer("/Spec/TaskTemplate/Networks"), json::array()))
      if (attachment.value("Target", "") == id)
        throw ApiError(403, fmt::format("rpc error: code = FailedPrecondition desc = network {} is in use by service {}",
                                        id, service_id));
  }
  apply({{"network", id, nullptr}});
}

json SwarmManager::tasks(const Filters& filters) {
  std::lock_guard lock(mutex_);
  auto wanted = [&](const char* key) -> const std::vector<std::string>* {
    auto found = filters.find(key);
    return found == filters.end() || found->second.empty() ? nullptr : &found->second;
  };
  // Services and nodes may be named by id, name or id prefix, as docker's filters allow.
  std::set<std::string> services, nodes;
  if (auto names = wanted("service"))
    for (const auto& name : *names) try {
        services.insert(find_service(name)["ID"].get<std::string>());
      } catch (const ApiError&) {
      }
  if (auto names = wanted("node"))
    for (const auto& name : *names) try {
        nodes.insert(find_node(name)["ID"].get<std::string>());
      } catch (const ApiError&) {
      }
  json list = json::array();
  for (const auto& [id, task] : store_.all("task")) {
    TaskInfo info = task_info(task);
    if (wanted("service") && !services.count(info.service_id)) continue;
    if (wanted("node") && !nodes.count(info.node_id)) continue;
    if (auto ids = wanted("id"); ids && !matches(*ids, id, true)) continue;
    if (auto states = wanted("desired-state")) {
      std::string desired(to_string(info.desired));
      bool accepted = std::find(states->begin(), states->end(), "accepted") != states->end() &&
                      info.desired == TaskState::Running;
      if (!accepted && !matches(*states, desired, false)) continue;
    }
    const json* service = store_.find("service", info.service_id);
    if (auto names = wanted("name")) {
      std::string task_name = service != nullptr ? fmt::format("{}.{}", text_at(*service, "/Spec/Name"), info.slot) : "";
      if (!matches(*names, task_name, true)) continue;
    }
    if (wanted("_up-to-date") && service != nullptr && task.value("_SpecVersion", 1) != service->value("_SpecVersion", 1))
      continue;
    list.push_back(public_view(task));
  }
  return list;
}

json SwarmManager::task(const std::string& id) {
  std::lock_guard lock(mutex_);
  if (const json* task = store_.find("task", id)) return public_view(*task);
  for (const auto& [task_id, task] : store_.all("task"))
    if (!id.empty() && task_id.rfind(id, 0) == 0) return public_view(task);
  throw ApiError(404, fmt::format("task {} not found", id));
}

// ---- the dispatcher ----

NodeCredentials SwarmManager::join(const std::string& token, const NodeDescription& description) {
  JoinToken parsed;
  try {
    parsed = parse_token(token);
  } catch (const Error&) {
    throw ApiError(400, "rpc error: code = InvalidArgument desc = invalid join token");
  }
  std::lock_guard lock(mutex_);
  const json& cluster = store_.all("cluster").at("cluster");
  std::string role;
  if (ch12::equal_in_constant_time(parsed.cluster, derived_text(key_, "cluster", 50))) {
    for (const char* candidate : {"worker", "manager"})
      if (ch12::equal_in_constant_time(secret_hash(parsed.secret), text_at(cluster, ("/_TokenHashes/" + std::string(candidate)).c_str())))
        role = candidate;
  }
  if (role.empty())
    throw ApiError(403, "rpc error: code = InvalidArgument desc = A valid join token is necessary to join this cluster");
  bool first = store_.all("node").empty();
  if (role == "manager" && !first)
    throw ApiError(400, "joining as a manager needs several managers on etcd: not supported yet; join as a worker");
  for (const auto& [id, node] : store_.all("node"))
    if (text_at(node, "/Description/Hostname") == description.hostname && text_at(node, "/Status/State") != "down")
      throw ApiError(409, fmt::format("a node named {} is already part of this swarm ({}): a node cannot join twice "
                                      "under one name",
                                      description.hostname, id));
  NodeCredentials credentials{new_id(), new_secret(25), node_key(), cluster.value("ID", ""), role};
  json node = {{"ID", credentials.node_id},
               {"Spec", {{"Labels", json::object()}, {"Role", role}, {"Availability", "active"}}},
               {"Description",
                {{"Hostname", description.hostname},
                 {"Platform", {{"Architecture", "x86_64"}, {"OS", "linux"}}},
                 {"Resources", {{"NanoCPUs", description.nano_cpus}, {"MemoryBytes", description.memory_bytes}}},
                 {"Engine", {{"EngineVersion", kEngineVersion}}}}},
               {"Status", {{"State", "ready"}, {"Addr", description.addr}}},
               {"_SecretHash", secret_hash(credentials.secret)},
               {"_ListenAddr", description.listen_addr}};
  // Its own address on the ingress network: what it forwards published ports from.
  if (std::string ingress = ingress_id(store_.all("network")); !ingress.empty()) {
    std::set<std::string> taken = held_addresses(store_.all("task"), store_.all("node"))[ingress];
    node["_Ingress"] = {{"Network", ingress}, {"Addr", take_address(store_.all("network").at(ingress), taken)}};
  }
  if (role == "manager")
    node["ManagerStatus"] = {{"Leader", true}, {"Reachability", "reachable"}, {"Addr", description.listen_addr}};
  last_seen_[credentials.node_id] = Clock::now();
  apply({{"node", credentials.node_id, node}});
  log::info("swarm: node {} ({}) joined as a {}", description.hostname, credentials.node_id, role);
  return credentials;
}

const json* SwarmManager::authenticate(const std::string& node_id, const std::string& secret) {
  const json* node = store_.find("node", node_id);
  if (node == nullptr || !ch12::equal_in_constant_time(secret_hash(secret), node->value("_SecretHash", "")))
    throw ApiError(401, "this node is not a member of the swarm (removed, or a wrong secret)");
  return node;
}

json SwarmManager::session(const std::string& node_id, const std::string& secret, const std::string& digest,
                           std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_);
  const json* node = authenticate(node_id, secret);
  last_seen_[node_id] = Clock::now();
  if (text_at(*node, "/Status/State") != "ready") {
    json ready = *node;
    ready["Status"]["State"] = "ready";
    ready["Status"].erase("Message");
    log::info("swarm: node {} ({}) is ready again", text_at(*node, "/Description/Hostname"), node_id);
    apply({{"node", node_id, ready}});
  }
  auto assignments = [&] {
    json tasks = json::array();
    json networks = node_networks(node_id, store_.all("network"), store_.all("task"), store_.all("service"),
                                  store_.all("node"));
    std::string summary = networks.dump();
    for (const auto& [id, task] : store_.all("task")) {
      if (task.value("NodeID", "") != node_id) continue;
      json assigned = public_view(task);
      const json* service = store_.find("service", task.value("ServiceID", ""));
      assigned["ServiceName"] = service != nullptr ? text_at(*service, "/Spec/Name") : "";
      tasks.push_back(assigned);
      summary += fmt::format("{}:{};", id, task.value("DesiredState", ""));
    }
    return std::tuple(tasks, networks, digest_of(summary));
  };
  auto [tasks, networks, now_digest] = assignments();
  auto deadline = Clock::now() + wait;
  while (now_digest == digest && !stopping_ && Clock::now() < deadline) {
    changed_.wait_until(lock, deadline);
    std::tie(tasks, networks, now_digest) = assignments();
  }
  last_seen_[node_id] = Clock::now();
  return {{"Tasks", tasks},
          {"Networks", networks},
          {"NodeAddr", text_at(*store_.find("node", node_id), "/Status/Addr")},
          {"Digest", now_digest},
          {"HeartbeatMs", heartbeat_.count()}};
}

void SwarmManager::report(const std::string& node_id, const std::string& secret, const json& statuses) {
  std::lock_guard lock(mutex_);
  authenticate(node_id, secret);
  last_seen_[node_id] = Clock::now();
  std::vector<StoreChange> changes;
  for (const auto& status : statuses) {
    if (!status.is_object()) continue;
    const json* task = store_.find("task", status.value("ID", ""));
    if (task == nullptr || task->value("NodeID", "") != node_id) continue;
    auto reported = task_state_from(status.value("State", ""));
    auto current = task_state_from(text_at(*task, "/Status/State")).value_or(TaskState::New);
    if (!reported || *reported <= current) continue;  // a state only moves forward
    json updated = *task;
    json next = {{"Timestamp", ch10::rfc3339_now()}, {"State", std::string(to_string(*reported))},
                 {"Message", status.value("Message", "")}};
    if (!status.value("Err", "").empty()) next["Err"] = status["Err"];
    json container = updated["Status"].value("ContainerStatus", json::object());
    if (!status.value("ContainerID", "").empty()) container["ContainerID"] = status["ContainerID"];
    if (status.contains("PID")) container["PID"] = status["PID"];
    if (status.contains("ExitCode")) container["ExitCode"] = status["ExitCode"];
    if (!container.empty()) next["ContainerStatus"] = container;
    next["PortStatus"] = json::object();
    updated["Status"] = next;
    changes.push_back({"task", updated["ID"], updated});
  }
  apply(std::move(changes));
}

void SwarmManager::leave(const std::string& node_id, const std::string& secret) {
  std::lock_guard lock(mutex_);
  json node = *authenticate(node_id, secret);
  node["Status"]["State"] = "down";
  node["Status"]["Message"] = "node left the swarm";
  apply({{"node", node_id, node}});
}

std::pair<std::string, std::string> SwarmManager::node_endpoint(const std::string& node_id) {
  std::lock_guard lock(mutex_);
  const json* node = store_.find("node", node_id);
  if (node == nullptr) throw ApiError(404, fmt::format("node {} not found", node_id));
  return {node->value("_ListenAddr", ""), node_key()};
}

}  // namespace dockling::ch15
