// A container's ports as docker prints them (ps's PORTS, `port`), and -P's free host ports.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <fstream>

#include "container_ports.hpp"
#include "dockling/error.hpp"
#include "host_ports.hpp"
#include "image_config.hpp"
#include "address.hpp"

namespace dockling::ch10 {
namespace {

using nlohmann::json;

/// NetworkSettings.Ports of docker 20.10's `run -P --expose 80 --expose 81/udp -p 8080:90
/// -p 127.0.0.1:8081:91 --expose 7000-7001` (its IPv6 bindings left out: we publish IPv4).
json docker_ports() {
  return json::parse(R"({
    "7000/tcp": [{"HostIp": "0.0.0.0", "HostPort": "32769"}],
    "7001/tcp": [{"HostIp": "0.0.0.0", "HostPort": "32768"}],
    "80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "32770"}],
    "81/udp": [{"HostIp": "0.0.0.0", "HostPort": "32768"}],
    "90/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}],
    "91/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8081"}]})");
}

TEST(PsPorts, HostMappingsInContainerPortOrderAsDockerPrintsThem) {
  EXPECT_EQ(ps_ports(docker_ports()),
            "0.0.0.0:32770->80/tcp, 0.0.0.0:32768->81/udp, 0.0.0.0:8080->90/tcp, 127.0.0.1:8081->91/tcp, "
            "0.0.0.0:32769->7000/tcp, 0.0.0.0:32768->7001/tcp");
}

// Docker's grouping, quirks and all: a run that a later port breaks is printed at once, the
// open ones after it in the order their keys first appeared, host mappings last.
TEST(PsPorts, PortsThatKeepTheirNumberGroupIntoRanges) {
  json ports{{"82/tcp", nullptr}, {"7000/tcp", nullptr}, {"7001/tcp", nullptr}, {"7002/tcp", nullptr},
             {"53/udp", nullptr}, {"80/tcp", {{{"HostIp", "0.0.0.0"}, {"HostPort", "8080"}}}},
             {"443/tcp", {{{"HostIp", "0.0.0.0"}, {"HostPort", "443"}}}}};
  EXPECT_EQ(ps_ports(ports), "82/tcp, 53/udp, 7000-7002/tcp, 0.0.0.0:443->443/tcp, 0.0.0.0:8080->80/tcp");
  EXPECT_EQ(ps_ports(json::object()), "");
}

TEST(PsPorts, TheRecordsShapesRoundTrip) {
  std::vector<PortMapping> exposed{{"", 0, 80, "tcp"}, {"", 0, 82, "tcp"}, {"", 0, 53, "udp"}};
  std::vector<PortMapping> published{{"", 32768, 80, "tcp"}, {"127.0.0.1", 5353, 53, "udp"}};
  json ports = network_ports_json(exposed, published);
  EXPECT_EQ(ports.dump(), R"({"53/udp":[{"HostIp":"127.0.0.1","HostPort":"5353"}],)"
                          R"("80/tcp":[{"HostIp":"0.0.0.0","HostPort":"32768"}],"82/tcp":null})");
  EXPECT_EQ(ps_ports(ports), "82/tcp, 127.0.0.1:5353->53/udp, 0.0.0.0:32768->80/tcp");
  EXPECT_EQ(port_bindings_json(published).dump(),
            R"({"53/udp":[{"HostIp":"127.0.0.1","HostPort":"5353"}],"80/tcp":[{"HostIp":"","HostPort":"32768"}]})");
  EXPECT_EQ(exposed_ports_json(exposed).dump(), R"({"53/udp":{},"80/tcp":{},"82/tcp":{}})");
}

TEST(PortLines, EveryBindingOrOnePortsAsDockerPrintsThem) {
  std::vector<std::string> all{"7000/tcp -> 0.0.0.0:32769", "7001/tcp -> 0.0.0.0:32768", "80/tcp -> 0.0.0.0:32770",
                               "81/udp -> 0.0.0.0:32768",   "90/tcp -> 0.0.0.0:8080",    "91/tcp -> 127.0.0.1:8081"};
  EXPECT_EQ(port_lines(docker_ports(), "", "web"), all);
  EXPECT_EQ(port_lines(docker_ports(), "80", "web"), std::vector<std::string>{"0.0.0.0:32770"});
  EXPECT_EQ(port_lines(docker_ports(), "81/udp", "web"), std::vector<std::string>{"0.0.0.0:32768"});
  try {
    port_lines(docker_ports(), "81", "web");
    ADD_FAILURE() << "81/tcp is not published";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "No public port '81/tcp' published for web");
    EXPECT_EQ(e.exit_code(), 1);
  }
}

TEST(ExposedPorts, ExposeTakesAPortOrARangeAndTheImagesComeIntoTheSpec) {
  auto ports = ch04::parse_exposed_ports("7000-7002/udp");
  ASSERT_EQ(ports.size(), 3u);
  EXPECT_EQ(ch04::exposed_port_str(ports[0]), "7000/udp");
  EXPECT_EQ(ch04::exposed_port_str(ports[2]), "7002/udp");
  EXPECT_EQ(ch04::exposed_port_str(ch04::parse_exposed_ports("80").at(0)), "80/tcp");
  for (const char* bad : {"x", "80/sctp", "81-80", "0", "70000", "80-"})
    EXPECT_THROW(ch04::parse_exposed_ports(bad), Error) << bad;

  ContainerSpec spec;
  apply_image_config(json{{"Cmd", {"sh"}}, {"ExposedPorts", {{"80/tcp", json::object()}, {"53/udp", json::object()}}}},
                     RunOverrides{}, spec);
  std::vector<std::string> exposed;
  for (const auto& port : spec.network.exposed) exposed.push_back(ch04::exposed_port_str(port));
  EXPECT_EQ(exposed, (std::vector<std::string>{"53/udp", "80/tcp"}));
}

TEST(HostPorts, AFreePortOfTheEphemeralRangeIsHeldAndAPortInUseIsSkipped) {
  std::ifstream range_file("/proc/sys/net/ipv4/ip_local_port_range");
  unsigned first = 0, last = 0;
  ASSERT_TRUE(range_file >> first >> last);
  ch04::HeldPort held = ch04::hold_free_port("tcp", {});
  EXPECT_GE(held.port, first);
  EXPECT_LE(held.port, last);
  // Held: nobody else binds it while the socket is open.
  int other = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(held.port);
  EXPECT_NE(::bind(other, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ::close(other);
  // In use (held), or published by another container: skipped.
  ch04::HeldPort next = ch04::hold_free_port("tcp", {});
  EXPECT_NE(next.port, held.port);
  ch04::HeldPort after = ch04::hold_free_port("tcp", {PortMapping{"", static_cast<std::uint16_t>(next.port + 1), 80, "tcp"}});
  EXPECT_NE(after.port, next.port + 1);
  EXPECT_NE(after.port, next.port);
}

}  // namespace
}  // namespace dockling::ch10
