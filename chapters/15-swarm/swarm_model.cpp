#include "swarm_model.hpp"

#include <array>
#include <cstddef>

namespace dockling::ch15 {

namespace {

// docker's names, in the enum's order (swarmkit's api.TaskState, lower-cased).
constexpr std::array<std::string_view, 13> kNames{
    "new",      "pending",  "assigned", "accepted", "preparing", "starting", "running",
    "complete", "shutdown", "failed",   "rejected", "remove",    "orphaned",
};

static_assert(static_cast<std::size_t>(TaskState::Orphaned) + 1 == kNames.size(),
              "one name for every TaskState");

}  // namespace

std::string_view to_string(TaskState state) {
  auto index = static_cast<std::size_t>(state);
  return index < kNames.size() ? kNames[index] : std::string_view("unknown");
}

std::optional<TaskState> task_state_from(std::string_view text) {
  for (std::size_t i = 0; i < kNames.size(); ++i)
    if (kNames[i] == text) return static_cast<TaskState>(i);
  return std::nullopt;
}

bool is_final(TaskState state) {
  switch (state) {
    case TaskState::Complete:
    case TaskState::Shutdown:
    case TaskState::Failed:
    case TaskState::Rejected:
    case TaskState::Remove:
    case TaskState::Orphaned:
      return true;
    default:
      return false;
  }
}

}  // namespace dockling::ch15
