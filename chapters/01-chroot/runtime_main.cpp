#include "runtime_main.hpp"

#include <filesystem>
#include <string>

#include "dockling/cli.hpp"
#include "dockling/fs.hpp"

namespace dockling {

int runtime_main(std::string_view program, std::string_view description, int argc, char** argv,
                 Steps steps) {
  CLI::App app{std::string(description)};
  setup_app(app, program);
  Steps pipeline = make_pipeline(std::move(steps));

  Container container;
  std::string rootfs;
  CLI::App* run = add_command(app, "run", "Run a command in a new container");
  run->add_option("ROOTFS", rootfs, "The container's root filesystem (a directory)")->required();
  run->add_option("COMMAND", container.argv, "The command and its arguments (default /bin/sh)");
  run->positionals_at_end();
  run->prefix_command();  // everything after COMMAND belongs to the command
  for (const auto& step : pipeline) step->add_flags(*run);
  for (const auto& step : pipeline) step->add_commands(app);

  return run_app(app, argc, argv, [&] {
    if (!run->parsed()) {
      for (const auto& step : pipeline)
        if (auto code = step->run_command()) return *code;
    }
    container.id = random_hex(32);
    container.rootfs = std::filesystem::absolute(rootfs).lexically_normal();
    if (container.argv.empty()) container.argv = {"/bin/sh"};
    container.env.insert(container.env.begin(), std::string("PATH=") + kDefaultPath);  // HOME: see child_main
    return run_container(container, pipeline);
  });
}

}  // namespace dockling
