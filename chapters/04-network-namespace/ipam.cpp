#include "ipam.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "dockling/fs.hpp"

namespace dockling::ch04 {

namespace fs = std::filesystem;

namespace {

std::string serialize(const Lease& lease) {
  std::string text = fmt::format("container {}\nowner {} {}\nroot {}\n", lease.container_id, lease.owner.pid,
                                 lease.owner.start_time, lease.root.string());
  for (const auto& port : lease.ports) {
    text += fmt::format("port {} {} {} {}\n", port.protocol, port.host_ip.empty() ? "-" : port.host_ip,
                        port.host_port, port.container_port);
  }
  return text;
}

std::optional<Lease> parse_lease(const std::string& name, const std::string& text) {
  auto address = Ipv4::parse(name);
  if (!address) return std::nullopt;
  Lease lease{*address, {}, {}, {}, {}};
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string key;
    words >> key;
    if (key == "container") {
      words >> lease.container_id;
    } else if (key == "owner") {
      words >> lease.owner.pid >> lease.owner.start_time;
    } else if (key == "root") {
      std::string root;
      std::getline(words >> std::ws, root);
      lease.root = root;
    } else if (key == "port") {
      PortMapping port;
      unsigned host_port = 0, container_port = 0;
      words >> port.protocol >> port.host_ip >> host_port >> container_port;
      if (port.host_ip == "-") port.host_ip.clear();
      port.host_port = static_cast<std::uint16_t>(host_port);
      port.container_port = static_cast<std::uint16_t>(container_port);
      lease.ports.push_back(port);
    }
  }
  return lease;
}

}  // namespace

NetworkState::NetworkState(const fs::path& run_dir, const std::string& bridge) : dir_(run_dir / "network" / bridge) {}

UniqueFd NetworkState::lock() {
  std::error_code error;
  fs::create_directories(dir_ / "leases", error);
  if (error) throw Error(fmt::format("mkdir(\"{}\"): {}", (dir_ / "leases").string(), error.message()));
  return lock_file(dir_ / "lock");
}

std::optional<Subnet> NetworkState::subnet() const {
  if (!path_exists((dir_ / "subnet").string())) return std::nullopt;
  std::string text = read_file((dir_ / "subnet").string());
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return Subnet::parse(text);
}

void NetworkState::set_subnet(const Subnet& subnet) { write_file((dir_ / "subnet").string(), subnet.str() + "\n"); }

std::optional<Lease> NetworkState::lease(const Ipv4& address) const {
  std::string name = address.str();
  try {
    return parse_lease(name, read_file((dir_ / "leases" / name).string()));
  } catch (const Error&) {
    return std::nullopt;  // none on file
  }
}

std::vector<Lease> NetworkState::leases() const {
  std::vector<Lease> leases;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir_ / "leases", error)) {
    std::string name = entry.path().filename();
    if (name.starts_with(".")) continue;  // a lease being written
    try {
      if (auto lease = parse_lease(name, read_file(entry.path().string()))) leases.push_back(*lease);
    } catch (const Error&) {
      // removed meanwhile by a run that did not take the lock (clean-up after exit)
    }
  }
  std::sort(leases.begin(), leases.end(), [](const Lease& a, const Lease& b) { return a.address < b.address; });
  return leases;
}

void NetworkState::save(const Lease& lease) {
  fs::path file = dir_ / "leases" / lease.address.str();
  fs::path temporary = dir_ / "leases" / ("." + lease.address.str());
  write_file(temporary.string(), serialize(lease));
  check(::rename(temporary.c_str(), file.c_str()), "rename", file.string());
}

void NetworkState::remove(const Lease& lease) noexcept {
  ::unlink((dir_ / "leases" / lease.address.str()).c_str());
}

}  // namespace dockling::ch04
