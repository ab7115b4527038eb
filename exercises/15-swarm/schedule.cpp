#include "dockling/error.hpp"
#include "schedule.hpp"

namespace dockling::ch15 {

ScheduleChoice choose_node(const ServiceInfo& service, const std::vector<NodeInfo>& nodes,
                           const std::map<std::string, NodeLoad>& load) {
  (void)service;
  (void)nodes;
  (void)load;
  // The contract is in schedule.hpp; swarmkit's scheduler is the reference (its filter
  // pipeline, then the spread strategy). Try `docker service create --replicas 3` on three
  // nodes: one task each.
  // TODO 1: filter the nodes, in this order, counting each node once for the first test it
  //         fails: ready and availability "active"; meets_constraints (constraints.hpp); and,
  //         when service.memory_reservation > 0 and node.memory_bytes != 0, memory_bytes minus
  //         the node's reserved_memory holds the reservation. A node missing from `load`
  //         carries nothing (look it up with load.find, not load[...]: `load` is const).
  // TODO 2: among the nodes left, the smallest (service_tasks, total_tasks, hostname, id).
  //         std::tie compares such tuples in one line. Why does the service's own count come
  //         before the total?
  // TODO 3: none left: the error. "no suitable node" alone when `nodes` is empty; else
  //         "no suitable node (" + reasons + ")", the non-zero counts in TODO 1's order,
  //         joined with "; ", each with "1 node" or "N nodes":
  //         "2 nodes not available for new tasks; insufficient resources on 1 node".
  // Check: `ctest --test-dir build-ex -L ch15 -L exercise`.
  throw NotImplemented("ch15::choose_node", "exercises/15-swarm/schedule.cpp");
}

}  // namespace dockling::ch15
