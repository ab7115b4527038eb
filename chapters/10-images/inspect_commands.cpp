// `inspect` and `history`, printed as docker 20.10's CLI prints them.
#include "inspect_commands.hpp"

#include <cerrno>
#include <ctime>
#include <iostream>

#include <fmt/format.h>

#include "dockling/cli.hpp"
#include "dockling/error.hpp"
#include "container_inspect.hpp"
#include "container_store.hpp"
#include "go_template.hpp"
#include "image_inspect.hpp"
#include "image_store.hpp"
#include "images_step.hpp"

namespace dockling::ch10 {

namespace {

// docker's Ellipsis: at most `width` characters, the last one "…" when cut (UTF-8 aware).
std::string ellipsis(const std::string& text, size_t width) {
  std::vector<size_t> starts;  // where each character begins
  for (size_t i = 0; i < text.size(); ++i)
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) starts.push_back(i);
  if (starts.size() <= width) return text;
  return text.substr(0, starts[width - 1]) + "…";
}

// docker's stringid.TruncateID: the hex without "sha256:", 12 digits.
std::string short_id(const std::string& id) {
  std::string hex = id.rfind("sha256:", 0) == 0 ? id.substr(7) : id;
  return hex.size() > 12 ? hex.substr(0, 12) : hex;
}

}  // namespace

void InspectCommands::add_commands(CLI::App& app) {
  inspect_ = add_command(app, "inspect", "Return low-level information on Docker objects");
  inspect_->add_option("NAME", inspect_names_, "Containers or images: names or ids")->required();
  inspect_->add_option("-f,--format", inspect_format_, "Format the output using the given Go template");
  inspect_->add_option("--type", inspect_type_, "Return JSON for specified type: container or image");

  history_ = add_command(app, "history", "Show the history of an image");
  history_->add_option("IMAGE", history_image_, "The image: a name or an id")->required();
  history_->add_flag("--no-trunc", history_no_trunc_, "Don't truncate output");
  history_->add_flag("-q,--quiet", history_quiet_, "Only show image IDs");
  history_->add_option("--format", history_format_, "Pretty-print images using a Go template");
}

std::optional<int> InspectCommands::run_command(const StateRoot& root) {
  if (inspect_->parsed()) return inspect(root);
  if (history_->parsed()) return history(root);
  return std::nullopt;
}

int InspectCommands::inspect(const StateRoot& root) {
  if (!inspect_type_.empty() && inspect_type_ != "image" && inspect_type_ != "container")
    throw Error(fmt::format("\"{}\" is not a valid value for --type", inspect_type_), 1);
  // Parsed before anything is looked up: a template that does not parse prints nothing.
  // docker's inspect runs its templates with missingkey=error.
  std::optional<Template> format;
  if (!inspect_format_.empty()) format.emplace(inspect_format_, TemplateOptions{true, ""});
  ImageStore store(root);
  ContainerStore containers(root);
  nlohmann::ordered_json found = nlohmann::ordered_json::array();
  std::vector<std::string> missing;  // docker prints the ones found first, then says which were not
  // As docker: a container first, then an image, unless --type says which.
  for (const auto& name : inspect_names_) {
    std::optional<nlohmann::ordered_json> object;
    std::string not_found = "No such object: " + name;
    if (inspect_type_ != "image") {
      try {
        object = inspect_container(containers.find(name));
      } catch (const Error& e) {
        if (std::string(e.what()).rfind("No such container", 0) != 0) throw;
        if (inspect_type_ == "container") not_found = e.what();
      }
    }
    if (!object && inspect_type_ != "container") {
      try {
        object = inspect_image(store, store.find(name));
      } catch (const Error& e) {
        if (std::string(e.what()).rfind("No such image", 0) != 0) throw;
        if (inspect_type_ == "image") not_found = e.what();
      }
    }
    if (object)
      found.push_back(*object);
    else
      missing.push_back(not_found);
  }
  if (format) {
    std::string text;
    for (const auto& object : found) text += format->render(object) + "\n";
    std::cout << text << std::flush;
  } else {
    // docker's CLI indents with 4 spaces; an empty list is "[]".
    std::cout << (found.empty() ? "[]" : found.dump(4, ' ', false, nlohmann::ordered_json::error_handler_t::replace))
              << std::endl;
  }
  for (const auto& message : missing) std::cerr << program_invocation_short_name << ": " << message << "\n";
  return missing.empty() ? 0 : 1;
}

int InspectCommands::history(const StateRoot& root) {
  std::optional<Template> format;
  if (!history_format_.empty() && !history_quiet_)
    format.emplace(history_format_, TemplateOptions{false, "*image.historyContext"});
  ImageStore store(root);
  Image image;
  try {
    image = store.find(history_image_);
  } catch (const Error&) {
    std::string shown = history_image_;  // docker names the reference it looked for
    try {
      shown = parse_reference(history_image_).with_default_tag().familiar();
    } catch (const Error&) {
    }
    throw Error(fmt::format("No such image: {}", shown), 1);
  }
  bool trunc = !history_no_trunc_;
  double now = now_seconds();
  std::vector<std::vector<std::string>> rows{{"IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"}};
  std::string text;
  for (const auto& entry : image_history(store, image)) {
    std::string id = trunc ? short_id(entry.id) : entry.id;
    if (history_quiet_) {
      text += id + "\n";
      continue;
    }
    double created = rfc3339_seconds(entry.created);
    std::string created_by = entry.created_by;
    for (auto& c : created_by)
      if (c == '\t') c = ' ';
    if (trunc) created_by = ellipsis(created_by, 45);
    std::string since = human_duration(now - created) + " ago";
    std::string size = human_size(entry.size);
    if (format) {
      nlohmann::ordered_json context{{"Comment", entry.comment}, {"CreatedAt", go_rfc3339(created)},
                                     {"CreatedBy", created_by},  {"CreatedSince", since},
                                     {"ID", id},                 {"Size", size}};
      text += format->render(context) + "\n";
      continue;
    }
    rows.push_back({id, since, created_by, size, entry.comment});
  }
  std::cout << (history_quiet_ || format ? text : format_table(rows)) << std::flush;
  return 0;
}

}  // namespace dockling::ch10
