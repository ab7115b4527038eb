// Chapter 04: the exercise pick_address() called directly, with random subnets and random
// leases (shuffled, repeated, from other subnets), full subnets, and a big one. No root, no
// network: it is a pure function.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "address.hpp"
#include "dockling/error.hpp"
#include "ipam.hpp"

namespace {

using dockling::ch04::Ipv4;
using dockling::ch04::Lease;
using dockling::ch04::pick_address;
using dockling::ch04::Subnet;

std::mt19937& engine() {
  static std::mt19937 e{std::random_device{}()};
  return e;
}

std::uint32_t random_between(std::uint32_t low, std::uint32_t high) {
  return std::uniform_int_distribution<std::uint32_t>(low, high)(engine());
}

/// A random subnet with a prefix in [low, high], e.g. 10.37.128.0/20.
Subnet random_subnet(int low, int high) {
  int prefix = static_cast<int>(random_between(static_cast<std::uint32_t>(low), static_cast<std::uint32_t>(high)));
  std::uint32_t mask = ~std::uint32_t{0} << (32 - prefix);
  std::uint32_t value = (std::uint32_t{10} << 24) | (random_between(0, 0xffffff) & mask);
  return Subnet{Ipv4{value & mask}, prefix};
}

Lease lease_of(Ipv4 address) {
  Lease lease;
  lease.address = address;
  lease.container_id = "c" + std::to_string(address.value);
  return lease;
}

std::string describe(const Subnet& subnet, const std::vector<Lease>& taken) {
  std::ostringstream out;
  out << "subnet " << subnet.str() << ", " << taken.size() << " leases";
  if (taken.size() <= 24) {
    out << ":";
    for (const auto& lease : taken) out << " " << lease.address.str();
  }
  return out.str();
}

/// The answer, the slow and obvious way: the lowest host 2 .. size-2 not leased; nullopt
/// when there is none.
std::optional<Ipv4> expected_address(const Subnet& subnet, const std::vector<Lease>& taken) {
  std::set<Ipv4> used;
  for (const auto& lease : taken) used.insert(lease.address);
  for (std::uint32_t n = 2; n + 1 < subnet.size(); ++n)
    if (!used.contains(subnet.host(n))) return subnet.host(n);
  return std::nullopt;
}

/// What pick_address gave: the address, or "threw: MESSAGE".
std::string picked(const Subnet& subnet, const std::vector<Lease>& taken) {
  try {
    return pick_address(subnet, taken).str();
  } catch (const dockling::NotImplemented& e) {
    return std::string("threw NotImplemented: ") + e.what();
  } catch (const std::exception& e) {
    return std::string("threw: ") + e.what();
  }
}

TEST(PickAddress, AnEmptySubnetGivesHostTwo_Exercise) {
  for (int round = 0; round < 20; ++round) {
    Subnet subnet = random_subnet(8, 30);
    EXPECT_EQ(picked(subnet, {}), subnet.host(2).str())
        << describe(subnet, {}) << ". Host 0 (" << subnet.network.str() << ") is the network itself, host 1 ("
        << subnet.gateway().str() << ") the gateway, the bridge's own address: the first container gets host 2";
  }
}

TEST(PickAddress, LowestFreeAddressWhateverTheOrderOfTheLeases_Exercise) {
  for (int round = 0; round < 50; ++round) {
    Subnet subnet = random_subnet(24, 29);
    std::vector<Lease> taken;
    // A random share of the container addresses, a few of them twice, in random order.
    std::uint32_t share = random_between(10, 95);
    for (std::uint32_t n = 2; n + 1 < subnet.size(); ++n) {
      if (random_between(1, 100) > share) continue;
      taken.push_back(lease_of(subnet.host(n)));
      if (random_between(1, 10) == 1) taken.push_back(lease_of(subnet.host(n)));
    }
    std::shuffle(taken.begin(), taken.end(), engine());
    auto expected = expected_address(subnet, taken);
    std::string want = expected ? expected->str() : "threw: subnet " + subnet.str() + " is exhausted...";
    std::string got = picked(subnet, taken);
    if (expected) {
      EXPECT_EQ(got, want) << describe(subnet, taken) << " (in no particular order, some twice)";
    } else {
      EXPECT_NE(got.find("exhausted"), std::string::npos) << describe(subnet, taken) << ": every address is leased";
    }
  }
}

TEST(PickAddress, LeasesOfOtherSubnetsAndReservedAddressesBlockNothing_Exercise) {
  for (int round = 0; round < 20; ++round) {
    Subnet subnet = random_subnet(16, 29);
    // The same host numbers in neighbouring subnets of the same size, and this subnet's own
    // network, gateway and broadcast addresses (a hand-edited or old lease file).
    Subnet below{Ipv4{subnet.network.value - subnet.size()}, subnet.prefix};
    Subnet above{Ipv4{subnet.network.value + subnet.size()}, subnet.prefix};
    std::vector<Lease> taken;
    for (std::uint32_t n = 0; n < std::min<std::uint32_t>(subnet.size(), 40); ++n) {
      taken.push_back(lease_of(below.host(n)));
      taken.push_back(lease_of(above.host(n)));
    }
    taken.push_back(lease_of(subnet.host(0)));
    taken.push_back(lease_of(subnet.host(1)));
    taken.push_back(lease_of(subnet.host(subnet.size() - 1)));
    // And a few real ones, from host 2 on.
    std::uint32_t real = random_between(0, std::min<std::uint32_t>(subnet.size() - 4, 5));
    for (std::uint32_t n = 2; n < 2 + real; ++n) taken.push_back(lease_of(subnet.host(n)));
    std::shuffle(taken.begin(), taken.end(), engine());
    EXPECT_EQ(picked(subnet, taken), subnet.host(2 + real).str())
        << describe(subnet, taken) << ". Only leases inside " << subnet.str()
        << " on hosts 2 .. size-2 count: " << real << " of them here";
  }
}

TEST(PickAddress, AFullSubnetIsAnErrorNamingItNeverTheBroadcast_Exercise) {
  for (int round = 0; round < 10; ++round) {
    Subnet subnet = random_subnet(25, 30);
    std::vector<Lease> taken;
    for (std::uint32_t n = 2; n + 1 < subnet.size(); ++n) taken.push_back(lease_of(subnet.host(n)));
    std::shuffle(taken.begin(), taken.end(), engine());
    std::string got = picked(subnet, taken);
    std::string count = std::to_string(subnet.size() - 3);
    EXPECT_TRUE(got.starts_with("threw: ") && got.find(subnet.str()) != std::string::npos &&
                got.find("exhausted") != std::string::npos && got.find(" " + count + " ") != std::string::npos)
        << describe(subnet, taken) << ": every container address is leased. Expected an Error naming the subnet, "
        << "saying it is exhausted and how many container addresses it has (" << count << "); got: " << got
        << (got == Ipv4{subnet.network.value + subnet.size() - 1}.str()
                ? " (the broadcast address: a container there would get every broadcast of the subnet)"
                : "");
  }
}

TEST(PickAddress, ScalesToABigSubnet_Exercise) {
  // A /16 with every container address leased but one: 65 533 leases.
  Subnet subnet = random_subnet(16, 16);
  std::uint32_t free_host = random_between(subnet.size() / 2, subnet.size() - 2);  // far from the start
  std::vector<Lease> taken;
  taken.reserve(subnet.size());
  for (std::uint32_t n = 2; n + 1 < subnet.size(); ++n)
    if (n != free_host) taken.push_back(lease_of(subnet.host(n)));
  std::shuffle(taken.begin(), taken.end(), engine());
  auto start = std::chrono::steady_clock::now();
  std::string got = picked(subnet, taken);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(got, subnet.host(free_host).str()) << describe(subnet, taken);
  EXPECT_LT(ms, 2000) << "pick_address took " << ms << " ms for " << taken.size()
                      << " leases: every parallel start waits for it under the network's lock. Searching the "
                         "leases once per candidate address is quadratic; index them once";
}

}  // namespace
