// Chapter 04 exercise, solved.
#include <cstdint>
#include <vector>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "ipam.hpp"

namespace dockling::ch04 {

Ipv4 pick_address(const Subnet& subnet, const std::vector<Lease>& taken) {
  // The container addresses are hosts 2 .. size-2; mark the ones leased, by host number.
  // (One bit per address: 2 MiB for a /8, and no search per lease.)
  std::uint32_t size = subnet.size();
  std::vector<bool> used(size, false);
  for (const auto& lease : taken) {
    if (!subnet.contains(lease.address)) continue;  // another subnet's lease: blocks nothing
    used[lease.address.value - subnet.network.value] = true;
  }
  for (std::uint32_t n = 2; n + 1 < size; ++n) {
    if (!used[n]) return subnet.host(n);
  }
  throw Error(fmt::format("subnet {} is exhausted: all {} container addresses are leased (see {} or use --subnet)",
                          subnet.str(), size - 3, "network prune"));
}

}  // namespace dockling::ch04
