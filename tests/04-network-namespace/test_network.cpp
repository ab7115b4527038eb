// Chapter 04: a network namespace with lo, a veth pair to a bridge, IPAM, NAT, published
// ports, and the container's own /etc/hosts, /etc/resolv.conf and /etc/hostname.
//
// Network hygiene: every test has its own bridge ("dl" + 8 hex digits), its own /24 inside
// 10.213.0.0/16 (claimed so that parallel tests never share one), its own state root, and
// TearDown removes the bridge and its nftables table even when the test failed. No packet
// leaves this machine: the "outside host" of the NAT test is a network namespace of the
// test's own, behind its own veth pair.
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "dockling/error.hpp"
#include "dockling/fd.hpp"
#include "dockling/fs.hpp"
#include "dockling/state.hpp"
#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"
#include "address.hpp"
#include "nat.hpp"
#include "netlink.hpp"

namespace {

namespace fs = std::filesystem;
using namespace dockling::testing;
using dockling::UniqueFd;
using dockling::ch04::NetlinkSocket;
using dockling::ch04::Nftables;

constexpr const char* kBinary = "ch04-network-namespace";

/// A random port for published-port tests, away from the usual services.
int random_port() { return 20000 + std::stoi(dockling::random_hex(2), nullptr, 16) % 30000; }

/// A connected TCP or UDP socket to ip:port, or an empty fd.
UniqueFd connect_to(const std::string& ip, int port, int type) {
  UniqueFd fd(::socket(AF_INET, type | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, ip.c_str(), &address.sin_addr);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return {};
  return fd;
}

/// Reads what arrives on `fd` within `timeout`, until end of file (TCP) or one datagram (UDP).
std::string receive(int fd, milliseconds timeout, bool one_datagram) {
  std::string text;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    pollfd p{fd, POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) return text;
    char buffer[4096];
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return text;
    text.append(buffer, static_cast<size_t>(n));
    if (one_datagram) return text;
  }
}

/// GET /PATH from a busybox httpd at ip:port, retried until it answers or 10 s pass.
std::string http_get(const std::string& ip, int port, const std::string& path) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (UniqueFd fd = connect_to(ip, port, SOCK_STREAM)) {
      std::string request = "GET " + path + " HTTP/1.0\r\n\r\n";
      dockling::write_all(fd.get(), request);
      std::string reply = receive(fd.get(), milliseconds(3000), false);
      if (!reply.empty()) return reply;
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  return {};
}

/// Sends `payload` to ip:port over UDP until an answer comes back (10 s at most).
std::string udp_ask(const std::string& ip, int port, const std::string& payload) {
  UniqueFd fd = connect_to(ip, port, SOCK_DGRAM);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (fd && std::chrono::steady_clock::now() < deadline) {
    [[maybe_unused]] ssize_t sent = ::send(fd.get(), payload.data(), payload.size(), 0);
    std::string reply = receive(fd.get(), milliseconds(200), true);
    if (!reply.empty()) return reply;
  }
  return {};
}

bool link_exists(const std::string& name) { return ::if_nametoindex(name.c_str()) != 0; }

/// How long a finished container's veth pair may outlive it. The runtime does not delete it:
/// the kernel does, when it destroys the container's network namespace, in a worker tens of
/// milliseconds after the last process is gone (seconds on a very busy machine).
constexpr milliseconds kVethDeadline{5000};

/// Waits until link `name` is gone, polling; false when it is still there after `deadline`.
bool wait_until_gone(const std::string& name, milliseconds deadline = kVethDeadline) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (link_exists(name)) {
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return true;
}

/// The ports (interfaces) attached to `bridge`, from /sys/class/net/BRIDGE/brif.
std::vector<std::string> bridge_ports(const std::string& bridge) {
  std::vector<std::string> ports;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(fs::path("/sys/class/net") / bridge / "brif", error))
    ports.push_back(entry.path().filename());
  return ports;
}

/// A container that runs until it is stopped: prints its /etc/hostname (the short id) and
/// its address (the last line of /etc/hosts), runs `setup`, says "ready" and waits for SIGTERM.
struct Running {
  std::unique_ptr<Background> process;
  std::string id;       ///< the short id
  std::string address;  ///< its address on the bridge

  /// Stops it with SIGTERM (the trap exits 0) and returns how it ended.
  RunResult stop() {
    process->signal(SIGTERM);
    return process->wait(milliseconds(20000));
  }
};

class Network : public ::testing::Test {
 protected:
  void SetUp() override {
    DOCKLING_REQUIRE_ROOT();
    bridge_ = unique_name("dl");
    subnet_ = claim_subnet();
    root_ = std::make_unique<dockling::TempDir>("dockling-ch04");
    mounts_before_ = host_mounts();
  }

  void TearDown() override {
    if (bridge_.empty()) return;  // skipped
    auto pruned = run({bin(kBinary), "--root", root_->path(), "network", "prune", "--bridge", bridge_});
    EXPECT_EQ(pruned.exit_code, 0) << pruned;
    // Whatever prune missed is a failure, and is removed here all the same.
    NetlinkSocket sock;
    if (dockling::ch04::delete_link(sock, bridge_)) ADD_FAILURE() << "bridge " << bridge_ << " was left behind";
    Nftables nft;
    if (dockling::ch04::delete_nat_table(nft, bridge_)) ADD_FAILURE() << "nft table of " << bridge_ << " was left";
    EXPECT_EQ(host_mounts(), mounts_before_) << "a mount leaked onto the host";
  }

  /// `ch04 --root ROOT run --bridge BRIDGE --subnet SUBNET FLAGS... ROOTFS COMMAND...`
  std::vector<std::string> ch04(const std::vector<std::string>& flags, const std::vector<std::string>& command) {
    std::vector<std::string> argv = {bin(kBinary), "--root", root_->path(), "run", "--bridge", bridge_,
                                     "--subnet", subnet_.cidr()};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.push_back(rootfs());
    argv.insert(argv.end(), command.begin(), command.end());
    return argv;
  }

  /// Starts a container that stays up (see Running); fails the test if it does not get ready.
  Running start(const std::vector<std::string>& flags, const std::string& setup = "true") {
    std::string script = "trap 'kill $! 2>/dev/null; exit 0' TERM\ncat /etc/hostname\ntail -n 1 /etc/hosts | cut -f 1\n" + setup +
                         "\necho ready\nwhile :; do sleep 0.1; done";
    Running container;
    container.process = std::make_unique<Background>(ch04(flags, {"/bin/sh", "-c", script}));
    container.id = container.process->read_line().value_or("");
    container.address = container.process->read_line().value_or("");
    std::string ready = container.process->read_line().value_or("");
    EXPECT_EQ(ready, "ready") << "the container did not start: " << container.process->wait(milliseconds(5000));
    return container;
  }

  /// The bridge's leases: the host's, whatever the state root (see ipam.hpp).
  fs::path leases() const { return dockling::StateRoot::host_run_dir() / "network" / bridge_ / "leases"; }

  /// The elements of the bridge's port maps, as nft prints them ("" when none).
  std::string published_elements() {
    Nftables nft;
    std::string table = dockling::ch04::nat_table(bridge_);
    std::string text;
    for (const char* map : {"published", "published_on"}) {
      if (nft.try_run("list map ip " + table + " " + map)) {
        std::string out = nft.output();
        if (auto at = out.find("elements"); at != std::string::npos) text += out.substr(at);
      }
    }
    return text;
  }

  /// Nothing of a finished container is left: no veth on the bridge (at once), no lease, no
  /// port, and its veth pair gone within kVethDeadline.
  void expect_nothing_left(const std::string& short_id) {
    ASSERT_EQ(short_id.size(), 12u) << "not a container id: \"" << short_id << "\"";
    EXPECT_EQ(bridge_ports(bridge_), std::vector<std::string>{}) << "a veth is still attached to " << bridge_;
    EXPECT_TRUE(wait_until_gone("dl" + short_id))
        << "the container's veth dl" << short_id << " is left " << kVethDeadline.count() << " ms after its exit";
    if (fs::exists(leases())) {
      EXPECT_TRUE(fs::is_empty(leases())) << "a lease is left in " << leases();
    }
    EXPECT_EQ(published_elements(), "") << "published ports are left in nftables";
    EXPECT_FALSE(fs::exists(root_->path() / "containers" / short_id)) << "container files are left";
    dockling::StateRoot root(root_->path());
    std::error_code none;
    for (const auto& entry : fs::directory_iterator(root.containers_run_dir(), none))
      EXPECT_NE(entry.path().filename().string().substr(0, 12), short_id) << "its state is left: " << entry.path();
  }

  std::string bridge_;
  SubnetClaim subnet_;
  std::unique_ptr<dockling::TempDir> root_;
  std::string mounts_before_;
};

std::set<std::string> interface_names(const nlohmann::json& report) {
  std::set<std::string> names;
  for (const auto& interface : report["interfaces"]) names.insert(interface["name"].get<std::string>());
  return names;
}

std::string net_namespace_of_this_process() {
  struct stat st;
  ::stat("/proc/self/ns/net", &st);
  return std::to_string(st.st_ino);
}

TEST_F(Network, NoneHasOnlyLoopbackUp) {
  auto r = run(ch04({"--network", "none"}, {"/bin/probe"}));
  ASSERT_EQ(r.exit_code, 0) << r;
  auto report = parse_json(r.out);
  EXPECT_EQ(interface_names(report), std::set<std::string>{"lo"}) << r.out;
  EXPECT_EQ(report["interfaces"][0]["up"], true) << "lo must be up";
  if (!report["ns"]["net"].is_null()) {  // the probe sees its namespaces once /proc is mounted (chapter 03)
    EXPECT_NE(report["ns"]["net"].dump(), net_namespace_of_this_process()) << "not a new network namespace";
  }
  EXPECT_FALSE(link_exists(bridge_)) << "--network none must not create the bridge";
}

TEST_F(Network, HostSharesTheHostsInterfaces) {
  // Tests running beside this one add and remove links, so the container's list is checked against
  // the host's lists just before and just after: it holds every link of both, and a link of neither
  // can only be a dockling link ("dl...") that lived and went while the container ran.
  auto host_interfaces = [] {
    std::set<std::string> names;
    if (auto* list = ::if_nameindex()) {
      for (auto* i = list; i->if_index != 0; ++i) names.insert(i->if_name);
      ::if_freenameindex(list);
    }
    return names;
  };
  auto before = host_interfaces();
  auto r = run(ch04({"--network", "host"}, {"/bin/probe"}));
  auto after = host_interfaces();
  ASSERT_EQ(r.exit_code, 0) << r;
  auto report = parse_json(r.out);
  auto seen = interface_names(report);
  for (const auto& name : before)
    if (after.contains(name)) {
      EXPECT_TRUE(seen.contains(name)) << "the container misses the host's " << name;
    }
  for (const auto& name : seen)
    EXPECT_TRUE(before.contains(name) || after.contains(name) || name.starts_with("dl"))
        << name << " is not one of the host's links";
  EXPECT_TRUE(seen.contains("lo") && seen.size() > 1) << "a host-network container sees more than lo";
  if (!report["ns"]["net"].is_null()) {  // the probe sees its namespaces once /proc is mounted (chapter 03)
    EXPECT_EQ(report["ns"]["net"].dump(), net_namespace_of_this_process());
  }
}

TEST_F(Network, BridgeGivesEth0AnAddressARouteAndCleansUp_Exercise) {
  auto r = run(ch04({}, {"/bin/sh", "-c",
                         "cat /etc/hostname; /bin/probe; ip route; ping -c 1 -W 3 " + subnet_.address(1) +
                             " >/dev/null && echo gateway-reached"}));
  ASSERT_EQ(r.exit_code, 0) << r;
  std::string id = r.out.substr(0, r.out.find('\n'));
  auto json_start = r.out.find('{');  // the probe prints its JSON on one line
  auto report = parse_json(r.out.substr(json_start, r.out.find('\n', json_start) - json_start));
  EXPECT_EQ(interface_names(report), (std::set<std::string>{"lo", "eth0"})) << r;
  std::string eth0_address;
  for (const auto& interface : report["interfaces"]) {
    if (interface["name"] != "eth0") continue;
    EXPECT_EQ(interface["up"], true);
    for (const auto& a : interface["addresses"])
      if (a.get<std::string>().find('.') != std::string::npos) eth0_address = a;
  }
  EXPECT_EQ(eth0_address.rfind(subnet_.address(0).substr(0, subnet_.address(0).size() - 1), 0), 0u)
      << "eth0 has " << eth0_address << ", not an address of " << subnet_.cidr();
  EXPECT_EQ(eth0_address.substr(eth0_address.find('/')), "/24");
  EXPECT_NE(eth0_address, subnet_.address(1) + "/24") << "the gateway's address was leased";
  EXPECT_NE(r.out.find("default via " + subnet_.address(1)), std::string::npos) << r;
  EXPECT_NE(r.out.find("gateway-reached"), std::string::npos) << r;
  EXPECT_TRUE(link_exists(bridge_)) << "the bridge stays for the next container";
  expect_nothing_left(id);
}

/// The IPv6 addresses the probe saw, on any link.
std::vector<std::string> ipv6_addresses(const nlohmann::json& report) {
  std::vector<std::string> found;
  for (const auto& interface : report["interfaces"])
    for (const auto& a : interface["addresses"])
      if (a.get<std::string>().find(':') != std::string::npos) found.push_back(interface["name"].get<std::string>() + " " + a.get<std::string>());
  return found;
}

TEST_F(Network, NoIPv6ButOnTheHostsNetwork_Exercise) {
  // docker 20.10: net.ipv6.conf.all.disable_ipv6=1 in bridge and none (no ::1 on lo, no
  // fe80:: on eth0); host mode is the host's own network, left as it is.
  for (const char* mode : {"bridge", "none"}) {
    auto r = run(ch04({"--network", mode}, {"/bin/sh", "-c", "/bin/probe; cat /proc/sys/net/ipv6/conf/all/disable_ipv6"}));
    ASSERT_EQ(r.exit_code, 0) << r;
    auto report = parse_json(r.out.substr(0, r.out.find('\n')));
    EXPECT_EQ(ipv6_addresses(report), std::vector<std::string>{}) << mode;
    EXPECT_EQ(r.out.substr(r.out.find('\n') + 1), "1\n") << mode << "\n" << r;
  }
}

TEST_F(Network, HostEndLeavesTheBridgeAtExitAndTheKernelDeletesThePairSoonAfter_Exercise) {
  auto r = run(ch04({}, {"/bin/cat", "/etc/hostname"}));
  ASSERT_EQ(r.exit_code, 0) << r;
  std::string veth = "dl" + r.out.substr(0, 12);
  // Before the runtime returns: off the bridge, its address given back.
  EXPECT_EQ(bridge_ports(bridge_), std::vector<std::string>{}) << veth << " is still on the bridge";
  EXPECT_TRUE(fs::is_empty(leases())) << "the lease is left";
  // The pair itself goes with the container's network namespace, which nothing holds.
  auto exited = std::chrono::steady_clock::now();
  EXPECT_TRUE(wait_until_gone(veth)) << veth << " is still there " << kVethDeadline.count() << " ms after the exit";
  auto took = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - exited);
  RecordProperty("veth_gone_after_ms", static_cast<int>(took.count()));
}

TEST_F(Network, AVethHeldFromOutsideIsUnpluggedItsAddressReusedAndPruneDeletesIt_Exercise) {
  auto c = start({});
  ASSERT_EQ(c.id.size(), 12u) << "the container did not start";
  // Something on the host holds the container's network namespace (as `nsenter --net` or a
  // bind mount of /proc/PID/ns/net would): it, and the veth pair, outlive the container.
  pid_t runtime = c.process->pid();
  std::string children = dockling::read_file(fmt::format("/proc/{}/task/{}/children", runtime, runtime));
  ASSERT_FALSE(children.empty()) << "the runtime has no child";
  std::string ns_path = fmt::format("/proc/{}/ns/net", std::stoi(children));
  UniqueFd held(::open(ns_path.c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(held) << ns_path;
  EXPECT_EQ(c.stop().exit_code, 0);

  std::string veth = "dl" + c.id;
  EXPECT_TRUE(link_exists(veth)) << "the namespace is held: its veth pair should still be there";
  EXPECT_EQ(bridge_ports(bridge_), std::vector<std::string>{}) << "the dying pair must not be on the bridge";
  EXPECT_TRUE(fs::is_empty(leases())) << "the lease must be given back at exit";

  // The address is free again: the next container gets it and reaches the gateway.
  auto r = run(ch04({}, {"/bin/sh", "-c", "tail -n 1 /etc/hosts | cut -f 1; ping -c 1 -W 3 " + subnet_.address(1) +
                                             " >/dev/null && echo gateway-reached"}));
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')), c.address) << "the freed address was not reused\n" << r;
  EXPECT_NE(r.out.find("gateway-reached"), std::string::npos) << r;

  // A veth on no bridge is a dead container's: prune deletes it. Any prune does, whichever
  // bridge it was given: another test's, running beside this one, may have done it already.
  // So the test asks only that it is gone after this prune (no other prune runs in a
  // student's `ctest -R` of this test alone: there, prune's own line is what they see).
  auto pruned = run({bin(kBinary), "--root", root_->path(), "network", "prune", "--bridge", bridge_});
  EXPECT_EQ(pruned.exit_code, 0) << pruned;
  EXPECT_FALSE(link_exists(veth)) << "prune left " << veth << "\n" << pruned;
}

TEST_F(Network, TenParallelContainersGetDistinctAddressesAndPingEachOther_Exercise) {
  std::vector<Running> containers;
  {
    // Started together: their leases are taken concurrently.
    std::vector<std::future<Running>> starting;
    for (int i = 0; i < 10; ++i) starting.push_back(std::async(std::launch::async, [&] { return start({}); }));
    for (auto& f : starting) containers.push_back(f.get());
  }
  std::set<std::string> addresses;
  for (const auto& c : containers) addresses.insert(c.address);
  EXPECT_EQ(addresses.size(), 10u) << "two containers share an address";
  EXPECT_EQ(addresses.count(subnet_.address(1)), 0u) << "the gateway's address was leased";

  // The first container pings all the others, by IP, across the bridge.
  std::string pings = "for ip in";
  for (const auto& c : containers) pings += " " + c.address;
  pings += "; do ping -c 1 -W 3 $ip >/dev/null || { echo unreachable $ip; exit 1; }; done; echo all-reached";
  auto r = run(ch04({}, {"/bin/sh", "-c", pings}));
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("all-reached"), std::string::npos) << r;

  for (auto& c : containers) EXPECT_EQ(c.stop().exit_code, 0);
  for (const auto& c : containers) expect_nothing_left(c.id);
}

/// A stand-in for a host outside: a network namespace of the test's own (held by a file
/// descriptor, not named under /run/netns, so no mount appears), reached from the host
/// through its own veth pair and subnet, with a TCP listener inside.
class OutsideHost {
 public:
  explicit OutsideHost(const SubnetClaim& subnet) : subnet_(subnet), veth_(unique_name("dl")) {
    // A thread enters a new network namespace and makes the listener there: a socket stays
    // in the namespace it was made in, whichever thread uses it later.
    std::thread([&] {
      if (::unshare(CLONE_NEWNET) != 0) return;
      ns_ = UniqueFd(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
      listener_ = UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_port = htons(static_cast<uint16_t>(port_));
      if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
          ::listen(listener_.get(), 4) != 0)
        listener_.reset();
    }).join();
    if (!ns_) return;
    std::string ns_path = "/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(ns_.get());
    // Made inside, with its peer sent to PID 1's namespace: the host's.
    inside(ns_path, {"link", "add", "eth0", "type", "veth", "peer", "name", veth_, "netns", "1"});
    inside(ns_path, {"address", "add", subnet_.address(2) + "/24", "dev", "eth0"});
    inside(ns_path, {"link", "set", "eth0", "up"});
    inside(ns_path, {"link", "set", "lo", "up"});
    ip({"/sbin/ip", "address", "add", subnet_.address(1) + "/24", "dev", veth_});
    ip({"/sbin/ip", "link", "set", veth_, "up"});
  }
  ~OutsideHost() {
    run({"/sbin/ip", "link", "delete", veth_});  // both ends, now, not when the namespace goes
  }

  std::string address() const { return subnet_.address(2); }
  std::string host_side() const { return subnet_.address(1); }
  int port() const { return port_; }
  bool ready() const { return ns_ && listener_ && link_exists(veth_); }

  /// Accepts one connection; returns the peer's address and what it sent.
  std::pair<std::string, std::string> accept_one(milliseconds timeout) {
    pollfd p{listener_.get(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return {};
    sockaddr_in peer{};
    socklen_t size = sizeof peer;
    UniqueFd connection(::accept4(listener_.get(), reinterpret_cast<sockaddr*>(&peer), &size, SOCK_CLOEXEC));
    char text[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &peer.sin_addr, text, sizeof text);
    return {text, receive(connection.get(), milliseconds(3000), false)};
  }

 private:
  static void ip(const std::vector<std::string>& argv) {
    auto r = run(argv);
    if (r.exit_code != 0) ADD_FAILURE() << "ip failed: " << r;
  }
  static void inside(const std::string& ns_path, const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"/usr/bin/nsenter", "--net=" + ns_path, "/sbin/ip"};
    argv.insert(argv.end(), args.begin(), args.end());
    ip(argv);
  }

  const SubnetClaim& subnet_;
  std::string veth_;
  int port_ = random_port();
  UniqueFd ns_, listener_;
};

TEST_F(Network, NatReachesAnOutsideHostWithTheHostsAddress_Exercise) {
  SubnetClaim outside_subnet = claim_subnet();
  OutsideHost outside(outside_subnet);
  ASSERT_TRUE(outside.ready());
  std::string message = unique_name("hello-from-");
  auto client = std::async(std::launch::async, [&] {
    return run(ch04({}, {"/bin/sh", "-c",
                         "echo " + message + " | nc -w 5 " + outside.address() + " " + std::to_string(outside.port())}));
  });
  auto [peer, received] = outside.accept_one(milliseconds(15000));
  auto r = client.get();
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(received, message + "\n") << r;
  EXPECT_EQ(peer, outside.host_side()) << "the outside host must see the host's address (masquerade), not the "
                                          "container's";
}

TEST_F(Network, PublishedTcpPortAnswersOnLoopbackAndTheBridgeAddress_Exercise) {
  int port = random_port();
  auto c = start({"-p", std::to_string(port) + ":80"}, "httpd -f -p 80 -h /etc &");
  // httpd serves the container's /etc: its hostname file names the container.
  for (const auto& ip : {std::string("127.0.0.1"), subnet_.address(1)}) {
    std::string reply = http_get(ip, port, "/hostname");
    EXPECT_NE(reply.find("200 OK"), std::string::npos) << "via " << ip << ":" << port << ":\n" << reply;
    EXPECT_NE(reply.find(c.id), std::string::npos) << "via " << ip << ":" << port << ":\n" << reply;
  }
  EXPECT_EQ(c.stop().exit_code, 0);
  expect_nothing_left(c.id);
}

TEST_F(Network, PublishedUdpPortAnswers_Exercise) {
  int port = random_port();
  auto c = start({"-p", "127.0.0.1:" + std::to_string(port) + ":5353/udp"}, "probe udp-echo 5353 >/dev/null &");
  std::string payload = unique_name("datagram-");
  EXPECT_EQ(udp_ask("127.0.0.1", port, payload), "echo:" + payload);
  EXPECT_NE(published_elements().find("127.0.0.1 . udp . " + std::to_string(port)), std::string::npos)
      << published_elements();
  EXPECT_EQ(c.stop().exit_code, 0);
  expect_nothing_left(c.id);
}

TEST_F(Network, EtcFilesAreTheContainersAndTheRootfsIsUntouched_Exercise) {
  fs::path etc = fs::path(rootfs()) / "etc";
  std::map<std::string, std::pair<std::string, struct timespec>> before;
  for (const char* name : {"hosts", "resolv.conf", "hostname"}) {
    struct stat st;
    ASSERT_EQ(::stat((etc / name).c_str(), &st), 0) << (etc / name);
    before[name] = {dockling::read_file(etc / name), st.st_mtim};
  }
  std::string db = "db-" + dockling::random_hex(3);
  auto r = run(ch04({"--dns", "192.0.2.53", "--dns", "192.0.2.54", "--add-host", db + ":10.1.2.3"},
                    {"/bin/sh", "-c", "cat /etc/hostname; echo ---; cat /etc/hosts; echo ---; cat /etc/resolv.conf"}));
  ASSERT_EQ(r.exit_code, 0) << r;
  std::string id = r.out.substr(0, r.out.find('\n'));
  EXPECT_EQ(id.size(), 12u) << r;
  EXPECT_NE(r.out.find("127.0.0.1\tlocalhost\n"), std::string::npos) << r;
  EXPECT_NE(r.out.find("10.1.2.3\t" + db + "\n"), std::string::npos) << r;
  EXPECT_NE(r.out.find(subnet_.address(2) + "\t" + id + "\n"), std::string::npos) << "its own name and address\n" << r;
  EXPECT_NE(r.out.find("nameserver 192.0.2.53\nnameserver 192.0.2.54\n"), std::string::npos) << r;
  for (const auto& [name, old] : before) {
    struct stat st;
    ASSERT_EQ(::stat((etc / name).c_str(), &st), 0);
    EXPECT_EQ(dockling::read_file(etc / name), old.first) << name << " in the rootfs was written to";
    EXPECT_EQ(st.st_mtim.tv_sec, old.second.tv_sec) << name << " in the rootfs was modified";
    EXPECT_EQ(st.st_mtim.tv_nsec, old.second.tv_nsec) << name << " in the rootfs was modified";
  }
  expect_nothing_left(id);
}

TEST_F(Network, MalformedPublishIs125NamesItAndConfiguresNothing) {
  for (const std::string bad : {"80:", "abc:80", "70000:80", "8080:80/sctp", "1.2.3:80:80"}) {
    auto r = run(ch04({"-p", bad}, {"/bin/true"}));
    EXPECT_EQ(r.exit_code, 125) << bad << "\n" << r;
    EXPECT_NE(r.err.find("\"" + bad + "\""), std::string::npos) << "the error must name " << bad << "\n" << r;
  }
  EXPECT_FALSE(link_exists(bridge_)) << "a bad -p must not create the bridge";
  EXPECT_FALSE(fs::exists(leases().parent_path())) << "a bad -p must not take a lease";
}

TEST_F(Network, IpGivesThatAddressWithDockersMacAndIsRefusedWhenTakenOrOutsideTheSubnet) {
  // docker run --ip: that address instead of the lowest free one; every bridge container's
  // MAC is docker's, 02:42 and the address's four bytes.
  std::string ip = subnet_.address(20);
  auto holder = start({"--ip", ip});
  EXPECT_EQ(holder.address, ip);
  std::string other = subnet_.address(21);
  auto link = run(ch04({"--ip", other}, {"/bin/sh", "-c", "ip -4 addr show eth0; ip link show eth0"}));
  ASSERT_EQ(link.exit_code, 0) << link;
  EXPECT_NE(link.out.find("inet " + other + "/24"), std::string::npos) << link;
  std::string mac = dockling::ch04::mac_address_for(*dockling::ch04::Ipv4::parse(other));
  EXPECT_EQ(mac, fmt::format("02:42:{:02x}:{:02x}:{:02x}:15", std::stoi(other), std::stoi(other.substr(other.find('.') + 1)),
                             std::stoi(other.substr(other.find('.', other.find('.') + 1) + 1))));
  EXPECT_NE(link.out.find("link/ether " + mac), std::string::npos) << link;
  auto taken = run(ch04({"--ip", ip}, {"/bin/true"}));
  EXPECT_EQ(taken.exit_code, 125) << taken;
  EXPECT_NE(taken.err.find("--ip " + ip + ": address already in use by container " + holder.id), std::string::npos)
      << taken;
  for (const std::string& outside : {std::string("192.0.2.7"), subnet_.address(1), subnet_.address(255)}) {
    auto r = run(ch04({"--ip", outside}, {"/bin/true"}));
    EXPECT_EQ(r.exit_code, 125) << r;
    EXPECT_NE(r.err.find("--ip " + outside + ": not a container address of bridge " + bridge_), std::string::npos) << r;
  }
  auto malformed = run(ch04({"--ip", "10.1.2"}, {"/bin/true"}));
  EXPECT_EQ(malformed.exit_code, 125) << malformed;
  EXPECT_NE(malformed.err.find("invalid --ip \"10.1.2\""), std::string::npos) << malformed;
  EXPECT_EQ(holder.stop().exit_code, 0);
  expect_nothing_left(holder.id);
}

TEST_F(Network, HostPortAlreadyPublishedNamesTheHolderAndLeavesNothing_Exercise) {
  int port = random_port();
  auto holder = start({"-p", std::to_string(port) + ":80"});
  auto r = run(ch04({"-p", std::to_string(port) + ":81"}, {"/bin/true"}));
  EXPECT_EQ(r.exit_code, 125) << r;
  EXPECT_NE(r.err.find(std::to_string(port)), std::string::npos) << r;
  EXPECT_NE(r.err.find(holder.id), std::string::npos) << "the error must name the holder " << holder.id << "\n" << r;
  size_t leases_now = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(leases())) ++leases_now;
  EXPECT_EQ(leases_now, 1u) << "the refused run left a lease";
  EXPECT_EQ(holder.stop().exit_code, 0);
  expect_nothing_left(holder.id);
}

TEST_F(Network, ExhaustedSubnetIsAClearError_Exercise) {
  // A /30 has one address for a container: .1 is the gateway, .3 the broadcast.
  std::string tiny = subnet_.address(0) + "/30";
  auto argv_for = [&](const std::vector<std::string>& command) {
    auto argv = ch04({}, command);
    for (size_t i = 0; i + 1 < argv.size(); ++i)
      if (argv[i] == "--subnet") argv[i + 1] = tiny;
    return argv;
  };
  auto holder = std::make_unique<Background>(
      argv_for({"/bin/sh", "-c", "trap 'exit 0' TERM; echo ready; while :; do sleep 0.1; done"}));
  ASSERT_EQ(holder->read_line().value_or(""), "ready");
  auto r = run(argv_for({"/bin/true"}));
  EXPECT_EQ(r.exit_code, 125) << r;
  EXPECT_NE(r.err.find("exhausted"), std::string::npos) << r;
  EXPECT_NE(r.err.find(tiny), std::string::npos) << r;
  holder->signal(SIGTERM);
  EXPECT_EQ(holder->wait().exit_code, 0);
}

TEST_F(Network, WhatACrashLeavesIsReclaimedByTheNextRunAndPrune_Exercise) {
  int port = random_port();
  auto crashed = start({"-p", std::to_string(port) + ":80"});
  ASSERT_EQ(crashed.id.size(), 12u) << "the container did not start";
  crashed.process->signal(SIGKILL);  // no clean-up: the container dies with it (PDEATHSIG)
  crashed.process->wait();
  EXPECT_EQ(fs::is_empty(leases()), false) << "the crashed run's lease should still be on file";

  // The next run reclaims the dead lease (and its port), and cleans up after itself.
  auto r = run(ch04({"-p", std::to_string(port) + ":80"}, {"/bin/cat", "/etc/hostname"}));
  ASSERT_EQ(r.exit_code, 0) << r;
  std::string id = r.out.substr(0, r.out.find('\n'));
  expect_nothing_left(id);
  expect_nothing_left(crashed.id);

  auto pruned = run({bin(kBinary), "--root", root_->path(), "network", "prune", "--bridge", bridge_});
  EXPECT_EQ(pruned.exit_code, 0) << pruned;
  EXPECT_FALSE(link_exists(bridge_));
  EXPECT_FALSE(dockling::ch04::nat_table_exists(bridge_));
}

TEST_F(Network, PruneRefusesWhileAContainerRuns_Exercise) {
  auto c = start({});
  auto pruned = run({bin(kBinary), "--root", root_->path(), "network", "prune", "--bridge", bridge_});
  EXPECT_EQ(pruned.exit_code, 125) << pruned;
  EXPECT_NE(pruned.err.find(c.id), std::string::npos) << pruned;
  EXPECT_TRUE(link_exists(bridge_));
  EXPECT_EQ(c.stop().exit_code, 0);
  expect_nothing_left(c.id);
}

}  // namespace
