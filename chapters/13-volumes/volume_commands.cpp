#include "volume_commands.hpp"

#include <cstdio>
#include <iostream>
#include <map>

#include <fmt/format.h>

#include "dockling/cli.hpp"
#include "dockling/error.hpp"
#include "go_template.hpp"
#include "images_step.hpp"
#include "volume_store.hpp"

namespace dockling::ch13 {

namespace {

/// KEY=VALUE items (--label, --opt) as a map; a KEY alone has an empty value, as docker's.
std::map<std::string, std::string> pairs(const std::vector<std::string>& items) {
  std::map<std::string, std::string> map;
  for (const auto& item : items) {
    size_t equal = item.find('=');
    map[item.substr(0, equal)] = equal == std::string::npos ? "" : item.substr(equal + 1);
  }
  return map;
}

/// One `volume ls --filter`: dangling=true|false, name=PART, label=KEY[=VALUE], driver=NAME.
bool matches(const std::string& filter, const Volume& volume, bool in_use) {
  size_t equal = filter.find('=');
  if (equal == std::string::npos) throw Error(fmt::format("Invalid filter '{}'", filter), 1);
  std::string key = filter.substr(0, equal), value = filter.substr(equal + 1);
  if (key == "dangling") {
    if (value != "true" && value != "false" && value != "1" && value != "0")
      throw Error(fmt::format("Invalid filter 'dangling={}'", value), 1);
    return in_use != (value == "true" || value == "1");
  }
  if (key == "name") return volume.name().find(value) != std::string::npos;
  if (key == "driver") return value == "local";
  if (key == "label") {
    const auto& labels = volume.record.value("Labels", nlohmann::json::object());
    size_t label_equal = value.find('=');
    std::string label = value.substr(0, label_equal);
    if (!labels.contains(label)) return false;
    return label_equal == std::string::npos || labels[label] == value.substr(label_equal + 1);
  }
  throw Error(fmt::format("Invalid filter '{}'", key), 1);
}

}  // namespace

void VolumeCommands::add(CLI::App& app) {
  volume_ = add_command(app, "volume", "Manage volumes");
  volume_->require_subcommand(1);

  create_ = volume_->add_subcommand("create", "Create a volume");
  create_->add_option("VOLUME", name_, "The volume's name; none: a generated one");
  create_->add_option("-d,--driver", driver_, "Specify volume driver name (only local is built in)");
  create_->add_option("--label", labels_, "Set metadata for a volume (KEY=VALUE)")->allow_extra_args(false);
  create_->add_option("-o,--opt", options_, "Set driver specific options (type, device, o)")->allow_extra_args(false);

  ls_ = volume_->add_subcommand("ls", "List volumes");
  ls_->alias("list");
  ls_->add_flag("-q,--quiet", quiet_, "Only display volume names");
  ls_->add_option("-f,--filter", filters_, "Provide filter values (e.g. 'dangling=true')")->allow_extra_args(false);
  ls_->add_option("--format", format_, "Pretty-print volumes using a Go template");

  inspect_ = volume_->add_subcommand("inspect", "Display detailed information on one or more volumes");
  inspect_->add_option("VOLUME", names_, "The volumes")->required();
  inspect_->add_option("-f,--format", format_, "Format the output using the given Go template");

  rm_ = volume_->add_subcommand("rm", "Remove one or more volumes");
  rm_->alias("remove");
  rm_->add_option("VOLUME", names_, "The volumes")->required();
  rm_->add_flag("-f,--force", force_, "Force the removal of one or more volumes (a missing one is not an error)");

  prune_ = volume_->add_subcommand("prune", "Remove all unused local volumes");
  prune_->add_flag("-f,--force", force_, "Do not prompt for confirmation");
}

std::optional<int> VolumeCommands::run(const StateRoot& root) {
  if (!volume_ || !volume_->parsed()) return std::nullopt;
  if (create_->parsed()) return create(root);
  if (ls_->parsed()) return list(root);
  if (inspect_->parsed()) return inspect(root);
  if (rm_->parsed()) return remove(root);
  if (prune_->parsed()) return prune(root);
  return std::nullopt;
}

int VolumeCommands::create(const StateRoot& root) {
  if (driver_ != "local") throw Error(fmt::format("create {}: only the local volume driver is built in, not '{}'",
                                                  name_, driver_), 1);
  VolumeStore store(root);
  UniqueFd lock = store.lock();
  Volume volume = store.create(name_, pairs(labels_), pairs(options_), false);
  std::printf("%s\n", volume.name().c_str());
  return 0;
}

int VolumeCommands::list(const StateRoot& root) {
  std::optional<ch10::Template> format;
  if (!format_.empty()) format.emplace(format_, ch10::TemplateOptions{false, "*formatter.volumeContext"});
  VolumeStore store(root);
  std::vector<std::vector<std::string>> rows;
  if (!quiet_ && !format) rows.push_back({"DRIVER", "VOLUME NAME"});
  std::string text;
  for (const auto& volume : store.list()) {
    bool in_use = !store.users(volume.name()).empty();
    bool shown = true;
    for (const auto& filter : filters_) shown = shown && matches(filter, volume, in_use);
    if (!shown) continue;
    if (quiet_) text += volume.name() + "\n";
    else if (format) text += format->render(nlohmann::json{{"Name", volume.name()}, {"Driver", "local"},
                                                          {"Mountpoint", volume.data().string()},
                                                          {"Scope", "local"}, {"Labels", volume.record["Labels"]}}) +
                             "\n";
    else rows.push_back({"local", volume.name()});
  }
  std::cout << (quiet_ || format ? text : ch10::format_table(rows)) << std::flush;
  return 0;
}

int VolumeCommands::inspect(const StateRoot& root) {
  std::optional<ch10::Template> format;
  if (!format_.empty()) format.emplace(format_, ch10::TemplateOptions{true, ""});
  VolumeStore store(root);
  nlohmann::json found = nlohmann::json::array();
  int code = ch10::for_each_reporting(names_, [&](const std::string& name) { found.push_back(store.get(name).inspect()); });
  std::string text;
  if (format) {
    for (const auto& volume : found) text += format->render(volume) + "\n";
  } else {
    text = found.dump(4) + "\n";  // docker's CLI indents with 4 spaces; none found is "[]"
  }
  std::cout << text << std::flush;
  return code;
}

int VolumeCommands::remove(const StateRoot& root) {
  VolumeStore store(root);
  UniqueFd lock = store.lock();
  return ch10::for_each_reporting(names_, [&](const std::string& name) {
    std::optional<Volume> volume = store.find(name);
    if (!volume && !force_) throw Error(fmt::format("No such volume: {}", name), 1);
    if (volume) store.remove(*volume);
    std::printf("%s\n", name.c_str());
  });
}

int VolumeCommands::prune(const StateRoot& root) {
  if (!force_ && !ch10::confirmed("WARNING! This will remove all local volumes not used by at least one container.\n"))
    return 0;
  VolumeStore store(root);
  UniqueFd lock = store.lock();
  PruneReport report = store.prune();
  if (!report.removed.empty()) {
    std::printf("Deleted Volumes:\n");
    for (const auto& name : report.removed) std::printf("%s\n", name.c_str());
    std::printf("\n");
  }
  std::printf("Total reclaimed space: %s\n", ch10::human_size(report.bytes, 4).c_str());
  return 0;
}

}  // namespace dockling::ch13
