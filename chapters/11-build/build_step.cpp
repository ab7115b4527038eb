#include "build_step.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "dockling/error.hpp"

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
}

std::optional<int> BuildStep::run_command(const StateRoot& root) {
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
