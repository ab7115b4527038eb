#include "create_request.hpp"

#include <fmt/format.h>

#include "dockling/error.hpp"

namespace dockling::ch14 {

namespace {

using json = nlohmann::json;

/// A field docker's API allows to be absent or null.
bool given(const json& object, const char* key) { return object.contains(key) && !object[key].is_null(); }

[[noreturn]] void bad(const std::string& field, const std::string& what) {
  throw Error(fmt::format("invalid {}: {}", field, what), 400);
}

std::string text(const json& object, const char* key, const std::string& field) {
  if (!object[key].is_string()) bad(field, "must be a string");
  return object[key].get<std::string>();
}

std::vector<std::string> strings(const json& object, const char* key, const std::string& field) {
  const json& value = object[key];
  if (value.is_string()) return {value.get<std::string>()};  // docker accepts "Cmd": "sh" too
  if (!value.is_array()) bad(field, "must be a list of strings");
  std::vector<std::string> list;
  for (const auto& item : value) {
    if (!item.is_string()) bad(field, "must be a list of strings");
    list.push_back(item.get<std::string>());
  }
  return list;
}

std::int64_t number(const json& object, const char* key, const std::string& field) {
  if (!object[key].is_number()) bad(field, "must be a number");
  return object[key].get<std::int64_t>();
}

/// A numeric resource: a flag when it is set (docker sends 0 for "not set").
void resource(std::vector<std::string>& args, const json& host, const char* key, const char* flag) {
  if (!given(host, key)) return;
  std::int64_t value = number(host, key, std::string("HostConfig.") + key);
  if (value != 0) args.insert(args.end(), {flag, std::to_string(value)});
}

}  // namespace

std::vector<std::string> run_arguments(const json& body, const std::string& name, const NetworkFlags& networks) {
  if (!body.is_object()) bad("body", "must be a JSON object");
  std::vector<std::string> args = {"run", "--pull", "never"};  // docker's CLI pulls before it creates
  if (!name.empty()) args.insert(args.end(), {"--name", name});
  if (!given(body, "Image") || text(body, "Image", "Image").empty())
    throw Error("Config.Image: no image given (docker run IMAGE)", 400);
  std::string image = text(body, "Image", "Image");

  std::vector<std::string> command;
  if (given(body, "Entrypoint")) {
    std::vector<std::string> entrypoint = strings(body, "Entrypoint", "Entrypoint");
    if (!entrypoint.empty()) {
      args.insert(args.end(), {"--entrypoint", entrypoint[0]});
      command.assign(entrypoint.begin() + 1, entrypoint.end());
    } else {
      args.insert(args.end(), {"--entrypoint", ""});
    }
  }
  if (given(body, "Cmd")) {
    std::vector<std::string> cmd = strings(body, "Cmd", "Cmd");
    command.insert(command.end(), cmd.begin(), cmd.end());
  }
  if (given(body, "Env"))
    for (const auto& entry : strings(body, "Env", "Env")) args.insert(args.end(), {"-e", entry});
  if (given(body, "WorkingDir") && !text(body, "WorkingDir", "WorkingDir").empty())
    args.insert(args.end(), {"-w", text(body, "WorkingDir", "WorkingDir")});
  if (given(body, "User") && !text(body, "User", "User").empty())
    args.insert(args.end(), {"-u", text(body, "User", "User")});
  if (given(body, "Hostname") && !text(body, "Hostname", "Hostname").empty())
    args.insert(args.end(), {"-h", text(body, "Hostname", "Hostname")});
  if (given(body, "Domainname") && !text(body, "Domainname", "Domainname").empty())
    args.insert(args.end(), {"--domainname", text(body, "Domainname", "Domainname")});
  if (given(body, "ExposedPorts")) {
    if (!body["ExposedPorts"].is_object()) bad("ExposedPorts", "must be an object");
    for (const auto& [port, unused] : body["ExposedPorts"].items()) args.insert(args.end(), {"--expose", port});
  }

  const json host = given(body, "HostConfig") ? body["HostConfig"] : json::object();
  if (!host.is_object()) bad("HostConfig", "must be an object");
  if (host.value("AutoRemove", false)) args.push_back("--rm");
  if (given(host, "NetworkMode")) {
    std::string mode = text(host, "NetworkMode", "HostConfig.NetworkMode");
    if (mode == "default" || mode.empty()) mode = "bridge";
    if (mode == "bridge" || mode == "none" || mode == "host") {
      args.insert(args.end(), {"--network", mode});
    } else {
      json::json_pointer where("/NetworkingConfig/EndpointsConfig/" + mode);
      json endpoint = body.contains(where) && body[where].is_object() ? body[where] : json::object();
      auto flags = networks ? networks(mode, endpoint) : std::nullopt;
      if (!flags) throw Error(fmt::format("network {} not found", mode), 404);
      args.insert(args.end(), flags->begin(), flags->end());
    }
  }
  if (given(host, "Binds"))
    for (const auto& bind : strings(host, "Binds", "HostConfig.Binds")) args.insert(args.end(), {"-v", bind});
  // docker's CLI sends `-v /path` (an anonymous volume) as Config.Volumes, not as a bind.
  if (given(body, "Volumes")) {
    if (!body["Volumes"].is_object()) bad("Volumes", "must be an object");
    for (const auto& [target, unused] : body["Volumes"].items()) args.insert(args.end(), {"-v", target});
  }
  if (given(host, "VolumesFrom"))
    for (const auto& from : strings(host, "VolumesFrom", "HostConfig.VolumesFrom"))
      args.insert(args.end(), {"--volumes-from", from});
  if (given(host, "Mounts")) {
    if (!host["Mounts"].is_array()) bad("HostConfig.Mounts", "must be a list");
    for (const auto& mount : host["Mounts"]) {
      std::string spec = "type=" + mount.value("Type", "volume");
      if (!mount.value("Source", "").empty()) spec += ",source=" + mount.value("Source", "");
      spec += ",target=" + mount.value("Target", "");
      if (mount.value("ReadOnly", false)) spec += ",readonly";
      args.insert(args.end(), {"--mount", spec});
    }
  }
  if (given(host, "PortBindings")) {
    if (!host["PortBindings"].is_object()) bad("HostConfig.PortBindings", "must be an object");
    for (const auto& [port, bindings] : host["PortBindings"].items()) {
      if (!bindings.is_array()) continue;
      for (const auto& binding : bindings) {
        std::string host_port = binding.value("HostPort", "");
        if (host_port.empty()) continue;  // a port of docker's choice: -P's job here
        std::string ip = binding.value("HostIp", "");
        args.insert(args.end(), {"-p", (ip.empty() ? "" : ip + ":") + host_port + ":" + port});
      }
    }
  }
  if (host.value("PublishAllPorts", false)) args.push_back("-P");
  if (host.value("Privileged", false)) args.push_back("--privileged");
  if (host.value("ReadonlyRootfs", false)) args.push_back("--read-only");
  if (host.value("Init", false) == true) args.push_back("--init");
  if (host.value("OomKillDisable", false) == true) args.push_back("--oom-kill-disable");
  resource(args, host, "Memory", "--memory");
  resource(args, host, "MemorySwap", "--memory-swap");
  resource(args, host, "MemoryReservation", "--memory-reservation");
  resource(args, host, "CpuShares", "--cpu-shares");
  resource(args, host, "CpuPeriod", "--cpu-period");
  resource(args, host, "CpuQuota", "--cpu-quota");
  resource(args, host, "BlkioWeight", "--blkio-weight");
  if (given(host, "PidsLimit")) {
    std::int64_t limit = number(host, "PidsLimit", "HostConfig.PidsLimit");
    if (limit != 0) args.insert(args.end(), {"--pids-limit", std::to_string(limit)});
  }
  if (given(host, "NanoCpus")) {
    std::int64_t nano = number(host, "NanoCpus", "HostConfig.NanoCpus");
    if (nano != 0) args.insert(args.end(), {"--cpus", fmt::format("{}", static_cast<double>(nano) / 1e9)});
  }
  if (given(host, "CpusetCpus") && !text(host, "CpusetCpus", "HostConfig.CpusetCpus").empty())
    args.insert(args.end(), {"--cpuset-cpus", text(host, "CpusetCpus", "HostConfig.CpusetCpus")});
  for (auto [key, flag] : {std::pair{"CapAdd", "--cap-add"}, std::pair{"CapDrop", "--cap-drop"},
                           std::pair{"SecurityOpt", "--security-opt"}, std::pair{"Dns", "--dns"},
                           std::pair{"ExtraHosts", "--add-host"}, std::pair{"GroupAdd", "--group-add"}})
    if (given(host, key))
      for (const auto& value : strings(host, key, std::string("HostConfig.") + key)) args.insert(args.end(), {flag, value});
  if (given(host, "Tmpfs")) {
    if (!host["Tmpfs"].is_object()) bad("HostConfig.Tmpfs", "must be an object");
    for (const auto& [path, options] : host["Tmpfs"].items()) {
      std::string value = options.is_string() ? options.get<std::string>() : "";
      args.insert(args.end(), {"--tmpfs", value.empty() ? path : path + ":" + value});
    }
  }
  if (given(host, "Ulimits") && host["Ulimits"].is_array())
    for (const auto& limit : host["Ulimits"])
      args.insert(args.end(), {"--ulimit", fmt::format("{}={}:{}", limit.value("Name", ""), limit.value("Soft", 0),
                                                       limit.value("Hard", 0))});
  if (given(host, "IpcMode") && !text(host, "IpcMode", "HostConfig.IpcMode").empty())
    args.insert(args.end(), {"--ipc", text(host, "IpcMode", "HostConfig.IpcMode")});

  args.push_back(image);
  args.insert(args.end(), command.begin(), command.end());
  return args;
}

}  // namespace dockling::ch14
