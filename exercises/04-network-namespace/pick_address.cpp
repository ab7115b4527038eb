// Chapter 04 exercise: write pick_address, then grade it with
//   sudo scripts/grade 4
// The contract is in chapters/04-network-namespace/ipam.hpp (above pick_address); Subnet and
// Ipv4 are in address.hpp. The lease files it is given are read by NetworkState::leases().
//
// Pitfalls the tests catch (with random subnets and random leases; each failure says which
// subnet and leases it used, what it expected and what it got):
// - Three addresses of every subnet are not for containers. Which, and why? (ip(8) shows
//   the bridge's; a /30 has exactly one container address left.)
// - The leases on file are not sorted, may repeat, and may not even be in this subnet: an
//   address of another subnet can look like "host 2" if you only look at its last bits.
// - Full is an answer too: the error says which subnet and how many container addresses it
//   has, so that the user knows what to prune or which --subnet to pick.
// - Time: a /16 with 65 000 leases. Searching the list of leases once for every candidate
//   address is 4 billion comparisons.
#include "dockling/error.hpp"
#include "ipam.hpp"

namespace dockling::ch04 {

Ipv4 pick_address(const Subnet& subnet, const std::vector<Lease>& taken) {
  (void)subnet;
  (void)taken;
  throw NotImplemented("ch04::pick_address", "exercises/04-network-namespace/pick_address.cpp");
}

}  // namespace dockling::ch04
