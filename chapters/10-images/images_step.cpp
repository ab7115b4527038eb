#include "images_step.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "dockling/cli.hpp"
#include "dockling/error.hpp"
#include "dockling/fd.hpp"
#include "config_changes.hpp"
#include "container_store.hpp"
#include "go_template.hpp"
#include "image_inspect.hpp"
#include "image_store.hpp"
#include "reference.hpp"
#include "rootless_store.hpp"
#include "security_step.hpp"

namespace dockling::ch10 {

double now_seconds() {
  timespec now;
  ::clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

int for_each_reporting(const std::vector<std::string>& items, const std::function<void(const std::string&)>& action) {
  int code = 0;
  for (const auto& item : items) {
    try {
      action(item);
    } catch (const Error& e) {
      std::cout << std::flush;
      std::cerr << program_invocation_short_name << ": " << e.what() << std::endl;
      code = 1;
    }
  }
  std::cout << std::flush;
  return code;
}

bool confirmed(const std::string& warning) {
  // A warning of one line shares it with the question; a longer one ends with its newline.
  std::printf("%s%sAre you sure you want to continue? [y/N] ", warning.c_str(), warning.ends_with('\n') ? "" : " ");
  std::fflush(stdout);
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "y" || answer == "Y";
}

std::string human_size(std::uint64_t bytes, int digits) {
  static const char* const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  double size = static_cast<double>(bytes);
  size_t unit = 0;
  while (size >= 1000.0 && unit + 1 < std::size(units)) {
    size /= 1000.0;
    ++unit;
  }
  return fmt::format("{:.{}g}{}", size, digits, units[unit]);
}

std::string human_duration(double seconds_elapsed) {
  long seconds = static_cast<long>(seconds_elapsed);
  if (seconds < 1) return "Less than a second";
  if (seconds == 1) return "1 second";
  if (seconds < 60) return fmt::format("{} seconds", seconds);
  long minutes = static_cast<long>(seconds_elapsed / 60);
  if (minutes == 1) return "About a minute";
  if (minutes < 60) return fmt::format("{} minutes", minutes);
  long hours = static_cast<long>(seconds_elapsed / 3600 + 0.5);
  if (hours == 1) return "About an hour";
  if (hours < 48) return fmt::format("{} hours", hours);
  if (hours < 24 * 7 * 2) return fmt::format("{} days", hours / 24);
  if (hours < 24 * 30 * 2) return fmt::format("{} weeks", hours / 24 / 7);
  if (hours < 24 * 365 * 2) return fmt::format("{} months", hours / 24 / 30);
  return fmt::format("{} years", static_cast<long>(seconds_elapsed / 3600) / 24 / 365);
}

namespace {

/// The columns a cell takes: its UTF-8 characters ("…" is one), as Go's tabwriter counts.
size_t display_width(const std::string& text) {
  return static_cast<size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

}  // namespace

std::string format_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows)
    for (size_t i = 0; i + 1 < row.size(); ++i) {
      if (widths.size() <= i) widths.resize(i + 1, 0);
      widths[i] = std::max(widths[i], display_width(row[i]));
    }
  std::string text;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(std::max<size_t>(10, widths[i] + 3) - display_width(row[i]), ' ');
    }
    text += line + "\n";
  }
  return text;
}

void ImagesStep::add_commands(CLI::App& app) {
  import_ = add_command(app, "import", "Import the contents from a tarball to create a filesystem image");
  import_->add_option("file", import_source_, "A tarball of a root filesystem (plain, gzip or zstd), or - for stdin")
      ->required();
  import_->add_option("REPOSITORY[:TAG]", import_reference_, "The new image's name");
  import_->add_option("-m,--message", import_message_, "Set commit message for imported image");
  import_->add_option("-c,--change", import_changes_, "Apply Dockerfile instruction to the created image")
      ->allow_extra_args(false);

  images_ = add_command(app, "images", "List images");
  images_->add_option("REPOSITORY[:TAG]", images_filter_, "Only images of this repository (and tag)");
  images_->add_flag("-q,--quiet", quiet_, "Only show image IDs");
  images_->add_flag("--digests", digests_, "Show digests (the manifest's)");
  images_->add_flag("-a,--all", all_, "Show all images (there are no intermediate ones yet)");
  images_->add_flag("--no-trunc", no_trunc_, "Don't truncate output");
  images_->add_option("--format", images_format_, "Pretty-print images using a Go template");

  tag_ = add_command(app, "tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE");
  tag_->add_option("SOURCE_IMAGE[:TAG]", tag_source_, "The image")->required();
  tag_->add_option("TARGET_IMAGE[:TAG]", tag_target_, "Its new name")->required();

  rmi_ = add_command(app, "rmi", "Remove one or more images");
  rmi_->add_option("IMAGE", rmi_images_, "Images: names or ids")->required();
  rmi_->add_flag("-f,--force", force_, "Remove every name of an image given by id");

  inspect_.add_commands(app);
  containers_.add_commands(app);
  app.add_option("--storage-driver", storage_driver_,
                 "How containers get their root: overlay, or vfs (a copy of the image; chosen where the state root "
                 "is on overlayfs)")
      ->envname("DOCKLING_STORAGE_DRIVER")
      ->check(CLI::IsMember({"overlay", "vfs"}));

  add_archive_commands(app);
}

std::optional<int> ImagesStep::run_command(const StateRoot& root) {
  // Docker's image commands exit with 1 on any error (125 is `run`'s own failure).
  try {
    // The commands that write or remove layers: rootless, in the user's user namespace.
    if (import_->parsed() || rmi_->parsed() || load_->parsed()) enter_rootless_namespace();
    if (import_->parsed()) return import(root);
    if (images_->parsed()) return images(root);
    if (tag_->parsed()) return tag(root);
    if (rmi_->parsed()) return rmi(root);
    if (auto code = inspect_.run_command(root)) return code;
    if (auto code = containers_.run_command(root)) return code;
    if (save_->parsed()) return save(root);
    if (load_->parsed()) return load(root);
  } catch (const Error& e) {
    if (e.exit_code() == kExitRuntimeFailure) throw Error(e.what(), 1);
    throw;
  } catch (const std::filesystem::filesystem_error& e) {
    throw Error(e.what(), 1);
  }
  return std::nullopt;
}

int ImagesStep::import(const StateRoot& root) {
  std::optional<Reference> name;
  if (!import_reference_.empty()) name = parse_reference(import_reference_);
  UniqueFd file;
  int fd = STDIN_FILENO;
  if (import_source_ != "-") {
    file = open_fd(import_source_, O_RDONLY);
    fd = file.get();
  }
  nlohmann::ordered_json config = nullptr;
  if (!import_changes_.empty()) {
    config = docker_container_config(nullptr);
    apply_changes(config, import_changes_);
  }
  ImageStore store(root);
  std::string comment = import_message_.empty() ? "Imported from -" : import_message_;
  std::cout << store.import_tarball(fd, name, comment, config) << std::endl;
  return 0;
}

int ImagesStep::images(const StateRoot& root) {
  ImageStore store(root);
  std::optional<Reference> filter;
  if (!images_filter_.empty()) filter = parse_reference(images_filter_);
  double now = now_seconds();
  std::vector<std::vector<std::string>> rows;
  if (digests_)
    rows.push_back({"REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE"});
  else
    rows.push_back({"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"});
  std::string quiet_text, formatted;
  std::optional<Template> format;
  if (!images_format_.empty() && !quiet_) format.emplace(images_format_, TemplateOptions{false, "*formatter.imageContext"});
  for (const auto& image : store.images()) {
    std::uint64_t size = 0;
    for (const auto& diff_id : image.diff_ids) size += store.layer_size(diff_id);
    std::string id = no_trunc_ ? image.id : image.id.substr(7, 12);
    std::string created = human_duration(now - rfc3339_seconds(image.created)) + " ago";
    std::vector<std::pair<std::string, std::string>> names;
    for (const auto& name : image.names) {
      if (filter && (name.name() != filter->name() || (!filter->tag.empty() && name.tag != filter->tag))) continue;
      names.emplace_back(name.familiar_name(), name.tag.empty() ? "<none>" : name.tag);  // a digested name: no tag
    }
    if (image.names.empty() && !filter) names.emplace_back("<none>", "<none>");
    for (const auto& [repository, tag] : names) {
      if (quiet_) {
        quiet_text += id + "\n";
        continue;
      }
      if (format) {
        formatted += format->render(image_format_context(image, repository, tag, id, created, human_size(size))) + "\n";
        continue;
      }
      std::vector<std::string> row{repository, tag};
      if (digests_) row.push_back(image.manifest.digest);
      row.insert(row.end(), {id, created, human_size(size)});
      rows.push_back(row);
    }
  }
  std::cout << (quiet_ ? quiet_text : format ? formatted : format_table(rows)) << std::flush;
  return 0;
}

int ImagesStep::tag(const StateRoot& root) {
  Reference target = parse_reference(tag_target_);
  ImageStore(root).tag(tag_source_, target);
  return 0;
}

int ImagesStep::rmi(const StateRoot& root) {
  ImageStore store(root);
  std::map<std::string, ImageUser> users;
  for (const auto& record : ContainerStore(root).list()) {
    ImageUser& user = users[record.json.value("Image", "")];
    if (user.container_id.empty() || (!user.running && record.status() == "running"))
      user = {record.id(), record.status() == "running"};
  }
  return for_each_reporting(rmi_images_, [&](const std::string& image) {
    for (const auto& line : store.remove(image, force_, users)) std::cout << line << "\n";
  });
}

Steps steps() {
  Steps list = ch09::steps();
  list.push_back(std::make_unique<ImagesStep>());
  return list;
}

}  // namespace dockling::ch10
