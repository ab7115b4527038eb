#include "routing_mesh.hpp"

#include <fmt/format.h>

#include "dockling/log.hpp"
#include "nat.hpp"

namespace dockling::ch15 {

std::string mesh_table(const std::string& bridge, const std::string& subnet, const std::string& own_address,
                       const std::vector<MeshPort>& ports) {
  std::string rules;
  for (const auto& port : ports) {
    if (port.backends.empty()) continue;  // nobody to answer: the host refuses
    std::string to;
    if (port.backends.size() == 1) {
      to = port.backends[0];
    } else {
      std::string map;
      for (size_t i = 0; i < port.backends.size(); ++i)
        map += fmt::format("{}{} : {}", i == 0 ? "" : ", ", i, port.backends[i]);
      to = fmt::format("numgen random mod {} map {{ {} }}", port.backends.size(), map);
    }
    rules += fmt::format("    {} dport {} dnat to {} : {}\n", port.protocol, port.published, to, port.target);
  }
  return fmt::format(R"(table ip {table} {{
  chain prerouting {{
    type nat hook prerouting priority dstnat; policy accept;
    fib daddr type local jump published
  }}
  chain output {{
    type nat hook output priority -100; policy accept;
    fib daddr type local jump published
  }}
  chain published {{
{rules}  }}
  chain postrouting {{
    type nat hook postrouting priority srcnat; policy accept;
    oifname "{bridge}" ip saddr != {subnet} snat to {own}
  }}
  chain input {{
    type filter hook input priority filter; policy accept;
    iifname "{bridge}" ip daddr 127.0.0.0/8 ct state new drop
  }}
}}
)",
                     fmt::arg("table", kMeshTable), fmt::arg("rules", rules), fmt::arg("bridge", bridge),
                     fmt::arg("subnet", subnet), fmt::arg("own", own_address));
}

void apply_mesh(const std::string& table) {
  ch04::Nftables nft;
  // Made if missing, then deleted and made again: one batch, so no packet sees a half table.
  nft.run(fmt::format("table ip {0}\ndelete table ip {0}\n{1}", kMeshTable, table));
}

void remove_mesh() noexcept {
  try {
    ch04::Nftables nft;
    nft.try_run(fmt::format("delete table ip {}", kMeshTable));
  } catch (const std::exception& e) {
    log::warning("routing mesh: {}", e.what());
  }
}

}  // namespace dockling::ch15
