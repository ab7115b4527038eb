// Chapter 06 exercise: write ensure_own_mqueue, then grade it with
//   sudo scripts/grade 6
// The contract is in chapters/06-ipc-namespace/ipc.hpp. Man pages: mq_overview(7),
// ipc_namespaces(7), mq_open(3), mq_unlink(3), statfs(2), mount(2).
//
// Pitfalls the tests catch (each in a forked child with namespaces of its own):
// - "Is an mqueue mounted here?" and "does it show *my* queues?" are two questions. What
//   does statfs(2) tell you about the second? What could answer it for certain?
// - Mounting an mqueue where the same one is already mounted is refused (EBUSY); stacking a
//   second mount on a good one is a change nobody asked for.
// - Finding out must leave no trace: no queue of yours left in the container, none of
//   anyone else's touched (a name someone may already use is not yours to make or remove).
// - A queue's name starts with '/'; its file in the mqueue directory does not.
#include "ipc.hpp"

#include "dockling/error.hpp"

namespace dockling::ch06 {

void ensure_own_mqueue(const std::string& dir) {
  (void)dir;
  throw NotImplemented("ch06::ensure_own_mqueue", "exercises/06-ipc-namespace/ipc.cpp");
}

}  // namespace dockling::ch06
