// Overlay networks as the manager keeps them (swarm_networks.hpp), on objects laid out as JSON:
// a subnet and a VXLAN id each, a task's address, what an agent is told of its neighbours and
// names; and the names server's answers (service_dns.hpp) to queries made byte by byte.
// No hosts: the end-to-end run is in test_swarm_hosts.cpp.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "api_response.hpp"
#include "routing_mesh.hpp"
#include "service_dns.hpp"
#include "swarm_networks.hpp"

namespace dockling::ch15 {
namespace {

using nlohmann::json;

json create_request(const std::string& name, const std::string& subnet = "") {
  json request = {{"Name", name}, {"Driver", "overlay"}, {"IPAM", {{"Driver", "default"}, {"Config", json::array()}}}};
  if (!subnet.empty()) request["IPAM"]["Config"].push_back({{"Subnet", subnet}});
  return request;
}

/// Makes network `name` in `networks` (id "net-NAME") and returns it.
const json& add_network(Objects& networks, const std::string& name, const std::string& subnet = "") {
  std::string id = "net-" + name;
  networks[id] = new_overlay_network(create_request(name, subnet), networks, id, "2026-12-02T00:00:00Z");
  return networks[id];
}

int status_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const ch14::ApiError& e) {
    return e.exit_code();
  }
  return 0;
}

TEST(SwarmNetworks, EachNetworkGetsTheNextFreeSubnetAndVxlanIdAsDockersDo) {
  Objects networks;
  const json& first = add_network(networks, "appnet");
  EXPECT_EQ(first["IPAM"]["Config"][0]["Subnet"], "10.0.1.0/24");
  EXPECT_EQ(first["IPAM"]["Config"][0]["Gateway"], "10.0.1.1");
  EXPECT_EQ(first["Options"]["com.docker.network.driver.overlay.vxlanid_list"], "4097");
  EXPECT_EQ(first["Scope"], "swarm");
  EXPECT_EQ(first["Driver"], "overlay");
  const json& asked = add_network(networks, "asked", "10.0.2.0/24");
  EXPECT_EQ(asked["IPAM"]["Config"][0]["Subnet"], "10.0.2.0/24");
  const json& third = add_network(networks, "third");
  EXPECT_EQ(third["IPAM"]["Config"][0]["Subnet"], "10.0.3.0/24") << "10.0.2.0/24 is taken";
  EXPECT_EQ(network_vni(third), 4099);
  EXPECT_EQ(find_network(networks, "third"), &networks["net-third"]);
  EXPECT_EQ(find_network(networks, "net-th"), &networks["net-third"]) << "an id prefix";
  EXPECT_EQ(find_network(networks, "net-"), nullptr) << "an ambiguous prefix";
}

TEST(SwarmNetworks, ATakenNameAnOverlappingSubnetAndAnotherDriverAreRefused) {
  Objects networks;
  add_network(networks, "appnet");
  EXPECT_EQ(status_of([&] { add_network(networks, "appnet"); }), 409);
  EXPECT_EQ(status_of([&] { add_network(networks, "other", "10.0.0.0/16"); }), 400);
  EXPECT_EQ(status_of([&] { add_network(networks, "other", "10.0.1.300/24"); }), 400);
  EXPECT_EQ(status_of([&] { add_network(networks, "a/b"); }), 400) << "a name that would not fit in a URL";
  EXPECT_EQ(status_of([&] { add_network(networks, ""); }), 400);
  json bridge = create_request("local");
  bridge["Driver"] = "bridge";
  try {
    new_overlay_network(bridge, networks, "x", "");
    ADD_FAILURE() << "a bridge network was made";
  } catch (const ch14::ApiError& e) {
    EXPECT_EQ(e.exit_code(), 400);
    EXPECT_NE(std::string(e.what()).find("only overlay networks"), std::string::npos) << e.what();
  }
  EXPECT_EQ(networks.size(), 1u);
}

json task_on(const std::string& node, const std::string& service, const std::string& state, const json& attachments) {
  return {{"NodeID", node},        {"ServiceID", service}, {"DesiredState", "running"},
          {"Status", {{"State", state}}}, {"NetworksAttachments", attachments}};
}

TEST(SwarmNetworks, TasksGetFreeAddressesAndAnEndedTasksAddressIsFreeAgain) {
  Objects networks;
  add_network(networks, "appnet");
  json template_ = {{"Networks", json::array({{{"Target", "net-appnet"}}})}};
  auto held = held_addresses({}, {});
  json first = attach_networks(template_, networks, held);
  json second = attach_networks(template_, networks, held);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0]["Addresses"][0], "10.0.1.2/24") << "host 1 is the gateway";
  EXPECT_EQ(second[0]["Addresses"][0], "10.0.1.3/24");
  EXPECT_EQ(first[0]["Network"]["Spec"]["Name"], "appnet");
  Objects tasks = {{"a", task_on("n1", "s", "running", first)}, {"b", task_on("n1", "s", "shutdown", second)}};
  held = held_addresses(tasks, {});
  EXPECT_EQ(attach_networks(template_, networks, held)[0]["Addresses"][0], "10.0.1.3/24")
      << "a shut down task's address is free again";
  json gone = {{"Networks", json::array({{{"Target", "net-gone"}}})}};
  EXPECT_THROW(attach_networks(gone, networks, held), Error);
  EXPECT_TRUE(attach_networks(json::object(), networks, held).empty()) << "no networks, no attachments";
}

TEST(SwarmNetworks, AnAgentLearnsItsNeighboursOnOtherHostsAndTheNamesOfRunningTasksOnLiveNodes) {
  Objects networks;
  add_network(networks, "appnet");
  add_network(networks, "elsewhere");
  json template_ = {{"Networks", json::array({{{"Target", "net-appnet"}}})}};
  auto held = held_addresses({}, {});
  auto attach = [&] { return attach_networks(template_, networks, held); };
  Objects tasks = {{"web1", task_on("n1", "web", "running", attach())},   // 10.0.1.2, here
                   {"web2", task_on("n2", "web", "running", attach())},   // 10.0.1.3, on n2
                   {"db1", task_on("n2", "db", "starting", attach())},    // 10.0.1.4: not running yet
                   {"old", task_on("n2", "web", "failed", attach())}};    // 10.0.1.5: ended
  Objects services = {{"web", {{"Spec", {{"Name", "web"}}}}}, {"db", {{"Spec", {{"Name", "db"}}}}}};
  tasks["lost"] = task_on("n3", "web", "running", attach());  // 10.0.1.6, on a node that is down
  auto node = [](const std::string& address, const std::string& state) {
    return json{{"Status", {{"Addr", address}, {"State", state}}}};
  };
  Objects nodes = {{"n1", node("192.0.2.1", "ready")}, {"n2", node("192.0.2.2", "ready")}, {"n3", node("192.0.2.3", "down")}};
  json seen = node_networks("n1", networks, tasks, services, nodes);
  ASSERT_EQ(seen.size(), 1u) << "only the network n1's tasks are on: " << seen.dump();
  EXPECT_EQ(seen[0]["Name"], "appnet");
  EXPECT_EQ(seen[0]["VNI"], 4097);
  EXPECT_EQ(seen[0]["Gateway"], "10.0.1.1");
  EXPECT_EQ(seen[0]["Peers"], json::parse(R"([{"IP":"10.0.1.3","MAC":"02:42:0a:00:01:03","Node":"192.0.2.2"},
                                              {"IP":"10.0.1.4","MAC":"02:42:0a:00:01:04","Node":"192.0.2.2"}])"));
  EXPECT_EQ(seen[0]["Names"], json::parse(R"({"web":["10.0.1.2","10.0.1.3"],"tasks.web":["10.0.1.2","10.0.1.3"]})"));
  EXPECT_TRUE(node_networks("n4", networks, tasks, services, nodes).empty()) << "n4 runs nothing";
}

/// A service that publishes `ports` ({"Endpoint": {"Ports": ...}}), named `name`.
json publishing(const std::string& name, const json& ports) {
  return {{"Spec", {{"Name", name}}}, {"Endpoint", {{"Ports", ports}}}};
}

json port(int target, int published = 0, const std::string& protocol = "tcp") {
  return {{"Protocol", protocol}, {"TargetPort", target}, {"PublishedPort", published}, {"PublishMode", "ingress"}};
}

TEST(SwarmNetworks, PublishedPortsAreFilledInAndAPortAnotherServiceHoldsIsRefused) {
  Objects services = {{"web-id", publishing("web", json::array({port(80, 8080)}))}};
  json spec = {{"EndpointSpec", {{"Mode", "vip"}, {"Ports", json::array({port(80, 8081), port(53, 0, "udp"), port(81)})}}}};
  json endpoint = service_endpoint(spec, services, "new-id");
  EXPECT_EQ(endpoint["Spec"], spec["EndpointSpec"]);
  // No port asked for: the first free one from 30000 of its protocol, as swarmkit's.
  EXPECT_EQ(endpoint["Ports"], json::array({port(80, 8081), port(53, 30000, "udp"), port(81, 30000)}));
  json two = {{"EndpointSpec", {{"Ports", json::array({port(80), port(81)})}}}};
  EXPECT_EQ(service_endpoint(two, services, "new-id")["Ports"], json::array({port(80, 30000), port(81, 30001)}));
  EXPECT_FALSE(service_endpoint(json::object(), services, "new-id").contains("Ports")) << "none asked, none published";

  auto refused = [&](const json& ports) {
    try {
      service_endpoint(json{{"EndpointSpec", {{"Ports", ports}}}}, services, "new-id");
    } catch (const ch14::ApiError& e) {
      EXPECT_EQ(e.exit_code(), 400);
      return std::string(e.what());
    }
    return std::string("not refused");
  };
  EXPECT_NE(refused(json::array({port(80, 8080)})).find("port '8080' is already in use by service 'web' (web-id)"),
            std::string::npos);
  EXPECT_EQ(service_endpoint(json{{"EndpointSpec", {{"Ports", json::array({port(80, 8080, "udp")})}}}}, services,
                             "new-id")["Ports"][0]["PublishedPort"],
            8080)
      << "udp/8080 is not tcp/8080";
  EXPECT_NE(refused(json::array({port(80, 9000), port(81, 9000)})).find("duplicate published port tcp/9000"),
            std::string::npos);
  json host = port(80, 9000);
  host["PublishMode"] = "host";
  EXPECT_NE(refused(json::array({host})).find("mode=host"), std::string::npos);
  EXPECT_NE(refused(json::array({port(0, 9000)})).find("invalid target port 0"), std::string::npos);
  EXPECT_NE(refused(json::array({port(80, 9000, "sctp")})).find("unsupported protocol sctp"), std::string::npos);
  // A service's own ports are not another's: an update keeps them.
  EXPECT_EQ(service_endpoint(json{{"EndpointSpec", {{"Ports", json::array({port(80, 8080)})}}}}, services,
                             "web-id")["Ports"][0]["PublishedPort"],
            8080);
}

TEST(SwarmNetworks, WhileAServicePublishesEveryLiveNodeHasTheIngressNetworkWithItsAddressAndTheBackends) {
  Objects networks;
  networks["ingress-id"] = ingress_network("ingress-id", "2026-12-02T00:00:00Z");
  EXPECT_EQ(networks["ingress-id"]["Ingress"], true);
  EXPECT_EQ(network_vni(networks["ingress-id"]), 4096);
  EXPECT_EQ(networks["ingress-id"]["IPAM"]["Config"][0]["Subnet"], "10.0.0.0/24");
  EXPECT_EQ(ingress_id(networks), "ingress-id");
  // Each node's own address is held, as tasks' are.
  auto node = [](const std::string& address, const std::string& state, const std::string& own) {
    return json{{"Status", {{"Addr", address}, {"State", state}}}, {"_Ingress", {{"Network", "ingress-id"}, {"Addr", own}}}};
  };
  Objects nodes = {{"n1", node("192.0.2.1", "ready", "10.0.0.2")},
                   {"n2", node("192.0.2.2", "ready", "10.0.0.3")},
                   {"n3", node("192.0.2.3", "down", "10.0.0.4")}};
  auto held = held_addresses({}, nodes);
  EXPECT_EQ(held["ingress-id"], (std::set<std::string>{"10.0.0.2", "10.0.0.3", "10.0.0.4"}));
  // A publishing service's task is on the ingress network first.
  json attachments = attach_networks(json::object(), networks, held, true);
  ASSERT_EQ(attachments.size(), 1u);
  EXPECT_EQ(attachments[0]["Addresses"][0], "10.0.0.5/24");
  Objects tasks = {{"web1", task_on("n2", "web", "running", attachments)},
                   {"web2", task_on("n2", "web", "starting", attach_networks(json::object(), networks, held, true))}};
  Objects services = {{"web", publishing("web", json::array({port(80, 8080)}))}};

  // n1 runs none of web's tasks, and gets the network all the same, with the port to forward.
  json seen = node_networks("n1", networks, tasks, services, nodes);
  ASSERT_EQ(seen.size(), 1u) << seen.dump();
  EXPECT_EQ(seen[0]["Name"], "ingress");
  EXPECT_EQ(seen[0]["Addr"], "10.0.0.2");
  EXPECT_EQ(seen[0]["Names"], json::object()) << "no service names on the ingress network";
  EXPECT_EQ(seen[0]["Ports"], json::parse(R"([{"Protocol":"tcp","PublishedPort":8080,"TargetPort":80,"Backends":["10.0.0.5"]}])"))
      << "only the running task answers";
  // Its peers: n2 (its own address, and both its tasks'), not n3, which is down.
  EXPECT_EQ(seen[0]["Peers"], json::parse(R"([{"IP":"10.0.0.3","MAC":"02:42:0a:00:00:03","Node":"192.0.2.2"},
                                              {"IP":"10.0.0.5","MAC":"02:42:0a:00:00:05","Node":"192.0.2.2"},
                                              {"IP":"10.0.0.6","MAC":"02:42:0a:00:00:06","Node":"192.0.2.2"}])"));
  // Without a publishing service, no node is on it.
  EXPECT_TRUE(node_networks("n1", networks, {}, {{"quiet", {{"Spec", {{"Name", "quiet"}}}}}}, nodes).empty());
}

TEST(RoutingMesh, ThePublishedPortsBecomeDnatRulesSpreadOverTheBackends) {
  std::string table = mesh_table("dlov4096", "10.0.0.0/24", "10.0.0.2",
                                 {{"tcp", 8080, 80, {"10.0.0.5", "10.0.0.6"}}, {"udp", 5353, 53, {"10.0.0.7"}},
                                  {"tcp", 9090, 90, {}}});
  EXPECT_NE(table.find("tcp dport 8080 dnat to numgen random mod 2 map { 0 : 10.0.0.5, 1 : 10.0.0.6 } : 80\n"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("udp dport 5353 dnat to 10.0.0.7 : 53\n"), std::string::npos) << table;
  EXPECT_EQ(table.find("9090"), std::string::npos) << "no task, no rule: " << table;
  EXPECT_NE(table.find("oifname \"dlov4096\" ip saddr != 10.0.0.0/24 snat to 10.0.0.2"), std::string::npos) << table;
}

/// A query for `name` of `type` (1: A, 28: AAAA), id 0x1234, recursion desired.
std::string query(const std::string& name, int type) {
  std::string packet("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12);
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    packet += static_cast<char>(dot - start);
    packet += name.substr(start, dot - start);
    start = dot + 1;
  }
  packet += '\0';
  packet += std::string("\x00", 1) + static_cast<char>(type) + std::string("\x00\x01", 2);
  return packet;
}

TEST(ServiceDns, AServiceNameAnswersItsTasksAddressesAndAnUnknownOneIsNxdomain) {
  DnsNames names = {{"web", {"10.0.1.2", "10.0.1.3"}}};
  std::string answer = dns_answer(query("WEB", 1), names);
  ASSERT_GE(answer.size(), 12u);
  EXPECT_EQ(answer.substr(0, 2), "\x12\x34") << "the query's id";
  EXPECT_EQ(static_cast<unsigned char>(answer[2]) & 0x80, 0x80) << "a response";
  EXPECT_EQ(static_cast<unsigned char>(answer[3]) & 0x0f, 0) << "NOERROR";
  EXPECT_EQ(answer[7], 2) << "two answers";
  EXPECT_NE(answer.find(std::string("\x0a\x00\x01\x02", 4)), std::string::npos);
  EXPECT_NE(answer.find(std::string("\x0a\x00\x01\x03", 4)), std::string::npos);
  std::string unknown = dns_answer(query("db", 1), names);
  ASSERT_GE(unknown.size(), 12u);
  EXPECT_EQ(static_cast<unsigned char>(unknown[3]) & 0x0f, 3) << "NXDOMAIN";
  EXPECT_EQ(unknown[7], 0);
  std::string ipv6 = dns_answer(query("web", 28), names);
  ASSERT_GE(ipv6.size(), 12u);
  EXPECT_EQ(static_cast<unsigned char>(ipv6[3]) & 0x0f, 0) << "the name exists, without an AAAA record";
  EXPECT_EQ(ipv6[7], 0);
  EXPECT_EQ(dns_answer("\x12\x34", names), "") << "too short";
  EXPECT_EQ(dns_answer(query("web", 1).substr(0, 15), names), "") << "cut in the name";
}

}  // namespace
}  // namespace dockling::ch15
