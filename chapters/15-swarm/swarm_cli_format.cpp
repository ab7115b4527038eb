#include "swarm_cli_format.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <ctime>
#include <sstream>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "go_template.hpp"
#include "image_store.hpp"
#include "images_step.hpp"
#include "reference.hpp"

namespace dockling::ch15 {

namespace {

std::string str(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::int64_t num(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_number() ? it->get<std::int64_t>() : 0;
}

/// object[a][b]... or null.
const Json& at(const Json& object, std::initializer_list<const char*> path) {
  static const Json null;
  const Json* here = &object;
  for (const char* key : path) {
    if (!here->is_object()) return null;
    auto it = here->find(key);
    if (it == here->end()) return null;
    here = &*it;
  }
  return *here;
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

std::size_t utf8_length(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

/// docker's numberedStates: 0 for an unknown state.
int state_number(const std::string& state) {
  static const std::map<std::string, int> numbers{
      {"new", 1},       {"allocated", 2}, {"pending", 3},  {"assigned", 4}, {"accepted", 5},
      {"preparing", 6}, {"ready", 7},     {"starting", 8}, {"running", 9},  {"complete", 10},
      {"shutdown", 11}, {"failed", 12},   {"rejected", 13}, {"remove", 14}, {"orphaned", 15}};
  auto it = numbers.find(state);
  return it == numbers.end() ? 0 : it->second;
}

bool terminal_state(const std::string& state) { return state_number(state) > state_number("running"); }

std::string status_state(const Json& task) { return str(at(task, {"Status"}), "State"); }

}  // namespace

std::string pretty(std::string_view text) {
  if (text.empty()) return "";
  if (text.size() == 1) return lower(std::string(text));
  return std::string(1, static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])))) +
         lower(std::string(text.substr(1)));
}

std::string truncate_id(std::string_view id) { return std::string(id.substr(0, 12)); }

std::string ellipsis(std::string_view text, std::size_t width) {
  if (utf8_length(text) <= width) return std::string(text);
  if (width == 0) return "";
  std::string out;
  std::size_t count = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    bool starts = (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
    if (starts && ++count > width - 1) break;
    out += text[i];
  }
  return out + "…";
}

bool natural_less(std::string_view a, std::string_view b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    bool da = std::isdigit(static_cast<unsigned char>(a[i])) != 0, db = std::isdigit(static_cast<unsigned char>(b[j])) != 0;
    if (da && db) {
      std::size_t si = i, sj = j;
      while (si < a.size() && a[si] == '0') ++si;
      while (sj < b.size() && b[sj] == '0') ++sj;
      std::size_t ei = si, ej = sj;
      while (ei < a.size() && std::isdigit(static_cast<unsigned char>(a[ei]))) ++ei;
      while (ej < b.size() && std::isdigit(static_cast<unsigned char>(b[ej]))) ++ej;
      if (ei - si != ej - sj) return ei - si < ej - sj;
      int cmp = a.substr(si, ei - si).compare(b.substr(sj, ej - sj));
      if (cmp != 0) return cmp < 0;
      if (ei - i != ej - j) return ei - i < ej - j;  // fewer leading zeros first
      i = ei;
      j = ej;
      continue;
    }
    if (a[i] != b[j]) return a[i] < b[j];
    ++i;
    ++j;
  }
  return a.size() - i < b.size() - j;
}

std::int64_t rfc3339_nanos(const std::string& text) {
  std::size_t dot = text.find('.');
  std::string whole = text;
  std::int64_t fraction = 0;
  if (dot != std::string::npos) {
    std::size_t end = dot + 1;
    std::int64_t scale = 100000000;
    while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) {
      fraction += (text[end] - '0') * scale;
      scale /= 10;
      ++end;
    }
    whole = text.substr(0, dot) + text.substr(end);
  }
  double seconds = ch10::rfc3339_seconds(whole);
  return static_cast<std::int64_t>(seconds) * 1000000000 + fraction;
}

std::string display_image(const std::string& image) {
  try {
    ch10::Reference reference = ch10::parse_reference(image);
    if (reference.tag.empty()) return image;
    return reference.familiar_name() + ":" + reference.tag;
  } catch (const Error&) {
    return image;
  }
}

std::string render_listing(const std::string& format, const std::string& default_format, const Json& header,
                           const std::vector<Json>& rows, const std::string& root_type) {
  std::string chosen = format.empty() ? default_format : format;
  bool table = chosen.rfind("table", 0) == 0;
  std::string text = table ? chosen.substr(5) : chosen;
  text.erase(0, text.find_first_not_of(' '));
  if (text.find_last_not_of(' ') != std::string::npos) text.erase(text.find_last_not_of(' ') + 1);
  if (table && text.empty()) text = default_format.substr(6);
  for (auto [typed, meant] : {std::pair<const char*, const char*>{"\\t", "\t"}, {"\\n", "\n"}})
    for (std::size_t found; (found = text.find(typed)) != std::string::npos;) text.replace(found, 2, meant);
  ch10::Template tmpl(text, ch10::TemplateOptions{false, root_type});
  std::vector<std::string> lines;
  if (table) lines.push_back(tmpl.render(header));
  for (const auto& row : rows) lines.push_back(tmpl.render(row));
  if (!table) {
    std::string out;
    for (const auto& line : lines) out += line + "\n";
    return out;
  }
  std::vector<std::vector<std::string>> cells;
  for (const auto& line : lines) {
    std::vector<std::string> row;
    std::size_t start = 0;
    for (std::size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1)
      row.push_back(line.substr(start, tab - start));
    row.push_back(line.substr(start));
    cells.push_back(row);
  }
  return ch10::format_table(cells);
}

// ---- service ls

Json service_context(const Json& service) {
  const Json& spec = at(service, {"Spec"});
  const Json& mode = at(spec, {"Mode"});
  std::string mode_text = mode.contains("Global")          ? "global"
                          : mode.contains("ReplicatedJob") ? "replicated job"
                          : mode.contains("GlobalJob")     ? "global job"
                                                           : "replicated";
  const Json& status = at(service, {"ServiceStatus"});
  std::int64_t running = status.is_object() ? num(status, "RunningTasks") : 0;
  std::int64_t desired = status.is_object() ? num(status, "DesiredTasks") : 0;
  std::string replicas = fmt::format("{}/{}", running, desired);
  std::int64_t max_replicas = num(at(spec, {"TaskTemplate", "Placement"}), "MaxReplicas");
  if (mode_text == "replicated" && max_replicas > 0) replicas += fmt::format(" (max {} per node)", max_replicas);
  std::vector<std::string> ports;
  const Json& published = at(service, {"Endpoint", "Ports"});
  if (published.is_array())
    for (const auto& port : published)
      if (str(port, "PublishMode") == "ingress" || str(port, "PublishMode").empty())
        ports.push_back(fmt::format("*:{}->{}/{}", num(port, "PublishedPort"), num(port, "TargetPort"),
                                    str(port, "Protocol").empty() ? "tcp" : str(port, "Protocol")));
  std::string port_text;
  for (const auto& port : ports) port_text += (port_text.empty() ? "" : ", ") + port;
  // Sorted keys, as {{json .}} prints docker's context.
  Json context = Json::object();
  context["ID"] = truncate_id(str(service, "ID"));
  context["Image"] = display_image(str(at(spec, {"TaskTemplate", "ContainerSpec"}), "Image"));
  context["Mode"] = mode_text;
  context["Name"] = str(spec, "Name");
  context["Ports"] = port_text;
  context["Replicas"] = replicas;
  return context;
}

std::string format_services(std::vector<Json> services, const ListOptions& options) {
  std::stable_sort(services.begin(), services.end(), [](const Json& a, const Json& b) {
    return natural_less(str(at(a, {"Spec"}), "Name"), str(at(b, {"Spec"}), "Name"));
  });
  std::vector<Json> rows;
  for (const auto& service : services) rows.push_back(service_context(service));
  Json header{{"ID", "ID"}, {"Image", "IMAGE"}, {"Mode", "MODE"}, {"Name", "NAME"}, {"Ports", "PORTS"}, {"Replicas", "REPLICAS"}};
  std::string format = options.quiet ? "{{.ID}}" : options.format;
  return render_listing(format, "table {{.ID}}\t{{.Name}}\t{{.Mode}}\t{{.Replicas}}\t{{.Image}}\t{{.Ports}}", header,
                        rows, "*service.serviceContext");
}

// ---- network ls

std::string format_networks(std::vector<Json> networks, const ListOptions& options) {
  std::stable_sort(networks.begin(), networks.end(),
                   [](const Json& a, const Json& b) { return natural_less(str(a, "Name"), str(b, "Name")); });
  std::vector<Json> rows;
  for (const auto& network : networks) {
    Json context = Json::object();  // sorted keys, as {{json .}} prints docker's context
    context["CreatedAt"] = str(network, "Created");
    context["Driver"] = str(network, "Driver");
    context["ID"] = options.no_trunc ? str(network, "Id") : truncate_id(str(network, "Id"));
    context["IPv6"] = network.value("EnableIPv6", false) ? "true" : "false";
    context["Internal"] = network.value("Internal", false) ? "true" : "false";
    context["Name"] = str(network, "Name");
    context["Scope"] = str(network, "Scope");
    rows.push_back(context);
  }
  Json header{{"CreatedAt", "CREATED"}, {"Driver", "DRIVER"}, {"ID", "NETWORK ID"}, {"IPv6", "IPV6"},
              {"Internal", "INTERNAL"}, {"Name", "NAME"},   {"Scope", "SCOPE"}};
  std::string format = options.quiet ? "{{.ID}}" : options.format;
  return render_listing(format, "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}", header, rows,
                        "*formatter.networkContext");
}

// ---- tasks

std::string current_state(const Json& task, double now) {
  const Json& status = at(task, {"Status"});
  double since = static_cast<double>(rfc3339_nanos(str(status, "Timestamp"))) / 1e9;
  return fmt::format("{} {} ago", pretty(str(status, "State")), lower(ch10::human_duration(now - since)));
}

std::string task_error(const Json& task, bool no_trunc) {
  std::string error = str(at(task, {"Status"}), "Err");
  if (!no_trunc) error = ellipsis(error, 30);
  return error.empty() ? "" : "\"" + error + "\"";
}

std::string task_name(const Json& task, const std::map<std::string, std::string>& service_names) {
  auto service = service_names.find(str(task, "ServiceID"));
  std::string service_name = service != service_names.end() ? service->second : str(task, "ServiceID");
  return num(task, "Slot") != 0 ? fmt::format("{}.{}", service_name, num(task, "Slot"))
                                 : fmt::format("{}.{}", service_name, str(task, "NodeID"));
}

std::vector<Json> sort_tasks(std::vector<Json> tasks, const std::map<std::string, std::string>& service_names) {
  std::vector<std::pair<std::string, Json>> named;
  for (auto& task : tasks) named.emplace_back(task_name(task, service_names), std::move(task));
  std::stable_sort(named.begin(), named.end(), [](const auto& a, const auto& b) {
    if (a.first != b.first) return natural_less(a.first, b.first);
    return rfc3339_nanos(str(b.second, "CreatedAt")) < rfc3339_nanos(str(a.second, "CreatedAt"));
  });
  std::vector<Json> sorted;
  for (auto& [name, task] : named) sorted.push_back(std::move(task));
  return sorted;
}

std::string format_tasks(std::vector<Json> tasks, const std::map<std::string, std::string>& service_names,
                         const std::map<std::string, std::string>& node_names, const ListOptions& options,
                         double now) {
  tasks = sort_tasks(std::move(tasks), service_names);
  bool table = options.quiet ? false : (options.format.empty() || options.format.rfind("table", 0) == 0);
  bool trunc = !options.no_trunc && !options.quiet;
  std::vector<Json> rows;
  std::string previous;
  for (const auto& task : tasks) {
    std::string name = task_name(task, service_names);
    std::string shown = (table && name == previous) ? " \\_ " + name : name;
    previous = name;
    auto node = node_names.find(str(task, "NodeID"));
    std::string image = str(at(task, {"Spec", "ContainerSpec"}), "Image");
    std::string ports;
    const Json& published = at(task, {"Status", "PortStatus", "Ports"});
    if (published.is_array())
      for (const auto& port : published)
        ports += (ports.empty() ? "" : ",") + fmt::format("*:{}->{}/{}", num(port, "PublishedPort"),
                                                          num(port, "TargetPort"), str(port, "Protocol"));
    Json row = Json::object();
    row["CurrentState"] = current_state(task, now);
    row["DesiredState"] = pretty(str(task, "DesiredState"));
    row["Error"] = task_error(task, !trunc);
    row["ID"] = trunc ? truncate_id(str(task, "ID")) : str(task, "ID");
    row["Image"] = trunc ? display_image(image) : image;
    row["Name"] = shown;
    row["Node"] = node != node_names.end() ? node->second : str(task, "NodeID");
    row["Ports"] = ports;
    rows.push_back(row);
  }
  Json header{{"CurrentState", "CURRENT STATE"}, {"DesiredState", "DESIRED STATE"}, {"Error", "ERROR"},
              {"ID", "ID"}, {"Image", "IMAGE"}, {"Name", "NAME"}, {"Node", "NODE"}, {"Ports", "PORTS"}};
  std::string format = options.quiet ? "{{.ID}}" : options.format;
  return render_listing(
      format, "table {{.ID}}\t{{.Name}}\t{{.Image}}\t{{.Node}}\t{{.DesiredState}}\t{{.CurrentState}}\t{{.Error}}\t{{.Ports}}",
      header, rows, "*task.taskContext");
}

// ---- nodes

std::string manager_status(const Json& node) {
  const Json& manager = at(node, {"ManagerStatus"});
  if (!manager.is_object()) return "";
  if (manager.value("Leader", false)) return "Leader";
  return pretty(str(manager, "Reachability"));
}

std::string format_nodes(std::vector<Json> nodes, const std::string& self_id, const ListOptions& options) {
  std::stable_sort(nodes.begin(), nodes.end(), [](const Json& a, const Json& b) {
    return natural_less(str(at(a, {"Description"}), "Hostname"), str(at(b, {"Description"}), "Hostname"));
  });
  std::vector<Json> rows;
  for (const auto& node : nodes) {
    Json row = Json::object();
    row["Availability"] = pretty(str(at(node, {"Spec"}), "Availability"));
    row["EngineVersion"] = str(at(node, {"Description", "Engine"}), "EngineVersion");
    row["Hostname"] = str(at(node, {"Description"}), "Hostname");
    row["ID"] = str(node, "ID");
    row["ManagerStatus"] = manager_status(node);
    row["Self"] = !self_id.empty() && str(node, "ID") == self_id;
    row["Status"] = pretty(str(at(node, {"Status"}), "State"));
    row["TLSStatus"] = "Ready";
    rows.push_back(row);
  }
  Json header{{"Availability", "AVAILABILITY"}, {"EngineVersion", "ENGINE VERSION"}, {"Hostname", "HOSTNAME"},
              {"ID", "ID"}, {"ManagerStatus", "MANAGER STATUS"}, {"Self", false}, {"Status", "STATUS"},
              {"TLSStatus", "TLS STATUS"}};
  std::string format = options.quiet ? "{{.ID}}" : options.format;
  return render_listing(format,
                        "table {{.ID}} {{if .Self}}*{{else}} {{ end }}\t{{.Hostname}}\t{{.Status}}\t{{.Availability}}\t{{."
                        "ManagerStatus}}\t{{.EngineVersion}}",
                        header, rows, "*node.nodeContext");
}

// ---- logs

LogLine parse_log_line(std::string_view payload, bool timestamps) {
  LogLine line;
  std::string_view rest = payload;
  auto invalid = [&] { return Error(fmt::format("invalid context in log message: {}", payload), 1); };
  if (timestamps) {
    std::size_t space = rest.find(' ');
    if (space == std::string_view::npos) throw invalid();
    line.timestamp = std::string(rest.substr(0, space));
    rest.remove_prefix(space + 1);
  }
  std::size_t space = rest.find(' ');
  if (space == std::string_view::npos) throw invalid();
  std::string_view details = rest.substr(0, space);
  line.message = std::string(rest.substr(space + 1));
  auto unescape = [](std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '%' && i + 2 < text.size()) {
        out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
        i += 2;
      } else {
        out += text[i] == '+' ? ' ' : text[i];
      }
    }
    return out;
  };
  std::size_t start = 0;
  while (start < details.size()) {
    std::size_t comma = details.find(',', start);
    std::string_view pair = details.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    std::size_t equals = pair.find('=');
    if (equals == std::string_view::npos) throw Error("invalid details format", 1);
    line.details[unescape(pair.substr(0, equals))] = unescape(pair.substr(equals + 1));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  auto take = [&](const char* key, std::string& into, const char* what) {
    auto it = line.details.find(key);
    if (it == line.details.end()) throw Error(fmt::format("missing {} id in details", what), 1);
    into = it->second;
    line.details.erase(it);
  };
  take("com.docker.swarm.node.id", line.node_id, "node");
  take("com.docker.swarm.service.id", line.service_id, "service");
  take("com.docker.swarm.task.id", line.task_id, "task");
  return line;
}

std::string log_prefix(const std::string& service_name, std::int64_t slot, const std::string& task_id,
                       const std::string& hostname, std::int64_t replicas, bool no_trunc) {
  std::string name = fmt::format("{}.{}", service_name, slot);
  if (!task_id.empty()) name += "." + (no_trunc ? task_id : truncate_id(task_id));
  std::size_t width = std::to_string(replicas).size();
  std::size_t slot_width = std::to_string(slot).size();
  std::string padding = width > slot_width ? std::string(width - slot_width, ' ') : "";
  return name + "@" + hostname + padding + "    | ";
}

// ---- swarm texts

std::string join_command_text(const std::string& role, const std::string& token, const std::string& address) {
  return fmt::format("To add a {} to this swarm, run the following command:\n\n    docker swarm join --token {} {}\n\n",
                     role, token, address);
}

std::string init_text(const std::string& node_id, const std::string& worker_token, const std::string& address) {
  return fmt::format("Swarm initialized: current node ({}) is now a manager.\n\n", node_id) +
         join_command_text("worker", worker_token, address) +
         "To add a manager to this swarm, run 'docker swarm join-token manager' and follow the instructions.\n\n";
}

std::string digest_warning(const std::string& image) {
  return fmt::format(
      "image {0} could not be accessed on a registry to record\nits digest. Each node will access {0} "
      "independently,\npossibly leading to different nodes running different\nversions of the image.\n",
      image);
}

// ---- flag values

std::int64_t parse_duration(const std::string& text, const std::string& flag) {
  auto bad = [&] {
    return Error(fmt::format("invalid argument \"{}\" for \"{}\" flag: time: invalid duration \"{}\"", text, flag, text), 125);
  };
  std::string_view rest = text;
  bool negative = false;
  if (!rest.empty() && (rest[0] == '-' || rest[0] == '+')) {
    negative = rest[0] == '-';
    rest.remove_prefix(1);
  }
  if (rest == "0") return 0;
  if (rest.empty()) throw bad();
  long double total = 0;
  while (!rest.empty()) {
    std::size_t digits = 0;
    while (digits < rest.size() && (std::isdigit(static_cast<unsigned char>(rest[digits])) || rest[digits] == '.')) ++digits;
    if (digits == 0) throw bad();
    long double value = std::stold(std::string(rest.substr(0, digits)));
    rest.remove_prefix(digits);
    std::size_t unit_length = 0;
    while (unit_length < rest.size() && !std::isdigit(static_cast<unsigned char>(rest[unit_length])) && rest[unit_length] != '.')
      ++unit_length;
    std::string unit(rest.substr(0, unit_length));
    rest.remove_prefix(unit_length);
    static const std::map<std::string, long double> units{{"ns", 1},         {"us", 1e3},     {"µs", 1e3}, {"ms", 1e6},
                                                          {"s", 1e9},         {"m", 60e9},     {"h", 3600e9}};
    auto it = units.find(unit);
    if (it == units.end()) {
      if (unit.empty()) throw Error(fmt::format("invalid argument \"{}\" for \"{}\" flag: time: missing unit in duration \"{}\"", text, flag, text), 125);
      throw Error(fmt::format("invalid argument \"{}\" for \"{}\" flag: time: unknown unit \"{}\" in duration \"{}\"", text, flag, unit, text), 125);
    }
    total += value * it->second;
  }
  auto nanos = static_cast<std::int64_t>(std::llround(total));
  return negative ? -nanos : nanos;
}

std::int64_t parse_memory(const std::string& text, const std::string& flag) {
  std::size_t end = 0;
  while (end < text.size() && (std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '.')) ++end;
  auto bad = [&] { return Error(fmt::format("invalid argument \"{}\" for \"{}\" flag: invalid size: '{}'", text, flag, text), 125); };
  if (end == 0) throw bad();
  long double value = std::stold(text.substr(0, end));
  std::string suffix = lower(text.substr(end));
  if (!suffix.empty() && suffix[0] == ' ') suffix.erase(0, 1);
  long double scale = 1;
  if (!suffix.empty() && std::string("kmgtp").find(suffix[0]) != std::string::npos) {
    scale = std::pow(1024.0L, static_cast<long double>(std::string("kmgtp").find(suffix[0]) + 1));
    suffix.erase(0, 1);
  }
  if (!suffix.empty() && suffix[0] == 'i') suffix.erase(0, 1);
  if (!suffix.empty() && suffix[0] == 'b') suffix.erase(0, 1);
  if (!suffix.empty()) throw bad();
  return static_cast<std::int64_t>(value * scale);
}

std::int64_t parse_cpus(const std::string& text, const std::string& flag) {
  try {
    std::size_t used = 0;
    long double value = std::stold(text, &used);
    if (used != text.size()) throw std::invalid_argument(text);
    return static_cast<std::int64_t>(std::llround(value * 1e9L));
  } catch (const std::exception&) {
    throw Error(fmt::format("invalid argument \"{}\" for \"{}\" flag: failed to parse {} as a rational number", text, flag, text), 125);
  }
}

std::string normalize_image(const std::string& image) {
  try {
    return ch10::parse_reference(image).with_default_tag().familiar();
  } catch (const Error&) {
    return image;
  }
}

Json update_config(const Json& current, const CreateOptions& options) {
  if (!options.update_parallelism && !options.update_delay && !options.update_failure_action && !options.update_monitor &&
      !options.update_max_failure_ratio)
    return current;
  Json config = current.is_object() ? current
                                    : Json{{"Parallelism", 1}, {"Delay", 0}, {"FailureAction", "pause"},
                                           {"Monitor", 5000000000LL}, {"MaxFailureRatio", 0}, {"Order", "stop-first"}};
  if (options.update_parallelism) config["Parallelism"] = *options.update_parallelism;
  if (options.update_delay) config["Delay"] = parse_duration(*options.update_delay, "--update-delay");
  if (options.update_monitor) config["Monitor"] = parse_duration(*options.update_monitor, "--update-monitor");
  if (options.update_max_failure_ratio) config["MaxFailureRatio"] = *options.update_max_failure_ratio;  // the daemon checks it
  if (const auto& action = options.update_failure_action) {
    if (*action != "pause" && *action != "continue" && *action != "rollback")
      throw Error(fmt::format("invalid argument \"{}\" for \"--update-failure-action\" flag: invalid value", *action), 125);
    config["FailureAction"] = *action;
  }
  return config;
}

Json service_spec(const CreateOptions& options) {
  Json container = Json::object();
  container["Image"] = options.image;
  if (!options.args.empty()) container["Args"] = options.args;
  if (!options.env.empty()) container["Env"] = options.env;
  container["Init"] = false;
  container["DNSConfig"] = Json::object();

  Json limits = Json::object(), reservations = Json::object();
  if (options.limit_cpu) limits["NanoCPUs"] = parse_cpus(*options.limit_cpu, "--limit-cpu");
  if (options.limit_memory) limits["MemoryBytes"] = parse_memory(*options.limit_memory, "--limit-memory");
  if (options.reserve_cpu) reservations["NanoCPUs"] = parse_cpus(*options.reserve_cpu, "--reserve-cpu");
  if (options.reserve_memory) reservations["MemoryBytes"] = parse_memory(*options.reserve_memory, "--reserve-memory");

  Json task = Json::object();
  task["ContainerSpec"] = container;
  task["Resources"] = Json{{"Limits", limits}, {"Reservations", reservations}};
  if (options.restart_condition || options.restart_delay) {
    // Any restart flag sends the whole policy, docker's defaults (any, 5s) for the others.
    Json restart = Json::object();
    std::string condition = options.restart_condition.value_or("any");
    if (condition != "none" && condition != "on-failure" && condition != "any")
      throw Error(fmt::format("invalid argument \"{}\" for \"--restart-condition\" flag: invalid RestartCondition: {}",
                              condition, condition), 125);
    restart["Condition"] = condition;
    restart["Delay"] = options.restart_delay ? parse_duration(*options.restart_delay, "--restart-delay") : 5000000000LL;
    restart["MaxAttempts"] = 0;
    task["RestartPolicy"] = restart;
  }
  task["Placement"] = options.constraints.empty() ? Json::object() : Json{{"Constraints", options.constraints}};
  if (!options.networks.empty()) {
    task["Networks"] = Json::array();
    for (const auto& network : options.networks) task["Networks"].push_back({{"Target", network}});
  }
  task["ForceUpdate"] = 0;

  Json spec = Json::object();
  spec["Name"] = options.name;
  spec["Labels"] = Json::object();
  spec["TaskTemplate"] = task;
  if (options.mode == "global") {
    if (options.replicas) throw Error("replicas can only be used with replicated or replicated-job mode", 1);
    spec["Mode"] = Json{{"Global", Json::object()}};
  } else if (options.mode == "replicated") {
    // Without --replicas docker sends no count: the daemon's default (1) applies.
    spec["Mode"] = Json{{"Replicated", options.replicas ? Json{{"Replicas", *options.replicas}} : Json::object()}};
  } else {
    throw Error(fmt::format("invalid argument \"{}\" for \"--mode\" flag: unknown mode: {}", options.mode, options.mode), 125);
  }
  Json update = update_config(nullptr, options);
  if (!update.is_null()) spec["UpdateConfig"] = update;
  Json endpoint = Json{{"Mode", "vip"}};
  for (const auto& value : options.publish) endpoint["Ports"].push_back(published_port(value));
  spec["EndpointSpec"] = endpoint;
  return spec;
}

Json edited_ports(const Json& ports, const std::vector<std::string>& add, const std::vector<std::string>& remove) {
  std::vector<Json> removed;
  for (const auto& value : remove) removed.push_back(published_port(value));
  auto goes = [&](const Json& port) {
    return std::any_of(removed.begin(), removed.end(), [&](const Json& gone) {
      return str(gone, "Protocol") == str(port, "Protocol") && num(gone, "TargetPort") == num(port, "TargetPort") &&
             (num(gone, "PublishedPort") == 0 || num(gone, "PublishedPort") == num(port, "PublishedPort"));
    });
  };
  std::vector<Json> kept;
  if (ports.is_array())
    for (const auto& port : ports)
      if (!goes(port)) kept.push_back(port);
  for (const auto& value : add) {
    Json port = published_port(value);
    if (std::find(kept.begin(), kept.end(), port) == kept.end()) kept.push_back(port);
  }
  // docker's CLI sorts them as the text "PUBLISHED:TARGET/PROTOCOL/MODE".
  auto text = [](const Json& port) {
    return fmt::format("{}:{}/{}/{}", num(port, "PublishedPort"), num(port, "TargetPort"), str(port, "Protocol"),
                       str(port, "PublishMode"));
  };
  std::stable_sort(kept.begin(), kept.end(), [&](const Json& a, const Json& b) { return text(a) < text(b); });
  Json list = Json::array();
  for (auto& port : kept) list.push_back(std::move(port));
  return list;
}

std::vector<std::string> edited_constraints(std::vector<std::string> constraints, const std::vector<std::string>& add,
                                            const std::vector<std::string>& remove) {
  constraints.insert(constraints.end(), add.begin(), add.end());
  std::erase_if(constraints, [&](const std::string& constraint) {
    return std::find(remove.begin(), remove.end(), constraint) != remove.end();
  });
  std::sort(constraints.begin(), constraints.end());
  return constraints;
}

Json published_port(const std::string& value) {
  auto bad = [&](const std::string& why) -> Error {
    return Error(fmt::format("invalid argument \"{}\" for \"-p, --publish\" flag: {}", value, why), 125);
  };
  auto port_number = [&](const std::string& text) {
    if (text.empty() || text.size() > 5 || text.find_first_not_of("0123456789") != std::string::npos)
      throw bad(fmt::format("invalid port \"{}\"", text));
    int port = std::stoi(text);
    if (port < 1 || port > 65535) throw bad(fmt::format("invalid port \"{}\"", text));
    return port;
  };
  Json port = Json::object();
  std::string protocol = "tcp", mode = "ingress";
  int target = 0, published = 0;
  if (value.find('=') != std::string::npos) {  // the long form: published=8080,target=80,protocol=udp,mode=ingress
    std::istringstream fields(value);
    for (std::string field; std::getline(fields, field, ',');) {
      auto equals = field.find('=');
      std::string key = field.substr(0, equals), text = equals == std::string::npos ? "" : field.substr(equals + 1);
      if (key == "published") published = port_number(text);
      else if (key == "target") target = port_number(text);
      else if (key == "protocol") protocol = text;
      else if (key == "mode") mode = text;
      else throw bad(fmt::format("invalid field key {}", key));
    }
    if (target == 0) throw bad("missing mandatory field \"target\"");
  } else {  // [PUBLISHED:]TARGET[/PROTOCOL]
    std::string ports = value;
    if (auto slash = ports.find('/'); slash != std::string::npos) {
      protocol = ports.substr(slash + 1);
      ports = ports.substr(0, slash);
    }
    auto colon = ports.find(':');
    if (colon != std::string::npos) {
      published = port_number(ports.substr(0, colon));
      ports = ports.substr(colon + 1);
    }
    target = port_number(ports);
  }
  if (protocol != "tcp" && protocol != "udp" && protocol != "sctp") throw bad(fmt::format("invalid protocol \"{}\"", protocol));
  if (mode != "ingress" && mode != "host") throw bad(fmt::format("invalid publish mode value ({}). Must be either ingress or host", mode));
  port["Protocol"] = protocol;
  port["TargetPort"] = target;
  if (published != 0) port["PublishedPort"] = published;  // Go's omitempty: 0 is left out
  port["PublishMode"] = mode;
  return port;
}

// ---- progress

std::vector<ProgressMessage> ConvergeProgress::poll(const Json& service, const FetchTasks& fetch, double elapsed) {
  std::vector<ProgressMessage> out;
  double monitor = 5;
  const Json& update = at(service, {"Spec", "UpdateConfig"});
  if (update.is_object() && num(update, "Monitor") != 0) monitor = static_cast<double>(num(update, "Monitor")) / 1e9;
  const Json& status = at(service, {"UpdateStatus"});
  if (status.is_object()) {
    std::string state = str(status, "State"), message = str(status, "Message");
    if (state == "updating") {
      rollback_ = false;
    } else if (state == "completed") {
      if (!converged_) {
        done_ = true;
        return out;
      }
    } else if (state == "paused") {
      error_ = "service update paused: " + message;
      return out;
    } else if (state == "rollback_started") {
      if (!rollback_ && !message.empty()) out.push_back({"rollback", message});
      rollback_ = true;
    } else if (state == "rollback_paused") {
      error_ = "service rollback paused: " + message;
      return out;
    } else if (state == "rollback_completed") {
      if (!converged_) message_ = ProgressMessage{"rollback", message};
      rollback_ = true;
    }
  }
  if (converged_ && elapsed - converged_at_ >= monitor) {
    out.push_back({"verify", "Service converged"});
    if (message_) out.push_back(*message_);
    done_ = true;
    return out;
  }
  auto fetched = fetch();
  const std::vector<Json>& tasks = fetched.first;
  const std::vector<std::string>& active_nodes = fetched.second;
  auto overall = [&](int running, int count) {
    out.push_back({"overall progress", rollback_ ? fmt::format("rolling back update: {} out of {} tasks", running, count)
                                                 : fmt::format("{} out of {} tasks", running, count)});
  };
  auto active = [&](const std::string& node) {
    return std::find(active_nodes.begin(), active_nodes.end(), node) != active_nodes.end();
  };
  // Of several tasks in a slot (or on a node), the one with the lowest desired state, then
  // the lowest observed state.
  auto pick = [&](std::map<std::string, Json>& chosen, const std::string& key, const Json& task) {
    int desired = state_number(str(task, "DesiredState")), observed = state_number(status_state(task));
    if (desired == 0 || observed == 0) return;
    auto it = chosen.find(key);
    if (it != chosen.end()) {
      int old_desired = state_number(str(it->second, "DesiredState"));
      if (old_desired < desired) return;
      if (old_desired == desired && state_number(status_state(it->second)) <= observed) return;
    }
    chosen[key] = task;
  };
  auto task_progress = [&](const Json& task, const std::string& id) {
    std::string err = str(at(task, {"Status"}), "Err");
    if (!err.empty()) {
      std::replace(err.begin(), err.end(), '\n', ' ');
      if (err.size() > 75) err = err.substr(0, 74) + "…";
      out.push_back({id, err});
      return;
    }
    std::string state = status_state(task);
    if (!terminal_state(str(task, "DesiredState")) && !terminal_state(state))
      out.push_back({id, fmt::format("{:<9}", state), state_number(state), 9});
  };

  bool replicated = at(service, {"Spec", "Mode"}).contains("Replicated");
  bool converged = false;
  if (replicated) {
    std::int64_t replicas = num(at(service, {"Spec", "Mode", "Replicated"}), "Replicas");
    if (!initialized_) {
      overall(0, static_cast<int>(replicas));
      if (replicas <= 20)
        for (std::int64_t i = 1; i <= replicas; ++i) out.push_back({fmt::format("{}/{}", i, replicas), " "});
      initialized_ = true;
    }
    std::map<std::string, Json> chosen;
    std::map<std::int64_t, Json> by_slot;
    for (const auto& task : tasks) {
      std::string key = std::to_string(num(task, "Slot"));
      if (!str(task, "NodeID").empty() && !active(str(task, "NodeID"))) continue;
      pick(chosen, key, task);
    }
    for (auto& [key, task] : chosen) by_slot[std::stoll(key)] = task;
    if (all_running_)
      for (const auto& [slot, task] : by_slot)
        if (status_state(task) != "running") {
          all_running_ = false;
          break;
        }
    int running = 0;
    for (const auto& [slot, task] : by_slot) {
      int& mapped = slot_map_[slot];
      if (mapped == 0) mapped = static_cast<int>(slot_map_.size());
      if (!terminal_state(str(task, "DesiredState")) && status_state(task) == "running") ++running;
      if (!all_running_ && replicas <= 20 && mapped <= replicas) task_progress(task, fmt::format("{}/{}", mapped, replicas));
    }
    if (!all_running_) {
      overall(running, static_cast<int>(replicas));
      if (running == replicas) all_running_ = true;
    }
    converged = running == replicas;
  } else {
    std::map<std::string, Json> by_node;
    for (const auto& task : tasks) pick(by_node, str(task, "NodeID"), task);
    int count = static_cast<int>(by_node.size());
    if (!initialized_) {
      if (count == 0) {
        out.push_back({"overall progress", "waiting for new tasks"});
        converged_ = false;
        return out;
      }
      overall(0, count);
      initialized_ = true;
    }
    if (all_running_)
      for (const auto& [node, task] : by_node)
        if (status_state(task) != "running") {
          all_running_ = false;
          break;
        }
    int running = 0;
    for (const auto& [node, task] : by_node) {
      if (!active(node)) continue;
      if (!terminal_state(str(task, "DesiredState")) && status_state(task) == "running") ++running;
      if (!all_running_ && count <= 20) task_progress(task, truncate_id(node));
    }
    if (!all_running_) {
      overall(running, count);
      if (running == count) all_running_ = true;
    }
    converged = running == count;
  }
  converged_ = converged;
  if (converged) {
    if (converged_at_ < 0) converged_at_ = elapsed;
    double wait = monitor - (elapsed - converged_at_);
    if (wait >= 0)
      out.push_back({"verify", fmt::format("Waiting {} seconds to verify that tasks are stable...",
                                           std::max(1L, static_cast<long>(std::ceil(wait))))});
  } else {
    if (converged_at_ >= 0) out.push_back({"verify", "Detected task failure"});
    converged_at_ = -1;
  }
  return out;
}

}  // namespace dockling::ch15
