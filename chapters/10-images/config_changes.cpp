// docker's container config shape, and the Dockerfile instructions `import --change` takes,
// with the messages docker 20.10's daemon answers (moby's builder/dockerfile dispatchers).
#include "config_changes.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "dockerfile_words.hpp"
#include "dockling/error.hpp"
#include "dockling/text.hpp"

namespace dockling::ch10 {

namespace {

using ojson = nlohmann::ordered_json;

// Go's container.Config: the fields in order, and whether `omitempty` hides a zero one.
struct Field {
  const char* name;
  ojson zero;
  bool omitempty;
};

const std::vector<Field>& container_config_fields() {
  static const std::vector<Field> fields{
      {"Hostname", "", false},        {"Domainname", "", false},     {"User", "", false},
      {"AttachStdin", false, false},  {"AttachStdout", false, false}, {"AttachStderr", false, false},
      {"ExposedPorts", nullptr, true}, {"Tty", false, false},        {"OpenStdin", false, false},
      {"StdinOnce", false, false},    {"Env", nullptr, false},       {"Cmd", nullptr, false},
      {"Healthcheck", nullptr, true}, {"ArgsEscaped", false, true},  {"Image", "", false},
      {"Volumes", nullptr, false},    {"WorkingDir", "", false},     {"Entrypoint", nullptr, false},
      {"NetworkDisabled", false, true}, {"MacAddress", "", true},    {"OnBuild", nullptr, false},
      {"Labels", nullptr, false},     {"StopSignal", "", true},      {"StopTimeout", nullptr, true},
      {"Shell", nullptr, true},
  };
  return fields;
}

bool is_zero(const nlohmann::json& value) {
  if (value.is_null()) return true;
  if (value.is_boolean()) return !value.get<bool>();
  if (value.is_string() || value.is_array() || value.is_object()) return value.empty();
  return false;
}

[[noreturn]] void refuse(const std::string& message) { throw Error(message, 1); }

std::string trim(std::string_view text) {
  auto begin = std::find_if_not(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c); });
  auto end = std::find_if_not(text.rbegin(), text.rend(), [](unsigned char c) { return std::isspace(c); }).base();
  return begin < end ? std::string(begin, end) : std::string();
}

// moby's shell lexer (ProcessWord): quotes removed, `\` escapes, $NAME, ${NAME},
// ${NAME:-word} and ${NAME:+word} from the environment.
class WordProcessor {
 public:
  WordProcessor(std::string_view word, const std::map<std::string, std::string>& env) : word_(word), env_(env) {}

  std::string process() {
    std::string result;
    while (pos_ < word_.size()) {
      char c = word_[pos_];
      if (c == '\'') {
        size_t end = word_.find('\'', pos_ + 1);
        if (end == std::string_view::npos)
          refuse(fmt::format("failed to process \"{}\": unexpected end of statement while looking for matching single-quote", word_));
        result += word_.substr(pos_ + 1, end - pos_ - 1);
        pos_ = end + 1;
      } else if (c == '"') {
        ++pos_;
        while (true) {
          if (pos_ >= word_.size())
            refuse(fmt::format("failed to process \"{}\": unexpected end of statement while looking for matching double-quote", word_));
          char d = word_[pos_];
          if (d == '"') {
            ++pos_;
            break;
          }
          if (d == '\\' && pos_ + 1 < word_.size() && (word_[pos_ + 1] == '"' || word_[pos_ + 1] == '$' || word_[pos_ + 1] == '\\')) {
            result += word_[pos_ + 1];
            pos_ += 2;
          } else if (d == '$') {
            result += variable();
          } else {
            result += d;
            ++pos_;
          }
        }
      } else if (c == '\\') {
        if (pos_ + 1 < word_.size()) result += word_[pos_ + 1];
        pos_ += 2;
      } else if (c == '$') {
        result += variable();
      } else {
        result += c;
        ++pos_;
      }
    }
    return result;
  }

 private:
  static bool name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

  std::string lookup(const std::string& name) const {
    auto found = env_.find(name);
    return found == env_.end() ? "" : found->second;
  }

  // At a '$': the value it names, or a literal '$'.
  std::string variable() {
    ++pos_;
    if (pos_ < word_.size() && word_[pos_] == '{') {
      size_t end = word_.find('}', pos_);
      if (end == std::string_view::npos) refuse(fmt::format("failed to process \"{}\": missing '}}'", word_));
      std::string inside(word_.substr(pos_ + 1, end - pos_ - 1));
      pos_ = end + 1;
      size_t colon = inside.find(':');
      if (colon == std::string::npos) return lookup(inside);
      std::string name = inside.substr(0, colon), word = inside.substr(std::min(inside.size(), colon + 2));
      char modifier = colon + 1 < inside.size() ? inside[colon + 1] : '\0';
      bool set = !lookup(name).empty();
      if (modifier == '-') return set ? lookup(name) : WordProcessor(word, env_).process();
      if (modifier == '+') return set ? WordProcessor(word, env_).process() : "";
      refuse(fmt::format("failed to process \"{}\": unsupported modifier ({}) in substitution", word_, modifier));
    }
    size_t start = pos_;
    while (pos_ < word_.size() && name_char(word_[pos_])) ++pos_;
    if (pos_ == start) return "$";
    return lookup(std::string(word_.substr(start, pos_ - start)));
  }

  std::string_view word_;
  const std::map<std::string, std::string>& env_;
  size_t pos_ = 0;
};

std::string expand(std::string_view word, const ojson& config) {
  auto env = env_map(config);
  return WordProcessor(word, env).process();
}

// The JSON form (["a", "b"]) when the text is one; nullopt for the shell form.
std::optional<std::vector<std::string>> json_form(const std::string& text) {
  if (text.empty() || text[0] != '[') return std::nullopt;
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_array()) return std::nullopt;
  std::vector<std::string> words;
  for (const auto& item : parsed) {
    if (!item.is_string()) refuse("when using JSON array syntax, arrays must be comprised of strings only");
    words.push_back(item.get<std::string>());
  }
  return words;
}

// CMD, ENTRYPOINT, HEALTHCHECK CMD: JSON form as written, shell form through /bin/sh -c.
ojson command_line(const std::string& rest) {
  if (auto words = json_form(rest)) return *words;
  ojson line = ojson::array({"/bin/sh", "-c"});
  if (!rest.empty()) line.push_back(rest);
  return line;
}

// ENV and LABEL: name=value words, or the old "name value" form.
std::vector<std::pair<std::string, std::string>> name_values(const std::string& instruction, const std::string& rest,
                                                             const ojson& config) {
  std::vector<std::string> words = split_words(rest);
  if (words.empty()) refuse(fmt::format("{} requires at least one argument", instruction));
  std::vector<std::pair<std::string, std::string>> pairs;
  if (words[0].find('=') == std::string::npos) {
    size_t space = rest.find_first_of(" \t");
    if (space == std::string::npos) refuse(fmt::format("{} must have two arguments", instruction));
    pairs.emplace_back(expand(rest.substr(0, space), config), expand(trim(rest.substr(space)), config));
    return pairs;
  }
  for (const auto& word : words) {
    size_t equals = word.find('=');
    if (equals == std::string::npos)
      refuse(fmt::format("Syntax error - can't find = in \"{}\". Must be of the form: name=value", word));
    std::string name = expand(word.substr(0, equals), config);
    if (name.empty()) refuse(fmt::format("{} names can not be blank", instruction));
    pairs.emplace_back(name, expand(word.substr(equals + 1), config));
  }
  return pairs;
}

// EXPOSE: "80", "80/udp", "8000-8002/tcp" become ExposedPorts keys.
void expose(ojson& config, const std::string& rest) {
  std::vector<std::string> words = split_words(rest);
  if (words.empty()) refuse("EXPOSE requires at least one argument");
  for (const auto& raw : words) {
    std::string spec = expand(raw, config);
    std::string proto = "tcp", ports = spec;
    if (size_t slash = spec.find('/'); slash != std::string::npos) {
      ports = spec.substr(0, slash);
      proto = ascii_lower(spec.substr(slash + 1));
    }
    if (proto != "tcp" && proto != "udp" && proto != "sctp") refuse(fmt::format("Invalid proto: {}", proto));
    auto number = [&](const std::string& text) {
      if (text.empty() || text.size() > 5 || !std::all_of(text.begin(), text.end(), ::isdigit))
        refuse(fmt::format("Invalid containerPort: {}", ports));
      long port = std::strtol(text.c_str(), nullptr, 10);
      if (port > 65535) refuse(fmt::format("Invalid containerPort: {}", ports));
      return port;
    };
    size_t dash = ports.find('-');
    long first = number(ports.substr(0, dash));
    long last = dash == std::string::npos ? first : number(ports.substr(dash + 1));
    if (last < first) refuse(fmt::format("Invalid containerPort: {}", ports));
    if (!config["ExposedPorts"].is_object()) config["ExposedPorts"] = ojson::object();
    for (long port = first; port <= last; ++port) config["ExposedPorts"][fmt::format("{}/{}", port, proto)] = ojson::object();
  }
}

// A Go duration ("30s", "1m30s", "500ms") in nanoseconds.
std::int64_t go_duration(const std::string& text) {
  static const std::vector<std::pair<std::string, double>> units{
      {"ns", 1}, {"us", 1e3}, {"µs", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
  double total = 0;
  size_t pos = 0;
  if (text.empty()) refuse(fmt::format("time: invalid duration \"{}\"", text));
  if (text == "0") return 0;
  while (pos < text.size()) {
    size_t start = pos;
    while (pos < text.size() && (std::isdigit(static_cast<unsigned char>(text[pos])) || text[pos] == '.')) ++pos;
    if (pos == start) refuse(fmt::format("time: invalid duration \"{}\"", text));
    double value = std::strtod(text.substr(start, pos - start).c_str(), nullptr);
    size_t unit_start = pos;
    while (pos < text.size() && !std::isdigit(static_cast<unsigned char>(text[pos])) && text[pos] != '.') ++pos;
    std::string unit = text.substr(unit_start, pos - unit_start);
    auto found = std::find_if(units.begin(), units.end(), [&](const auto& u) { return u.first == unit; });
    if (found == units.end())
      refuse(unit.empty() ? fmt::format("time: missing unit in duration \"{}\"", text)
                          : fmt::format("time: unknown unit \"{}\" in duration \"{}\"", unit, text));
    total += value * found->second;
  }
  return static_cast<std::int64_t>(total);
}

// HEALTHCHECK NONE, or HEALTHCHECK [--interval=D] [--timeout=D] [--start-period=D] [--retries=N] CMD …
void healthcheck(ojson& config, std::string rest) {
  ojson check = ojson::object();
  std::map<std::string, std::string> flags;
  while (rest.rfind("--", 0) == 0) {
    size_t end = rest.find_first_of(" \t");
    std::string flag = rest.substr(2, end == std::string::npos ? std::string::npos : end - 2);
    rest = end == std::string::npos ? "" : trim(rest.substr(end));
    size_t equals = flag.find('=');
    std::string name = flag.substr(0, equals);
    if (name != "interval" && name != "timeout" && name != "start-period" && name != "retries")
      refuse(fmt::format("Unknown flag: {}", name));
    flags[name] = equals == std::string::npos ? "" : flag.substr(equals + 1);
  }
  size_t space = rest.find_first_of(" \t");
  std::string kind = ascii_lower(rest.substr(0, space));
  std::string args = space == std::string::npos ? "" : trim(rest.substr(space));
  if (kind == "none") {
    if (!args.empty() || !flags.empty()) refuse("HEALTHCHECK NONE takes no arguments");
    config["Healthcheck"] = ojson{{"Test", {"NONE"}}};
    return;
  }
  if (kind != "cmd") refuse(fmt::format("Unknown type \"{}\" in HEALTHCHECK (try CMD)", kind));
  if (args.empty()) refuse("Missing command after HEALTHCHECK CMD");
  ojson test = ojson::array();
  if (auto words = json_form(args)) {
    test.push_back("CMD");
    for (const auto& word : *words) test.push_back(word);
  } else {
    test = ojson::array({"CMD-SHELL", args});
  }
  check["Test"] = test;
  for (const auto& [flag, key] : {std::pair{"interval", "Interval"}, {"timeout", "Timeout"}, {"start-period", "StartPeriod"}}) {
    if (!flags.count(flag)) continue;
    std::int64_t ns = go_duration(flags[flag]);
    if (ns != 0) check[key] = ns;
  }
  if (flags.count("retries")) {
    const std::string& text = flags["retries"];
    if (text.empty() || !std::all_of(text.begin(), text.end(), ::isdigit))
      refuse(fmt::format("strconv.ParseInt: parsing \"{}\": invalid syntax", text));
    if (long retries = std::strtol(text.c_str(), nullptr, 10); retries != 0) check["Retries"] = retries;
  }
  config["Healthcheck"] = check;
}

// WORKDIR: a relative path continues the previous one; the result is cleaned.
std::string workdir(const std::string& previous, const std::string& requested) {
  std::string path = requested.rfind('/', 0) == 0 ? requested : (previous.empty() ? "/" : previous) + "/" + requested;
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(start, end - start);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    start = end + 1;
  }
  std::string clean;
  for (const auto& part : parts) clean += "/" + part;
  return clean.empty() ? "/" : clean;
}

void apply_change(ojson& config, const std::string& line) {
  std::string text = trim(line);
  size_t space = text.find_first_of(" \t");
  std::string instruction = ascii_lower(text.substr(0, space));
  std::string rest = space == std::string::npos ? "" : trim(text.substr(space));
  if (instruction == "cmd") {
    config["Cmd"] = command_line(rest);
  } else if (instruction == "entrypoint") {
    ojson entrypoint = command_line(rest);
    config["Entrypoint"] = entrypoint.empty() ? ojson(nullptr) : entrypoint;  // ENTRYPOINT [] unsets it
  } else if (instruction == "env") {
    for (const auto& [name, value] : name_values("ENV", rest, config)) {
      if (!config["Env"].is_array()) config["Env"] = ojson::array();
      std::string entry = name + "=" + value;
      auto& env = config["Env"];
      // An init-capture: clang before 16 cannot capture a structured binding.
      auto same = std::find_if(env.begin(), env.end(), [&name = name](const ojson& e) {
        const auto& s = e.get_ref<const std::string&>();
        return s.rfind(name + "=", 0) == 0 || s == name;
      });
      if (same != env.end())
        *same = entry;
      else
        env.push_back(entry);
    }
  } else if (instruction == "label") {
    for (const auto& [name, value] : name_values("LABEL", rest, config)) {
      if (!config["Labels"].is_object()) config["Labels"] = ojson::object();
      config["Labels"][name] = value;
    }
  } else if (instruction == "expose") {
    expose(config, rest);
  } else if (instruction == "user") {
    if (rest.empty()) refuse("USER requires exactly one argument");
    config["User"] = expand(rest, config);
  } else if (instruction == "workdir") {
    if (rest.empty()) refuse("WORKDIR requires exactly one argument");
    config["WorkingDir"] = workdir(config.value("WorkingDir", ""), expand(rest, config));
  } else if (instruction == "volume") {
    std::vector<std::string> paths;
    if (auto words = json_form(rest))
      paths = *words;
    else
      for (const auto& word : split_words(rest)) paths.push_back(expand(word, config));
    if (paths.empty()) refuse("VOLUME requires at least one argument");
    for (const auto& path : paths) {
      if (trim(path).empty()) refuse("VOLUME specified can not be an empty string");
      if (!config["Volumes"].is_object()) config["Volumes"] = ojson::object();
      config["Volumes"][path] = ojson::object();
    }
  } else if (instruction == "onbuild") {
    std::string trigger = ascii_lower(rest.substr(0, rest.find_first_of(" \t")));
    if (trigger == "onbuild") refuse("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
    if (trigger == "from" || trigger == "maintainer")
      refuse(fmt::format("{} isn't allowed as an ONBUILD trigger", trigger == "from" ? "FROM" : "MAINTAINER"));
    if (rest.empty()) refuse("ONBUILD requires at least one argument");
    if (!config["OnBuild"].is_array()) config["OnBuild"] = ojson::array();
    config["OnBuild"].push_back(rest);
  } else if (instruction == "healthcheck") {
    healthcheck(config, rest);
  } else {
    // STOPSIGNAL, SHELL, RUN, … : docker 20.10's import and commit refuse them too.
    refuse(fmt::format("{} is not a valid change command", instruction));
  }
}

}  // namespace

std::map<std::string, std::string> env_map(const ojson& config) {
  std::map<std::string, std::string> env;
  if (config.contains("Env") && config["Env"].is_array())
    for (const auto& entry : config["Env"]) {
      std::string text = entry.get<std::string>();
      size_t equals = text.find('=');
      env[text.substr(0, equals)] = equals == std::string::npos ? "" : text.substr(equals + 1);
    }
  return env;
}


ojson docker_container_config(const nlohmann::json& config) {
  ojson shaped;
  for (const auto& field : container_config_fields()) {
    bool present = config.is_object() && config.contains(field.name);
    if (field.omitempty) {
      if (present && !is_zero(config[field.name])) shaped[field.name] = config[field.name];
      if (present && std::string_view(field.name) == "Healthcheck" && shaped.contains("Healthcheck")) {
        ojson ordered;  // HealthConfig's field order, not the sorted keys of a map
        for (const char* key : {"Test", "Interval", "Timeout", "StartPeriod", "Retries"})
          if (config[field.name].contains(key)) ordered[key] = config[field.name][key];
        shaped["Healthcheck"] = ordered;
      }
    } else {
      shaped[field.name] = present ? ojson(config[field.name]) : field.zero;
    }
  }
  return shaped;
}

void apply_changes(ojson& config, const std::vector<std::string>& changes) {
  // docker joins the changes into one Dockerfile: a change may hold several lines, and
  // blank lines and comments are skipped.
  std::vector<std::string> lines;
  for (const auto& change : changes) {
    size_t start = 0;
    while (start <= change.size()) {
      size_t end = change.find('\n', start);
      if (end == std::string::npos) end = change.size();
      std::string line = trim(std::string_view(change).substr(start, end - start));
      if (!line.empty() && line[0] != '#') lines.push_back(line);
      start = end + 1;
    }
  }
  if (!changes.empty() && lines.empty()) refuse("file with no instructions");
  for (const auto& line : lines) apply_change(config, line);
  // Fields a change added go where docker's struct has them (ExposedPorts after AttachStderr).
  config = docker_container_config(nlohmann::json(config));
}

}  // namespace dockling::ch10
