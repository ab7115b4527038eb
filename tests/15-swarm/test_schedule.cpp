// The exercise, part two: the scheduler's choose_node() (schedule.hpp) on an in-memory cluster:
// swarmkit's filters, its spread, and its "no suitable node" in its words. Also the placement
// constraints (constraints.hpp) it relies on, which are not part of the exercise.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "constraints.hpp"
#include "dockling/error.hpp"
#include "schedule.hpp"

namespace dockling::ch15 {
namespace {

constexpr std::int64_t kMiB = 1024 * 1024;

NodeInfo node(const std::string& id, const std::string& hostname, const std::string& availability = "active",
              bool ready = true) {
  NodeInfo n;
  n.id = id;
  n.hostname = hostname;
  n.availability = availability;
  n.ready = ready;
  return n;
}

ServiceInfo service(std::vector<Constraint> constraints = {}, std::int64_t memory_reservation = 0) {
  ServiceInfo s;
  s.id = "svc";
  s.name = "web";
  s.replicas = 3;
  s.constraints = std::move(constraints);
  s.memory_reservation = memory_reservation;
  return s;
}

NodeLoad carrying(int service_tasks, int total_tasks, std::int64_t reserved_memory = 0) {
  NodeLoad load;
  load.service_tasks = service_tasks;
  load.total_tasks = total_tasks;
  load.reserved_memory = reserved_memory;
  return load;
}

// The message of parse_constraint's Error, which must carry the API's 400.
std::string refusal(const std::string& text) {
  try {
    Constraint c = parse_constraint(text);
    return "accepted: " + c.key + (c.equal ? "==" : "!=") + c.value;
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 400) << text;
    return e.what();
  }
}

// --- constraints (not the exercise) ---

TEST(Constraint, ReadsEqualAndNotEqual) {
  Constraint c = parse_constraint("node.hostname==host2");
  EXPECT_EQ(c.key, "node.hostname");
  EXPECT_TRUE(c.equal);
  EXPECT_EQ(c.value, "host2");
  c = parse_constraint("node.role!=manager");
  EXPECT_EQ(c.key, "node.role");
  EXPECT_FALSE(c.equal);
  EXPECT_EQ(c.value, "manager");
}

TEST(Constraint, SpacesAroundThePartsAreIgnored) {
  Constraint c = parse_constraint("  node.labels.zone ==  east ");
  EXPECT_EQ(c.key, "node.labels.zone");
  EXPECT_TRUE(c.equal);
  EXPECT_EQ(c.value, "east");
  EXPECT_EQ(parse_constraint("node.id != abc def").value, "abc def") << "a space inside a value stays";
}

TEST(Constraint, KeysInAnyCaseALabelsNameAsWritten) {
  EXPECT_EQ(parse_constraint("Node.HostName==h").key, "node.hostname");
  EXPECT_EQ(parse_constraint("NODE.LABELS.Zone==east").key, "node.labels.Zone");
  EXPECT_EQ(parse_constraint("engine.labels.os==linux").key, "engine.labels.os");
  EXPECT_EQ(parse_constraint("node.platform.arch==x86_64").key, "node.platform.arch");
  EXPECT_EQ(parse_constraint("node.role==MANAGER").value, "MANAGER");
}

TEST(Constraint, RefusedInSwarmkitsWordsNamingTheConstraint) {
  EXPECT_EQ(refusal("node.hostname=host2"),
            "invalid constraint 'node.hostname=host2': constraint expected one operator from ==, !=");
  EXPECT_EQ(refusal("node.hostname~host2"),
            "invalid constraint 'node.hostname~host2': constraint expected one operator from ==, !=");
  EXPECT_EQ(refusal("==host2"), "invalid constraint '==host2': key '' is invalid");
  EXPECT_EQ(refusal("no de==x"), "invalid constraint 'no de==x': key 'no de' is invalid");
  EXPECT_EQ(refusal("1node==x"), "invalid constraint '1node==x': key '1node' is invalid");
  EXPECT_EQ(refusal("node.hostname== "), "invalid constraint 'node.hostname== ': value '' is invalid");
  EXPECT_EQ(refusal("node.hostname==a<b"), "invalid constraint 'node.hostname==a<b': value 'a<b' is invalid");
  EXPECT_EQ(refusal("node.role==boss"), "invalid constraint 'node.role==boss': role 'boss' is invalid (manager or worker)");
  EXPECT_EQ(refusal("node.colour==red"),
            "invalid constraint 'node.colour==red': key 'node.colour' is not supported (node.id, node.hostname, "
            "node.role, node.platform.os, node.platform.arch, node.labels.NAME, engine.labels.NAME)");
  EXPECT_EQ(refusal("node.labels.==x"),
            "invalid constraint 'node.labels.==x': key 'node.labels.' is not supported (node.id, node.hostname, "
            "node.role, node.platform.os, node.platform.arch, node.labels.NAME, engine.labels.NAME)");
}

TEST(Constraint, NodesMeetEveryConstraint) {
  NodeInfo n = node("id1", "host2");
  n.role = "manager";
  n.labels = {{"zone", "east"}, {"disk", "ssd"}};
  auto meets = [&](std::vector<std::string> texts) {
    std::vector<Constraint> constraints;
    for (const auto& text : texts) constraints.push_back(parse_constraint(text));
    return meets_constraints(n, constraints);
  };
  EXPECT_TRUE(meets({}));
  EXPECT_TRUE(meets({"node.hostname==host2", "node.id==id1", "node.labels.zone==east", "node.labels.disk!=hdd"}));
  EXPECT_FALSE(meets({"node.hostname==host2", "node.labels.zone==west"})) << "every one must hold";
  EXPECT_FALSE(meets({"node.hostname==HOST2"})) << "hostnames as written";
  EXPECT_FALSE(meets({"node.labels.zone==East"})) << "label values as written";
  EXPECT_FALSE(meets({"node.labels.Zone==east"})) << "label names as written";
  EXPECT_TRUE(meets({"node.role==Manager"})) << "roles in any case";
  EXPECT_FALSE(meets({"node.role!=manager"}));
  EXPECT_TRUE(meets({"node.labels.rack!=r1"})) << "a missing label is \"\"";
  EXPECT_FALSE(meets({"node.labels.rack==r1"}));
  EXPECT_TRUE(meets({"node.platform.os==linux", "node.platform.arch==x86_64"}));
  EXPECT_FALSE(meets({"engine.labels.os==linux"})) << "no engine labels";
  EXPECT_TRUE(meets({"engine.labels.os!=linux"}));
}

// --- the scheduler ---

TEST(Schedule, SpreadsByTheServicesTasksFirst_Exercise) {
  std::vector<NodeInfo> nodes{node("a", "host1"), node("b", "host2")};
  // host1 is idle but already runs one of this service's tasks; host2 is busy with others.
  std::map<std::string, NodeLoad> load{{"a", carrying(1, 1)}, {"b", carrying(0, 20)}};
  EXPECT_EQ(choose_node(service(), nodes, load).node_id, "b");
}

TEST(Schedule, ThenByAllTasks_Exercise) {
  std::vector<NodeInfo> nodes{node("a", "host1"), node("b", "host2"), node("c", "host3")};
  std::map<std::string, NodeLoad> load{{"a", carrying(1, 5)}, {"b", carrying(1, 2)}, {"c", carrying(1, 3)}};
  ScheduleChoice choice = choose_node(service(), nodes, load);
  EXPECT_EQ(choice.node_id, "b");
  EXPECT_EQ(choice.error, "");
}

TEST(Schedule, ThenByHostnameThenById_Exercise) {
  std::vector<NodeInfo> nodes{node("z", "beta"), node("y", "alpha"), node("x", "gamma")};
  EXPECT_EQ(choose_node(service(), nodes, {}).node_id, "y") << "a node missing from load carries nothing";
  std::vector<NodeInfo> twins{node("m2", "same"), node("m1", "same"), node("m3", "same")};
  EXPECT_EQ(choose_node(service(), twins, {}).node_id, "m1");
  std::map<std::string, NodeLoad> load{{"y", carrying(0, 1)}};
  EXPECT_EQ(choose_node(service(), nodes, load).node_id, "z");
}

TEST(Schedule, SpreadsThreeTasksOverThreeNodes_Exercise) {
  std::vector<NodeInfo> nodes{node("id-c", "host1"), node("id-a", "host3"), node("id-b", "host2")};
  std::map<std::string, NodeLoad> load{{"id-a", carrying(0, 2)}};  // host3 runs two other tasks
  std::vector<std::string> chosen;
  for (int i = 0; i < 4; ++i) {
    ScheduleChoice choice = choose_node(service(), nodes, load);
    ASSERT_NE(choice.node_id, "") << choice.error;
    chosen.push_back(choice.node_id);
    ++load[choice.node_id].service_tasks;  // the caller counts the task it placed
    ++load[choice.node_id].total_tasks;
  }
  EXPECT_EQ(chosen, (std::vector<std::string>{"id-c", "id-b", "id-a", "id-c"}));
}

TEST(Schedule, OnlyReadyActiveNodesGetNewTasks_Exercise) {
  std::vector<NodeInfo> nodes{node("p", "a-paused", "pause"), node("d", "b-drained", "drain"),
                              node("r", "c-down", "active", false), node("ok", "d-busy")};
  std::map<std::string, NodeLoad> load{{"ok", carrying(5, 9)}};
  EXPECT_EQ(choose_node(service(), nodes, load).node_id, "ok");
}

TEST(Schedule, FollowsTheServicesConstraints_Exercise) {
  std::vector<NodeInfo> nodes{node("w1", "host1"), node("m1", "host2"), node("w2", "host3")};
  nodes[1].role = "manager";
  nodes[0].labels = {{"zone", "east"}};
  nodes[2].labels = {{"zone", "west"}};
  std::map<std::string, NodeLoad> load{{"m1", carrying(3, 3)}};
  EXPECT_EQ(choose_node(service({Constraint{"node.role", true, "manager"}}), nodes, load).node_id, "m1");
  EXPECT_EQ(choose_node(service({Constraint{"node.labels.zone", true, "west"}}), nodes, {}).node_id, "w2");
  EXPECT_EQ(choose_node(service({Constraint{"node.hostname", false, "host1"}, Constraint{"node.role", false, "manager"}}),
                        nodes, {})
                .node_id,
            "w2");
}

TEST(Schedule, AReservationNeedsTheMemoryLeft_Exercise) {
  std::vector<NodeInfo> nodes{node("small", "host1"), node("exact", "host2"), node("unknown", "host3")};
  nodes[0].memory_bytes = 1024 * kMiB;
  nodes[1].memory_bytes = 2048 * kMiB;
  // host1 has 424 MiB left; host2 exactly 512 MiB; host3 does not say (0: not checked).
  std::map<std::string, NodeLoad> load{{"small", carrying(0, 1, 600 * kMiB)},
                                       {"exact", carrying(1, 3, 1536 * kMiB)},
                                       {"unknown", carrying(1, 4)}};
  EXPECT_EQ(choose_node(service({}, 512 * kMiB), nodes, load).node_id, "exact");
  load["exact"].reserved_memory += 1;
  EXPECT_EQ(choose_node(service({}, 512 * kMiB), nodes, load).node_id, "unknown");
  EXPECT_EQ(choose_node(service(), nodes, load).node_id, "small") << "no reservation: memory is not checked";
}

TEST(Schedule, NoNodesAtAll_Exercise) {
  ScheduleChoice choice = choose_node(service(), {}, {});
  EXPECT_EQ(choice.node_id, "");
  EXPECT_EQ(choice.error, "no suitable node");
}

TEST(Schedule, OneNodeTurnedAwaySaysNode_Exercise) {
  ScheduleChoice choice = choose_node(service(), {node("p", "host1", "pause")}, {});
  EXPECT_EQ(choice.node_id, "");
  EXPECT_EQ(choice.error, "no suitable node (1 node not available for new tasks)");
  std::vector<NodeInfo> one{node("a", "host1")};
  one[0].memory_bytes = 100 * kMiB;
  EXPECT_EQ(choose_node(service({}, 200 * kMiB), one, {}).error, "no suitable node (insufficient resources on 1 node)");
  EXPECT_EQ(choose_node(service({Constraint{"node.role", true, "manager"}}), one, {}).error,
            "no suitable node (scheduling constraints not satisfied on 1 node)");
}

TEST(Schedule, SeveralNodesTurnedAwaySayNodes_Exercise) {
  std::vector<NodeInfo> nodes{node("a", "host1"), node("b", "host2"), node("c", "host3")};
  ScheduleChoice choice = choose_node(service({Constraint{"node.labels.gpu", true, "yes"}}), nodes, {});
  EXPECT_EQ(choice.node_id, "");
  EXPECT_EQ(choice.error, "no suitable node (scheduling constraints not satisfied on 3 nodes)");
  std::vector<NodeInfo> down{node("a", "host1", "active", false), node("b", "host2", "drain")};
  EXPECT_EQ(choose_node(service(), down, {}).error, "no suitable node (2 nodes not available for new tasks)");
}

TEST(Schedule, SeveralReasonsInOrderEachNodeCountedOnce_Exercise) {
  std::vector<NodeInfo> nodes{
      node("full", "host1"),                 // insufficient resources
      node("west", "host2"),                 // constraints
      node("down", "host3", "active", false),  // not available, and would fail the constraint too
      node("drained", "host4", "drain"),     // not available
      node("full2", "host5"),                // insufficient resources
  };
  for (NodeInfo& n : nodes) {
    n.memory_bytes = 1024 * kMiB;
    n.labels = {{"zone", "east"}};
  }
  nodes[1].labels = {{"zone", "west"}};
  nodes[1].memory_bytes = 1;  // fails the constraint first: counted there only
  nodes[2].labels = {};
  ServiceInfo s = service({Constraint{"node.labels.zone", true, "east"}}, 2048 * kMiB);
  ScheduleChoice choice = choose_node(s, nodes, {});
  EXPECT_EQ(choice.node_id, "");
  EXPECT_EQ(choice.error,
            "no suitable node (2 nodes not available for new tasks; scheduling constraints not satisfied on 1 node; "
            "insufficient resources on 2 nodes)");
}

}  // namespace
}  // namespace dockling::ch15
