#include "dockling/error.hpp"
#include "reconcile.hpp"

namespace dockling::ch15 {

ReconcileActions reconcile(const ServiceInfo& service, const std::vector<TaskInfo>& tasks,
                           const std::vector<NodeInfo>& nodes) {
  (void)service;
  (void)tasks;
  (void)nodes;
  // The contract is in reconcile.hpp; swarmkit's orchestrators are the reference
  // (`docker service scale web=5`, then `docker service ps web` shows the slots .1 to .5).
  // You only decide: nothing here changes a task. Keep the output in the orders the header asks.
  // TODO 1: skip every task whose desired state is not Running: it is history.
  // TODO 2: write two small helpers. alive(task): desired Running, state not final (is_final),
  //         and its node, if it has one, is found in `nodes`, ready and not "drain" ("pause"
  //         is fine). must_replace(task), for a task that is not alive: Complete is left alone
  //         unless the restart condition is "any", Failed and Rejected only with "none"; any
  //         other state (still running on a dead node, shutdown, orphaned) is always replaced.
  //         Why is a task never brought back to life, only replaced by a new one?
  // TODO 3: replicated: a task in a slot above service.replicas goes to `remove`. For the
  //         others, per slot: the first alive task stays, a later alive one goes to `remove`,
  //         a task that must be replaced goes to `shut_down`. Then each slot 1..replicas with
  //         no alive task gets a new one (`create_slots`) if it had no task at all, or one
  //         that must be replaced. (A completed job with condition "none" keeps its slot.)
  // TODO 4: global (service.global): a node qualifies when it is ready, "active" and meets the
  //         constraints (meets_constraints). A task whose node is gone, not ready, drained or
  //         no longer meets the constraints goes to `shut_down`; the others follow TODO 3's
  //         rules with the node in place of the slot; a qualifying node (in the order of
  //         `nodes`) with no alive task gets one (`create_on_nodes`) under the same condition.
  // Check: `ctest --test-dir build-ex -L ch15 -L exercise`.
  throw NotImplemented("ch15::reconcile", "exercises/15-swarm/reconcile.cpp");
}

}  // namespace dockling::ch15
