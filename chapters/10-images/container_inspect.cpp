#include "container_inspect.hpp"

#include <string>
#include <vector>

namespace dockling::ch10 {

namespace {

/// Go's zero time, which docker shows for a time that has not come (StartedAt of a
/// container that never ran).
constexpr const char* kZeroTime = "0001-01-01T00:00:00Z";

/// `to[key] = from[key]`, for each key that `from` has, in the order of `keys`.
void copy_fields(nlohmann::ordered_json& to, const nlohmann::json& from, std::initializer_list<const char*> keys) {
  for (const char* key : keys)
    if (auto found = from.find(key); found != from.end()) to[key] = *found;
}

nlohmann::ordered_json state(const ContainerRecord& record) {
  const nlohmann::json& recorded = record.json.value("State", nlohmann::json::object());
  std::string status = record.status();
  bool running = status == "running";
  std::string finished = recorded.value("FinishedAt", "");
  int exit_code = recorded.value("ExitCode", 0);
  // A "running" record whose process is gone: its runtime was killed, and it with it.
  if (status == "exited" && finished.empty()) exit_code = 137;
  return {{"Status", status},
          {"Running", running},
          {"Paused", false},
          {"Restarting", status == "restarting"},
          {"OOMKilled", false},
          {"Dead", false},
          {"Pid", running ? recorded.value("Pid", 0) : 0},
          {"ExitCode", exit_code},
          {"Error", ""},
          {"StartedAt", recorded.value("StartedAt", kZeroTime)},
          {"FinishedAt", finished.empty() ? kZeroTime : finished}};
}

nlohmann::ordered_json graph_driver(const nlohmann::json& recorded) {
  nlohmann::ordered_json data = nlohmann::ordered_json::object();
  const nlohmann::json& fields = recorded.value("Data", nlohmann::json::object());
  for (const auto& [key, value] : fields.items()) {  // sorted keys, as Go prints a map
    if (key == "LowerDir" && value.is_array()) {  // docker's: one string, ':' between the layers
      std::string joined;
      for (const auto& layer : value) joined += (joined.empty() ? "" : ":") + layer.get<std::string>();
      data[key] = joined;
    } else {
      data[key] = value;
    }
  }
  return {{"Data", data}, {"Name", recorded.value("Name", "")}};
}

nlohmann::ordered_json config(const nlohmann::json& recorded) {
  nlohmann::ordered_json config = nlohmann::ordered_json::object();
  copy_fields(config, recorded, {"Hostname", "User"});
  if (!recorded.value("ExposedPorts", nlohmann::json::object()).empty()) config["ExposedPorts"] = recorded["ExposedPorts"];
  copy_fields(config, recorded, {"Env", "Cmd", "Image", "Volumes", "WorkingDir", "Entrypoint", "Labels"});
  if (config.contains("Labels") && config["Labels"].is_null()) config["Labels"] = nlohmann::json::object();  // docker's {}
  if (!recorded.value("StopSignal", "").empty()) config["StopSignal"] = recorded["StopSignal"];
  return config;
}

}  // namespace

nlohmann::ordered_json inspect_container(const ContainerRecord& record) {
  const nlohmann::json& json = record.json;
  nlohmann::ordered_json object = nlohmann::ordered_json::object();
  copy_fields(object, json, {"Id", "Created", "Path", "Args"});
  object["State"] = state(record);
  copy_fields(object, json, {"Image", "Name"});
  object["RestartCount"] = json.value("RestartCount", 0);  // chapter 14's restart policies
  copy_fields(object, json, {"Driver"});
  object["Platform"] = "linux";
  nlohmann::ordered_json host_config = nlohmann::ordered_json::object();
  copy_fields(host_config, json.value("HostConfig", nlohmann::json::object()),
              {"Binds", "NetworkMode", "PortBindings", "RestartPolicy", "AutoRemove", "PublishAllPorts", "Memory"});
  object["HostConfig"] = host_config;
  if (json.contains("GraphDriver")) object["GraphDriver"] = graph_driver(json["GraphDriver"]);
  // Chapter 13's volumes and bind mounts, each with docker's fields in docker's order.
  object["Mounts"] = nlohmann::ordered_json::array();
  for (const auto& recorded : json.value("Mounts", nlohmann::json::array())) {
    nlohmann::ordered_json mount = nlohmann::ordered_json::object();
    copy_fields(mount, recorded, {"Type", "Name", "Source", "Destination", "Driver", "Mode", "RW", "Propagation"});
    object["Mounts"].push_back(mount);
  }
  object["Config"] = config(json.value("Config", nlohmann::json::object()));
  const auto& network = json.value("NetworkSettings", nlohmann::json::object());
  object["NetworkSettings"] = {{"Ports", record.network_ports()}, {"IPAddress", network.value("IPAddress", "")}};
  return object;
}

}  // namespace dockling::ch10
