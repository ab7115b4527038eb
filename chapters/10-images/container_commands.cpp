#include "container_commands.hpp"
#include "rootless_store.hpp"

#include <signal.h>
#include <unistd.h>

#include <ctime>
#include <iostream>

#include <fmt/format.h>

#include "container_ports.hpp"
#include "container_store.hpp"
#include "dockling/cli.hpp"
#include "dockling/error.hpp"
#include "image_store.hpp"
#include "archive_io.hpp"
#include "go_template.hpp"
#include "image_commit.hpp"
#include "images_step.hpp"
#include "rw_layer.hpp"

namespace dockling::ch10 {

/// The command line as docker's list shows it: Path, then Args, joined by spaces.
std::string command_line(const nlohmann::json& json) {
  std::string text = json.value("Path", "");
  // dockerd's rule (daemon/list.go): an argument with a space in single quotes, nothing escaped.
  for (const auto& arg : json.value("Args", std::vector<std::string>{}))
    text += arg.find(' ') == std::string::npos ? " " + arg : " '" + arg + "'";
  return text;
}

std::string status_text(const ContainerRecord& record, double now) {
  const auto& state = record.json.value("State", nlohmann::json::object());
  std::string status = record.status();
  if (status == "running")
    return "Up " + human_duration(now - rfc3339_seconds(state.value("StartedAt", "")));
  if (status == "restarting")
    return fmt::format("Restarting ({}) {} ago", state.value("ExitCode", 0),
                       human_duration(now - rfc3339_seconds(state.value("FinishedAt", ""))));
  if (status == "exited") {
    std::string finished = state.value("FinishedAt", "");
    // A runtime killed before it could record the end: the container died with it.
    if (finished.empty()) return "Exited (137)";
    return fmt::format("Exited ({}) {} ago", state.value("ExitCode", 0), human_duration(now - rfc3339_seconds(finished)));
  }
  return "Created";
}

namespace {

/// Waits up to `seconds` for `process` to be gone.
bool wait_gone(const ProcessIdentity& process, int seconds) {
  for (int i = 0; i < seconds * 100 && process.alive(); ++i) ::usleep(10000);
  return !process.alive();
}

}  // namespace

std::string ps_command(const std::string& command, bool full) {
  std::string text = command;
  if (!full) {
    // Go counts runes: cut on UTF-8 character boundaries.
    size_t runes = 0, cut = std::string::npos;
    for (size_t i = 0; i < text.size(); ++i)
      if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80 && runes++ == 19) cut = i;
    if (runes > 20) text = text.substr(0, cut) + "…";
  }
  std::string quoted = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\')
      quoted += std::string("\\") + static_cast<char>(c);
    else if (c == '\n')
      quoted += "\\n";
    else if (c == '\t')
      quoted += "\\t";
    else if (c == '\r')
      quoted += "\\r";
    else if (c < 0x20 || c == 0x7f)
      quoted += fmt::format("\\x{:02x}", c);
    else
      quoted += static_cast<char>(c);
  }
  return quoted + "\"";
}

void ContainerCommands::add_commands(CLI::App& app) {
  ps_ = add_command(app, "ps", "List containers");
  ps_->add_flag("-a,--all", all_, "Show all containers (default shows just running)");
  ps_->add_flag("-q,--quiet", quiet_, "Only display container IDs");
  ps_->add_flag("--no-trunc", no_trunc_, "Don't truncate output");
  ps_->add_option("-n,--last", last_, "Show n last created containers (includes all states)");
  ps_->add_flag("-l,--latest", latest_, "Show the latest created container (includes all states)");
  ps_->add_option("--format", format_, "Pretty-print containers using a Go template (\"table ...\" adds the headers)");

  rm_ = add_command(app, "rm", "Remove one or more containers");
  rm_->add_option("CONTAINER", rm_containers_, "Containers: names, ids or id prefixes")->required();
  rm_->add_flag("-f,--force", force_, "Force the removal of a running container (uses SIGKILL)");

  diff_ = add_command(app, "diff", "Inspect changes to files or directories on a container's filesystem");
  diff_->add_option("CONTAINER", container_, "The container: a name, an id or an id prefix")->required();

  commit_ = add_command(app, "commit", "Create a new image from a container's changes");
  commit_->add_option("CONTAINER", container_, "The container: a name, an id or an id prefix")->required();
  commit_->add_option("REPOSITORY[:TAG]", reference_, "The new image's name (none: untagged)");
  commit_->add_option("-m,--message", message_, "Commit message");
  commit_->add_option("-c,--change", changes_, "Apply Dockerfile instruction to the created image")
      ->allow_extra_args(false);
  commit_->add_option("-a,--author", author_, "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")");
  commit_->add_flag("-p,--pause,!--no-pause", pause_, "Pause container during commit (accepted; a running "
                                                     "container is read as it is)");

  export_command_ = add_command(app, "export", "Export a container's filesystem as a tar archive");
  export_command_->add_option("CONTAINER", container_, "The container: a name, an id or an id prefix")->required();
  export_command_->add_option("-o,--output", output_, "Write to a file, instead of STDOUT");

  port_ = add_command(app, "port", "List port mappings or a specific mapping for the container");
  port_->add_option("CONTAINER", container_, "The container: a name, an id or an id prefix")->required();
  port_->add_option("PRIVATE_PORT[/PROTO]", private_port_, "Only this container port (tcp unless /udp)");
}

std::optional<int> ContainerCommands::run_command(const StateRoot& root) {
  if (ps_->parsed()) return ps(root);
  // A rootless container's rw layer holds files of the user's subordinate ids.
  if (rm_->parsed() || diff_->parsed() || commit_->parsed() || export_command_->parsed()) enter_rootless_namespace();
  if (rm_->parsed()) return rm(root);
  if (diff_->parsed()) return diff(root);
  if (commit_->parsed()) return commit(root);
  if (export_command_->parsed()) return export_(root);
  if (port_->parsed()) return port(root);
  return std::nullopt;
}

std::string image_column(const ContainerRecord& record, const ImageStore& images) {
  std::string name = record.json.value("Config", nlohmann::json::object()).value("Image", "");
  std::string id = record.json.value("Image", "");
  try {
    if (name != id && images.find(name).id == id) return name;
  } catch (const Error&) {
  }
  return id.substr(id.rfind(':') + 1, 12);
}

namespace {

/// The fields `ps --format` templates see, docker's names (formatter.ContainerContext).
nlohmann::ordered_json ps_fields(const std::string& id, const std::string& image, const std::string& command,
                                 const std::string& created_at, const std::string& running_for,
                                 const std::string& ports, const std::string& state, const std::string& status,
                                 const std::string& name, const nlohmann::json& labels) {
  std::string label_text;
  for (const auto& [key, value] : labels.items())
    label_text += (label_text.empty() ? "" : ",") + key + "=" + value.get<std::string>();
  return {{"ID", id},       {"Image", image},         {"Command", command}, {"CreatedAt", created_at},
          {"RunningFor", running_for}, {"Ports", ports},  {"State", state},     {"Status", status},
          {"Size", "0B"},   {"Names", name},          {"Labels", label_text}, {"Mounts", ""},
          {"Networks", ""}};
}

/// `ps --format`'s output: each row rendered; with "table ", a header row of docker's column
/// names first and the tab-separated cells aligned as docker's tabwriter does.
std::string render_rows(const std::string& format, const std::vector<nlohmann::ordered_json>& rows) {
  // As docker's formatter: "table" off the front, spaces trimmed, \t and \n as typed become
  // a tab and a newline.
  bool table = format.rfind("table", 0) == 0;
  std::string text = table ? format.substr(5) : format;
  text.erase(0, text.find_first_not_of(' '));
  text.erase(text.find_last_not_of(' ') + 1);
  for (auto [typed, meant] : {std::pair<const char*, const char*>{"\\t", "\t"}, {"\\n", "\n"}})
    for (size_t at; (at = text.find(typed)) != std::string::npos;) text.replace(at, 2, meant);
  Template tmpl(text, TemplateOptions{false, "*formatter.ContainerContext"});
  std::vector<std::string> lines;
  if (table)
    lines.push_back(tmpl.render(ps_fields("CONTAINER ID", "IMAGE", "COMMAND", "CREATED AT", "CREATED", "PORTS", "STATE",
                                          "STATUS", "NAMES", nlohmann::json::object())));
  for (const auto& row : rows) lines.push_back(tmpl.render(row));
  if (!table) {
    std::string out;
    for (const auto& line : lines) out += line + "\n";
    return out;
  }
  std::vector<std::vector<std::string>> cells;
  for (const auto& line : lines) {
    std::vector<std::string> row;
    size_t start = 0;
    for (size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1)
      row.push_back(line.substr(start, tab - start));
    row.push_back(line.substr(start));
    cells.push_back(row);
  }
  return format_table(cells);
}

/// "2026-11-30 12:00:00 +0000 UTC", as Go prints a time (docker's CreatedAt).
std::string go_time(const std::string& rfc3339) {
  std::time_t seconds = static_cast<std::time_t>(rfc3339_seconds(rfc3339));
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char text[64];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S +0000 UTC", &utc);
  return text;
}

}  // namespace

int ContainerCommands::ps(const StateRoot& root) {
  std::vector<ContainerRecord> records = ContainerStore(root).list();
  ImageStore images(root);
  if (latest_) last_ = 1;
  std::vector<nlohmann::ordered_json> formatted;
  std::vector<std::vector<std::string>> rows{{"CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"}};
  std::string quiet_text;
  double now = now_seconds();
  int shown = 0;
  for (const auto& record : records) {
    if (last_ >= 0 && shown >= last_) break;
    if (!all_ && last_ < 0 && record.status() != "running") continue;
    ++shown;
    std::string id = no_trunc_ ? record.id() : record.id().substr(0, 12);
    if (quiet_) {
      quiet_text += id + "\n";
      continue;
    }
    std::string image = image_column(record, images), command = ps_command(command_line(record.json), no_trunc_);
    std::string created = human_duration(now - rfc3339_seconds(record.json.value("Created", ""))) + " ago";
    std::string status = status_text(record, now);
    std::string ports = ps_ports(record.network_ports());
    if (!format_.empty()) {
      formatted.push_back(ps_fields(id, image, command, go_time(record.json.value("Created", "")), created,
                                    ports, record.status(), status, record.name(),
                                    record.json.value("Config", nlohmann::json::object())
                                        .value("Labels", nlohmann::json::object())));
      continue;
    }
    rows.push_back({id, image, command, created, status, ports, record.name()});
  }
  if (quiet_)
    std::cout << quiet_text << std::flush;
  else
    std::cout << (format_.empty() ? format_table(rows) : render_rows(format_, formatted)) << std::flush;
  return 0;
}

int ContainerCommands::diff(const StateRoot& root) {
  ContainerRecord record = ContainerStore(root).find(container_);
  for (const auto& change : container_changes(record))
    std::cout << change.kind << " " << change.path << "\n";
  std::cout << std::flush;
  return 0;
}

int ContainerCommands::commit(const StateRoot& root) {
  std::optional<Reference> name;
  if (!reference_.empty()) name = parse_reference(reference_);
  ContainerRecord record = ContainerStore(root).find(container_);
  std::cout << commit_container(root, record, name, {message_, author_, changes_}) << std::endl;
  return 0;
}

int ContainerCommands::export_(const StateRoot& root) {
  ContainerRecord record = ContainerStore(root).find(container_);
  ::signal(SIGPIPE, SIG_IGN);  // a reader that stops early: an error, and the clean-up runs
  write_output(output_, [&](int fd) { export_container(record, fd); });
  return 0;
}

int ContainerCommands::port(const StateRoot& root) {
  ContainerRecord record = ContainerStore(root).find(container_);
  for (const auto& line : port_lines(record.network_ports(), private_port_, container_)) std::cout << line << "\n";
  std::cout << std::flush;
  return 0;
}

int ContainerCommands::rm(const StateRoot& root) {
  ContainerStore store(root);
  return for_each_reporting(rm_containers_, [&](const std::string& text) {
    ContainerRecord record = store.find(text);
    if (record.status() == "running") {
      if (!force_)
        throw Error(fmt::format("You cannot remove a running container {}. Stop the container before attempting "
                                "removal or force remove",
                                record.id()),
                    1);
      const auto& state = record.json["State"];
      ProcessIdentity process{state.value("Pid", 0), state.value("PidStartTime", std::uint64_t{0})};
      const auto& holder = state.value("Monitor", nlohmann::json::object());
      ProcessIdentity monitor{holder.value("Pid", 0), holder.value("StartTime", std::uint64_t{0})};
      if (process.alive()) ::kill(process.pid, SIGKILL);
      // The `run` that holds it cleans up its network and cgroups when it ends: let it.
      wait_gone(process, 10);
      wait_gone(monitor, 10);
    }
    ContainerStore::remove(record);
    std::cout << text << "\n";
  });
}

}  // namespace dockling::ch10
