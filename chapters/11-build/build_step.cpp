#include "build_step.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include <fmt/format.h>

#include "build_cache.hpp"
#include "dockling/error.hpp"
#include "image_store.hpp"

namespace dockling::ch11 {

void BuildStep::add_commands(CLI::App& app) {
  ch10::ImagesStep::add_commands(app);
  build_ = app.add_subcommand("build", "Build an image from a Dockerfile");
  build_->add_option("CONTEXT", options_.context, "The build context: the directory COPY and ADD read")->required();
  build_->add_option("-t,--tag", options_.tags, "Name and optionally a tag in the 'name:tag' format");
  build_->add_option("-f,--file", options_.dockerfile, "Name of the Dockerfile (default: 'CONTEXT/Dockerfile')");
  build_->add_option("--build-arg", build_args_, "Set build-time variables: NAME=VALUE, or NAME to pass the environment's");
  build_->add_option("--target", options_.target, "Set the target build stage to build");
  build_->add_option("--network", options_.network, "Set the networking mode for the RUN instructions during build")
      ->check(CLI::IsMember({"default", "bridge", "none", "host"}));
  build_->add_flag("--no-cache", options_.no_cache, "Do not use cache when building the image");
  build_->add_flag("-q,--quiet", options_.quiet, "Suppress the build output and print image ID on success");
  CLI::App* builder = app.add_subcommand("builder", "Manage builds");
  builder->require_subcommand(1);
  prune_ = builder->add_subcommand("prune", "Remove build cache");
  prune_->add_flag("-a,--all", prune_all_, "Remove all unused build cache, not just dangling ones (here: the same)");
  prune_->add_flag("-f,--force", prune_force_, "Do not prompt for confirmation");
}

int BuildStep::prune(const StateRoot& root) {
  if (!prune_force_ && !ch10::confirmed("WARNING! This will remove all build cache.")) return 0;
  ch10::ImageStore store(root);
  BuildCache::Pruned pruned = BuildCache(store).prune();
  if (!pruned.entries.empty()) {
    std::printf("Deleted build cache objects:\n");
    for (const auto& id : pruned.entries) std::printf("%s\n", id.substr(7, 25).c_str());
    std::printf("\n");
  }
  std::printf("Total reclaimed space: %s\n", ch10::human_size(pruned.bytes).c_str());
  return 0;
}

std::optional<int> BuildStep::run_command(const StateRoot& root) {
  if (prune_->parsed()) return prune(root);
  if (!build_->parsed()) return ch10::ImagesStep::run_command(root);
  // A rootless build would run its COPY steps in the user's namespace but its RUN steps'
  // containers outside it: not written yet. Say so rather than fail halfway.
  if (::geteuid() != 0)
    throw Error("build needs root for now (sudo): rootless builds are not supported yet; rootless `run` of an image is", 1);
  for (const auto& arg : build_args_) {
    size_t equals = arg.find('=');
    if (equals != std::string::npos) {
      options_.build_args[arg.substr(0, equals)] = arg.substr(equals + 1);
    } else if (const char* value = std::getenv(arg.c_str())) {  // docker: NAME alone takes the environment's
      options_.build_args[arg] = value;
    }
  }
  if (options_.network == "bridge") options_.network = "default";
  std::string id = build_image(root, options_);
  if (options_.quiet) std::printf("%s\n", id.c_str());
  return 0;
}

Steps steps() {
  Steps list = ch10::steps();
  for (auto& step : list)
    if (step->slot() == Slot::image) step = std::make_unique<BuildStep>();
  return list;
}

}  // namespace dockling::ch11
