/// @file images_step.hpp
/// @brief Chapter 10's step: the image commands beside `run` (import, images, tag, rmi).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "container_commands.hpp"
#include "image_run.hpp"
#include "inspect_commands.hpp"
#include "pipeline.hpp"
#include "step.hpp"

namespace dockling::ch10 {

/// The image step: `run IMAGE` (image_run.hpp), docker's image commands, and the container
/// commands of kept containers (container_commands.hpp). Each command is thin: flags, one
/// ImageStore or ContainerStore call, docker's output.
class ImagesStep : public Step {
 public:
  std::string_view name() const override { return "images"; }
  Slot slot() const override { return Slot::image; }
  /// `run`'s --name, --rm and --entrypoint.
  void add_flags(CLI::App& run) override { run_.add_flags(run); }
  /// An image's container made, its config in the spec (ImageRun::to_spec).
  void prepare(ContainerSpec& spec, const StateRoot& root) override { run_.to_spec(spec, root, storage_driver_); }
  /// The container made by prepare() goes into the clean-up record.
  void before_clone(Container& container) override { run_.before_clone(container); }
  /// Rootless: the child mounts its overlay.
  void in_child(Container& container) override { run_.in_child(container); }
  /// Its record says it runs.
  void after_start(Container& container, pid_t child) noexcept override { run_.after_start(container, child); }
  /// Its root unmounted; removed (--rm) or kept, with its exit code.
  void after_exit(Container& container) noexcept override { run_.after_exit(container); }
  /// Adds `import`, `images`, `tag`, `rmi`, `inspect`, `history`, `save`, `load`, and the
  /// container commands.
  void add_commands(CLI::App& app) override;
  /// Runs the one that was chosen.
  std::optional<int> run_command(const StateRoot& root) override;

 protected:
  /// Lets a later chapter fetch the images `run` does not find (ImageRun::set_fetcher); call
  /// it in the constructor, before the flags are added.
  void set_image_fetcher(ImageRun::ImageFetcher fetcher) { run_.set_fetcher(std::move(fetcher)); }

 private:
  int import(const StateRoot& root);
  int images(const StateRoot& root);
  int tag(const StateRoot& root);
  int rmi(const StateRoot& root);
  void add_archive_commands(CLI::App& app);  // archive_commands.cpp
  int save(const StateRoot& root);
  int load(const StateRoot& root);

  ImageRun run_;
  std::string storage_driver_;  ///< --storage-driver, DOCKLING_STORAGE_DRIVER
  ContainerCommands containers_;
  CLI::App* import_ = nullptr;
  CLI::App* images_ = nullptr;
  CLI::App* tag_ = nullptr;
  CLI::App* rmi_ = nullptr;
  std::string import_source_, import_reference_, import_message_;
  std::vector<std::string> import_changes_;
  std::string images_filter_, images_format_;
  bool quiet_ = false, digests_ = false, all_ = false, no_trunc_ = false;
  std::string tag_source_, tag_target_;
  std::vector<std::string> rmi_images_;
  bool force_ = false;
  CLI::App* save_ = nullptr;
  CLI::App* load_ = nullptr;
  std::vector<std::string> save_images_;
  std::string save_output_, load_input_;
  bool load_quiet_ = false;
  InspectCommands inspect_;  // inspect and history
};

/// Now, in seconds since the epoch (with the fraction): what CREATED columns count from.
double now_seconds();

/// Runs `action` for each of `items` (names given to rm, rmi): an Error is printed, prefixed
/// with the binary's name, and the next item still runs, as docker does.
/// @returns 0, or 1 when any failed.
int for_each_reporting(const std::vector<std::string>& items, const std::function<void(const std::string&)>& action);

/// A size as docker prints it: `digits` significant digits, units of 1000 ("1.98MB",
/// "742kB", "0B"). Docker's image sizes have 3; its "reclaimed space" 4 ("307.2kB").
std::string human_size(std::uint64_t bytes, int digits = 3);

/// How long ago, as docker prints it: "Less than a second", "1 second", "5 minutes",
/// "About an hour", "3 days", … (go-units' HumanDuration).
std::string human_duration(double seconds);

/// Prints `warning` and docker's "Are you sure you want to continue? [y/N] " and reads a line
/// of stdin: true for "y" or "Y" (a prune without -f).
bool confirmed(const std::string& warning);

/// Rows as docker's tabwriter aligns them: every column but the last padded to its widest
/// cell plus 3 spaces, at least 10; one line each.
std::string format_table(const std::vector<std::vector<std::string>>& rows);

/// Chapter 10's steps: chapter 09's, plus images.
Steps steps();

}  // namespace dockling::ch10
