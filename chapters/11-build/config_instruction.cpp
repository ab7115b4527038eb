#include "config_instruction.hpp"

#include <cctype>
#include <utility>

#include <fmt/format.h>

#include "config_changes.hpp"
#include "dockling/error.hpp"
#include "dockling/text.hpp"

using ojson = nlohmann::ordered_json;

namespace dockling::ch11 {

namespace {

/// config[key] as an object (or array), made one when it is missing or null.
ojson& field(ojson& config, const char* key, const ojson& empty) {
  if (!config.contains(key) || config[key].type() != empty.type()) config[key] = empty;
  return config[key];
}

void expose(ojson& config, const std::vector<std::string>& words) {
  ojson& ports = field(config, "ExposedPorts", ojson::object());
  for (const auto& word : words) {
    std::string port = ascii_lower(word);
    std::string protocol = "tcp";
    if (size_t slash = port.find('/'); slash != std::string::npos) {
      protocol = port.substr(slash + 1);
      port = port.substr(0, slash);
    }
    if (protocol != "tcp" && protocol != "udp" && protocol != "sctp") throw Error(fmt::format("invalid proto: {}", protocol), 1);
    size_t dash = port.find('-');
    int first = 0, last = 0;
    try {
      first = std::stoi(port.substr(0, dash));
      last = dash == std::string::npos ? first : std::stoi(port.substr(dash + 1));
    } catch (const std::exception&) {
      throw Error(fmt::format("invalid containerPort: {}", word), 1);
    }
    if (first < 0 || last > 65535 || first > last) throw Error(fmt::format("invalid containerPort: {}", word), 1);
    for (int p = first; p <= last; ++p) ports[fmt::format("{}/{}", p, protocol)] = ojson::object();
  }
}

ojson healthcheck(const Instruction& instruction) {
  check_flags(instruction, {"interval", "timeout", "start-period", "start-interval", "retries"});
  const std::string& text = instruction.args.front();
  size_t space = text.find_first_of(" \t");
  std::string type = ascii_upper(text.substr(0, space));
  std::string rest = space == std::string::npos ? "" : text.substr(text.find_first_not_of(" \t", space));
  ojson check = ojson::object();
  if (type == "NONE") {
    if (!rest.empty() || !instruction.flags.empty()) throw Error("HEALTHCHECK NONE takes no arguments", 1);
    check["Test"] = ojson::array({"NONE"});
    return check;
  }
  if (type != "CMD") throw Error("Unknown type \"" + type + "\" in HEALTHCHECK (try CMD)", 1);
  if (rest.empty()) throw Error("Missing command after HEALTHCHECK CMD", 1);
  ojson test = ojson::array({"CMD-SHELL", rest});
  try {
    auto parsed = nlohmann::json::parse(rest);
    if (parsed.is_array() && !parsed.empty()) {  // the exec form, as docker reads it
      test = ojson::array({"CMD"});
      for (const auto& word : parsed) test.push_back(word.get<std::string>());
    }
  } catch (const std::exception&) {
  }
  check["Test"] = test;
  for (const auto& [flag, key] : {std::pair{"interval", "Interval"}, {"timeout", "Timeout"},
                                  {"start-period", "StartPeriod"}, {"start-interval", "StartInterval"}})
    if (auto value = flag_value(instruction, flag)) check[key] = parse_duration(*value);
  if (auto retries = flag_value(instruction, "retries")) {
    if (retries->empty() || retries->find_first_not_of("0123456789") != std::string::npos || retries->size() > 9)
      throw Error(fmt::format("invalid --retries={}: a number of retries", *retries), 1);
    check["Retries"] = std::stoi(*retries);
  }
  return check;
}

}  // namespace

bool edits_config_only(const std::string& keyword) {
  for (const char* name : {"env", "label", "maintainer", "expose", "volume", "stopsignal", "user", "cmd", "entrypoint",
                           "shell", "onbuild", "healthcheck"})
    if (keyword == name) return true;
  return false;
}

void apply_config_instruction(ojson& image, const Instruction& instruction, bool& cmd_set) {
  ojson& config = field(image, "config", ojson::object());
  const std::string& k = instruction.keyword;
  const auto& args = instruction.args;
  if (k == "env") {
    for (size_t i = 0; i + 1 < args.size(); i += 2) set_env(config, args[i], args[i + 1]);
  } else if (k == "label") {
    ojson& labels = field(config, "Labels", ojson::object());
    for (size_t i = 0; i + 1 < args.size(); i += 2) labels[args[i]] = args[i + 1];
  } else if (k == "maintainer") {
    image["author"] = args.front();
  } else if (k == "expose") {
    expose(config, args);
  } else if (k == "volume") {
    ojson& volumes = field(config, "Volumes", ojson::object());
    for (const auto& path : args) {
      if (path.empty()) throw Error("VOLUME specified can not be an empty string", 1);
      volumes[path] = ojson::object();
    }
  } else if (k == "stopsignal") {
    config["StopSignal"] = args.front();
  } else if (k == "user") {
    config["User"] = args.front();
  } else if (k == "cmd" || k == "entrypoint") {
    ojson command = ojson::array();
    if (!instruction.json)
      command = config.contains("Shell") && config["Shell"].is_array() ? config["Shell"] : ojson::array({"/bin/sh", "-c"});
    for (const auto& arg : args) command.push_back(arg);
    if (k == "cmd") {
      config["Cmd"] = command;
      cmd_set = true;
    } else {
      config["Entrypoint"] = command;
      if (!cmd_set) config["Cmd"] = nullptr;  // docker: an ENTRYPOINT drops the base image's CMD
    }
  } else if (k == "shell") {
    config["Shell"] = args;
  } else if (k == "onbuild") {
    field(config, "OnBuild", ojson::array()).push_back(args.front());
  } else if (k == "healthcheck") {
    config["Healthcheck"] = healthcheck(instruction);
  } else {
    throw Error(fmt::format("{} does not only edit the config", ascii_upper(k)), 1);
  }
}

Variables env_of(const ojson& config) {
  auto env = ch10::env_map(config);
  return Variables(env.begin(), env.end());
}

void set_env(ojson& config, const std::string& name, const std::string& value) {
  ojson& env = field(config, "Env", ojson::array());
  for (auto& entry : env) {
    std::string text = entry.get<std::string>();
    if (text.substr(0, text.find('=')) == name) {
      entry = name + "=" + value;
      return;
    }
  }
  env.push_back(name + "=" + value);
}

std::optional<std::string> flag_value(const Instruction& instruction, const std::string& name) {
  std::string prefix = "--" + name + "=";
  for (const auto& flag : instruction.flags)
    if (flag.rfind(prefix, 0) == 0) return flag.substr(prefix.size());
  return std::nullopt;
}

void check_flags(const Instruction& instruction, std::initializer_list<const char*> allowed) {
  for (const auto& flag : instruction.flags) {
    std::string name = flag.substr(2, flag.find('=') == std::string::npos ? std::string::npos : flag.find('=') - 2);
    bool known = false;
    for (const char* a : allowed) known = known || name == a;
    if (!known) throw Error("unknown flag: " + name, 1);
  }
}

std::int64_t parse_duration(const std::string& text) {
  if (text.empty()) throw Error("time: invalid duration \"\"", 1);
  std::int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    if (start == i) throw Error("time: invalid duration \"" + text + "\"", 1);
    double number = 0;
    try {
      number = std::stod(text.substr(start, i - start));
    } catch (const std::exception&) {
      throw Error("time: invalid duration \"" + text + "\"", 1);
    }
    size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string unit = text.substr(unit_start, i - unit_start);
    double scale = unit == "ns" ? 1 : unit == "us" ? 1e3 : unit == "ms" ? 1e6 : unit == "s" ? 1e9
                   : unit == "m" ? 60e9 : unit == "h" ? 3600e9 : 0;
    if (unit.empty()) throw Error("time: missing unit in duration \"" + text + "\"", 1);
    if (scale == 0) throw Error("time: unknown unit \"" + unit + "\" in duration \"" + text + "\"", 1);
    total += static_cast<std::int64_t>(number * scale);
  }
  return total;
}

}  // namespace dockling::ch11
