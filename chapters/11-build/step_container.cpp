#include "step_container.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "build_interrupt.hpp"
#include "dockling/error.hpp"
#include "dockling/fd.hpp"

namespace dockling::ch11 {

namespace {

/// Kills the first process of the container named `name` (SIGKILL): its `run` then ends, and
/// cleans up as after any exit.
void kill_container(const StateRoot& root, const std::string& name) {
  try {
    ch10::ContainerRecord record = ch10::ContainerStore(root).find(name);
    const auto& state = record.json.value("State", nlohmann::json::object());
    ProcessIdentity process{state.value("Pid", 0), state.value("PidStartTime", std::uint64_t{0})};
    if (process.pid > 0 && process.alive()) ::kill(process.pid, SIGKILL);
  } catch (const Error&) {
    // not created yet: its `run` got the signal from the terminal too, or ends on its own
  }
}

}  // namespace

StepOutcome run_step_container(const StateRoot& root, const std::string& name, const StepCommand& step) {
  std::vector<std::string> argv{"/proc/self/exe", "--root", root.dir().string(), "run", "--name", name,
                                "--entrypoint", "", "--network", step.network};
  for (const auto& variable : step.env) argv.insert(argv.end(), {"-e", variable});
  if (!step.workdir.empty()) argv.insert(argv.end(), {"-w", step.workdir});
  if (!step.user.empty()) argv.insert(argv.end(), {"-u", step.user});
  argv.push_back(step.image_id);
  argv.insert(argv.end(), step.command.begin(), step.command.end());

  Pipe output = make_pipe();
  pid_t pid = ::fork();
  if (pid < 0) throw_sys("fork", "RUN");
  if (pid == 0) {
    int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    ::dup2(output.write.get(), 1);
    ::dup2(output.write.get(), 2);
    std::vector<char*> args;
    for (auto& arg : argv) args.push_back(arg.data());
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  output.write.reset();
  StepOutcome outcome;
  std::string pending;
  char buffer[4096];
  bool killed = false;
  while (true) {
    ssize_t n = ::read(output.read.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) {
      if (interrupting_signal() != 0 && !killed) {
        kill_container(root, name);
        killed = true;
      }
      continue;
    }
    if (n <= 0) break;
    pending.append(buffer, static_cast<size_t>(n));
    size_t newline;
    while ((newline = pending.find('\n')) != std::string::npos) {
      outcome.output.push_back(pending.substr(0, newline));
      pending.erase(0, newline + 1);
    }
  }
  if (!pending.empty()) outcome.output.push_back(pending);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  try {
    outcome.container = ch10::ContainerStore(root).find(name);
  } catch (const Error&) {
    // `run` failed before it made the container
  }
  return outcome;
}

}  // namespace dockling::ch11
