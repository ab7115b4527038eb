// bench-start: start-to-exit time of several commands, measured alternately in the same run so
// that they share the machine's state, then medians and ratios against the first command.
//
//   bench-start [--runs N] [--warmup W] NAME=COMMAND [NAME=COMMAND ...]
//
// COMMAND is split on spaces (no shell, so the shell's own start is not measured). Each round
// runs every command once, in turn; a command that exits non-zero stops the benchmark.
// COMMAND may be a sequence, steps separated by " ; " (a lifecycle: create ; start ; delete),
// timed as a whole. A step after the first that fails is run again every 0.2 ms, for up to
// 5 s: `delete` waits that way, as a caller would, for the container to stop.
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Candidate {
  std::string name;
  std::vector<std::vector<std::string>> steps;  ///< one argv per step
  std::vector<double> millis;
};

double now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

/// Runs argv (stdout and stderr to /dev/null) and returns its wait status.
int run_step(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    freopen("/dev/null", "w", stdout);
    freopen("/dev/null", "w", stderr);
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

/// Runs the candidate's steps once; returns the elapsed milliseconds.
double time_once(const Candidate& candidate) {
  double start = now_ms();
  for (size_t i = 0; i < candidate.steps.size(); ++i) {
    int status = run_step(candidate.steps[i]);
    for (int retry = 0; i > 0 && status != 0 && retry < 25000; ++retry) {
      timespec pause{0, 200000};
      nanosleep(&pause, nullptr);
      status = run_step(candidate.steps[i]);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::fprintf(stderr, "bench-start: %s failed (status %d): %s\n", candidate.name.c_str(), status,
                   candidate.steps[i].front().c_str());
      std::exit(1);
    }
  }
  return now_ms() - start;
}

double percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  size_t index = static_cast<size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  return values[index];
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 50, warmup = 5;
  std::vector<Candidate> candidates;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--runs" && i + 1 < argc) runs = std::atoi(argv[++i]);
    else if (arg == "--warmup" && i + 1 < argc) warmup = std::atoi(argv[++i]);
    else if (auto eq = arg.find('='); eq != std::string::npos && eq > 0) {
      Candidate candidate{arg.substr(0, eq), {{}}, {}};
      std::istringstream words(arg.substr(eq + 1));
      for (std::string word; words >> word;) {
        if (word == ";") candidate.steps.emplace_back();
        else candidate.steps.back().push_back(word);
      }
      candidates.push_back(candidate);
    } else {
      std::fprintf(stderr, "usage: bench-start [--runs N] [--warmup W] NAME=COMMAND ...\n");
      return 2;
    }
  }
  if (candidates.empty() || runs < 1) {
    std::fprintf(stderr, "usage: bench-start [--runs N] [--warmup W] NAME=COMMAND ...\n");
    return 2;
  }
  for (int round = 0; round < warmup + runs; ++round) {
    for (auto& candidate : candidates) {
      double ms = time_once(candidate);
      if (round >= warmup) candidate.millis.push_back(ms);
    }
  }
  double baseline = percentile(candidates.front().millis, 0.5);
  std::printf("%-28s %10s %10s %10s %8s\n", "command", "median ms", "p10 ms", "p90 ms", "ratio");
  for (const auto& candidate : candidates) {
    double median = percentile(candidate.millis, 0.5);
    std::printf("%-28s %10.2f %10.2f %10.2f %7.2fx\n", candidate.name.c_str(), median,
                percentile(candidate.millis, 0.1), percentile(candidate.millis, 0.9), median / baseline);
  }
  std::printf("(%d runs each after %d warm-up rounds, alternating; ratio = median / median of %s)\n", runs,
              warmup, candidates.front().name.c_str());
  return 0;
}
