/// @file ipam.hpp
/// @brief IP address management: which container holds which address of a bridge's subnet,
/// kept as one lease file per address, behind a lock. A bridge is the whole host's, whatever
/// the state root of the run that made it, so its leases are too: they live in the host's run
/// directory (StateRoot::host_run_dir(), /run/dockling), and two roots on one bridge never
/// lease one address twice.
///
///     RUN/network/BRIDGE/lock            flock(2)ed while leases are read or changed
///     RUN/network/BRIDGE/subnet          the subnet the bridge was created with
///     RUN/network/BRIDGE/leases/10.201.0.2   container ID / owner PID START / root / port ...
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "address.hpp"
#include "dockling/fd.hpp"
#include "dockling/state.hpp"

namespace dockling::ch04 {

/// One address held by one container, and the host ports it published.
struct Lease {
  Ipv4 address;                    ///< the container's address on the bridge
  std::string container_id;        ///< the full container id
  /// The process that holds it: the runtime while it creates the container, then the
  /// container's own first process. A lease whose owner is gone may be reclaimed.
  ProcessIdentity owner;
  std::filesystem::path root;      ///< the container's state root, where its files are
  std::vector<PortMapping> ports;  ///< its -p mappings
};

/// The state of one bridge network under RUN/network/BRIDGE.
class NetworkState {
 public:
  /// @param run_dir the host's run directory (StateRoot::host_run_dir())
  /// @param bridge the bridge's name
  NetworkState(const std::filesystem::path& run_dir, const std::string& bridge);

  /// The directory RUN/network/BRIDGE.
  const std::filesystem::path& dir() const noexcept { return dir_; }
  /// Creates the directories and takes the network's lock (flock LOCK_EX); it is held
  /// until the returned descriptor is closed. Parallel runs queue here.
  UniqueFd lock();
  /// The subnet recorded when the bridge was created, if any.
  std::optional<Subnet> subnet() const;
  /// Records the bridge's subnet.
  void set_subnet(const Subnet& subnet);
  /// The lease of `address`, if one is on file.
  std::optional<Lease> lease(const Ipv4& address) const;
  /// Every lease on file (live or not), in address order.
  std::vector<Lease> leases() const;
  /// Writes `lease` (atomically: a temporary file renamed over it).
  void save(const Lease& lease);
  /// Removes `lease`'s file; never throws.
  void remove(const Lease& lease) noexcept;

 private:
  std::filesystem::path dir_;
};

/// Exercise (chapter 04's; defined in exercises/04-network-namespace/pick_address.cpp, the
/// stub you fill in, or solutions/04-network-namespace/pick_address.cpp): the address a new
/// container gets on the bridge.
///
/// Returns the lowest *container address* of `subnet` that no lease in `taken` holds. The
/// container addresses are hosts 2 .. size-2: host 0 is the network itself, host 1 the
/// gateway (the bridge's own address), and the last one the broadcast address; none of those
/// is ever returned, whatever `taken` holds.
///
/// `taken` is what is on file: in any order, possibly with the same address twice, and
/// possibly with addresses that are not container addresses of `subnet` (leases written while
/// the bridge had another subnet, or a hand-edited file). Those block nothing.
///
/// It must stay fast on a big subnet: `--subnet 10.0.0.0/8` has 16 million addresses, and
/// tens of thousands of leases on file must not cost seconds (it runs under the network's
/// lock, and every parallel start waits for it).
///
/// @throws Error `subnet 10.201.0.0/30 is exhausted: all 1 container addresses are leased
///         (see network prune or use --subnet)` when every container address is taken: the
///         subnet, and how many container addresses it has.
Ipv4 pick_address(const Subnet& subnet, const std::vector<Lease>& taken);

}  // namespace dockling::ch04
