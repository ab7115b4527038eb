#include "ipam.hpp"

#include <fcntl.h>
#include <sys/file.h>
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

/// Field 22 of /proc/PID/stat: when the process started, in clock ticks after boot.
std::optional<std::uint64_t> start_time(pid_t pid) {
  std::string stat;
  try {
    stat = read_file(fmt::format("/proc/{}/stat", pid));
  } catch (const Error&) {
    return std::nullopt;  // no such process
  }
  // The command name (field 2) may hold spaces and ')': the fields after it follow the last ')'.
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string field;
  for (int number = 3; number <= 22 && fields >> field; ++number) {
    if (number == 22) return std::stoull(field);
  }
  return std::nullopt;
}

std::string serialize(const Lease& lease) {
  std::string text = fmt::format("container {}\nowner {} {}\n", lease.container_id, lease.owner_pid, lease.owner_start);
  for (const auto& port : lease.ports) {
    text += fmt::format("port {} {} {} {}\n", port.protocol, port.host_ip.empty() ? "-" : port.host_ip,
                        port.host_port, port.container_port);
  }
  return text;
}

std::optional<Lease> parse_lease(const std::string& name, const std::string& text) {
  auto address = Ipv4::parse(name);
  if (!address) return std::nullopt;
  Lease lease{*address, {}, 0, 0, {}};
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string key;
    words >> key;
    if (key == "container") {
      words >> lease.container_id;
    } else if (key == "owner") {
      words >> lease.owner_pid >> lease.owner_start;
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

Lease lease_for_this_process(const std::string& container_id) {
  Lease lease;
  lease.container_id = container_id;
  lease.owner_pid = ::getpid();
  lease.owner_start = start_time(lease.owner_pid).value_or(0);
  return lease;
}

bool owner_alive(const Lease& lease) {
  auto start = start_time(lease.owner_pid);
  return start && *start == lease.owner_start;
}

NetworkState::NetworkState(const fs::path& root, const std::string& bridge) : dir_(root / "network" / bridge) {}

UniqueFd NetworkState::lock() {
  std::error_code error;
  fs::create_directories(dir_ / "leases", error);
  if (error) throw Error(fmt::format("mkdir(\"{}\"): {}", (dir_ / "leases").string(), error.message()));
  std::string path = (dir_ / "lock").string();
  UniqueFd fd = open_fd(path, O_RDWR | O_CREAT, 0600);
  while (::flock(fd.get(), LOCK_EX) < 0) {
    if (errno != EINTR) throw_sys("flock", path);
  }
  return fd;
}

std::optional<Subnet> NetworkState::subnet() const {
  if (!path_exists((dir_ / "subnet").string())) return std::nullopt;
  std::string text = read_file((dir_ / "subnet").string());
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return Subnet::parse(text);
}

void NetworkState::set_subnet(const Subnet& subnet) { write_file((dir_ / "subnet").string(), subnet.str() + "\n"); }

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
