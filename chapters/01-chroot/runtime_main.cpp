#include "runtime_main.hpp"

#include <filesystem>
#include <string>

#include "dockling/cli.hpp"
#include "dockling/fs.hpp"

namespace dockling {

RunCommand::RunCommand(CLI::App& app, const Steps& pipeline) : pipeline_(pipeline) {
  command_ = add_command(app, "run", "Run a command in a new container");
  command_->add_option("ROOTFS", rootfs_, "The container's root filesystem (a directory)")->required();
  command_->add_option("COMMAND", args_, "The command and its arguments (default /bin/sh)");
  command_->positionals_at_end();
  command_->prefix_command();  // everything after COMMAND belongs to the command
  for (const auto& step : pipeline) step->add_flags(*command_);
}

ContainerSpec RunCommand::spec(const StateRoot& root) const {
  ContainerSpec spec;
  spec.id = random_hex(32);
  spec.root.path = std::filesystem::absolute(rootfs_).lexically_normal();
  spec.process.args = args_.empty() ? std::vector<std::string>{"/bin/sh"} : args_;
  spec.process.env = {std::string("PATH=") + kDefaultPath};
  fill_spec(spec, pipeline_, root);
  return spec;
}

int runtime_main(std::string_view program, std::string_view description, int argc, char** argv,
                 Steps steps) {
  CLI::App app{std::string(description)};
  setup_app(app, program);
  Steps pipeline = make_pipeline(std::move(steps));
  RunCommand run(app, pipeline);
  std::string root_dir = StateRoot::default_dir().string();
  app.add_option("--root", root_dir, "Where dockling keeps its state")->envname("DOCKLING_ROOT")->capture_default_str();
  for (const auto& step : pipeline) step->add_commands(app);

  return run_app(app, argc, argv, [&] {
    StateRoot root(root_dir);
    if (!run.parsed()) {
      for (const auto& step : pipeline)
        if (auto code = step->run_command(root)) return *code;
    }
    return run_container(run.spec(root), pipeline, root);
  });
}

}  // namespace dockling
