#include "address.hpp"

#include <arpa/inet.h>

#include <charconv>

#include <fmt/format.h>

#include "dockling/error.hpp"

namespace dockling::ch04 {

namespace {

/// A decimal number in [low, high], or nullopt (no sign, no spaces, nothing after it).
std::optional<unsigned> parse_number(std::string_view text, unsigned low, unsigned high) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (value < low || value > high) return std::nullopt;
  return value;
}

/// One port number of a -p or --expose value (`flag`), the `which` port of `whole`.
std::uint16_t parse_port(const std::string& whole, std::string_view which, std::string_view text,
                         std::string_view flag = "-p") {
  if (text.empty()) throw Error(fmt::format("invalid {} \"{}\": {} port is missing", flag, whole, which));
  if (text.find_first_not_of("0123456789") != std::string_view::npos)
    throw Error(fmt::format("invalid {} \"{}\": {} port \"{}\" is not a number", flag, whole, which, text));
  auto port = parse_number(text, 1, 65535);
  if (!port)
    throw Error(fmt::format("invalid {} \"{}\": {} port {} is out of range (1-65535)", flag, whole, which, text));
  return static_cast<std::uint16_t>(*port);
}

}  // namespace

std::optional<Ipv4> Ipv4::parse(std::string_view text) {
  in_addr address{};
  if (::inet_pton(AF_INET, std::string(text).c_str(), &address) != 1) return std::nullopt;
  return Ipv4{ntohl(address.s_addr)};
}

std::string Ipv4::str() const {
  return fmt::format("{}.{}.{}.{}", value >> 24, (value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff);
}

std::string mac_address_for(Ipv4 address) {
  return fmt::format("02:42:{:02x}:{:02x}:{:02x}:{:02x}", address.value >> 24, (address.value >> 16) & 0xff,
                     (address.value >> 8) & 0xff, address.value & 0xff);
}

Subnet Subnet::parse(const std::string& text) {
  auto slash = text.find('/');
  auto address = Ipv4::parse(std::string_view(text).substr(0, slash));
  if (slash == std::string::npos || !address)
    throw Error(fmt::format("invalid subnet \"{}\": expected A.B.C.D/N, e.g. 10.201.0.0/16", text));
  auto prefix = parse_number(std::string_view(text).substr(slash + 1), 8, 30);
  if (!prefix) throw Error(fmt::format("invalid subnet \"{}\": the prefix length must be 8..30", text));
  Subnet subnet{*address, static_cast<int>(*prefix)};
  std::uint32_t mask = ~std::uint32_t{0} << (32 - subnet.prefix);
  if ((address->value & ~mask) != 0) {
    throw Error(fmt::format("invalid subnet \"{}\": host bits are set (did you mean {}/{}?)", text,
                            Ipv4{address->value & mask}.str(), subnet.prefix));
  }
  return subnet;
}

std::string Subnet::str() const { return fmt::format("{}/{}", network.str(), prefix); }

bool Subnet::contains(Ipv4 address) const {
  return address.value - network.value < size();  // unsigned: below network wraps to huge
}

PortMapping parse_port_mapping(const std::string& text) {
  PortMapping mapping;
  std::string_view rest = text;
  if (auto slash = rest.rfind('/'); slash != std::string_view::npos) {
    mapping.protocol = std::string(rest.substr(slash + 1));
    if (mapping.protocol != "tcp" && mapping.protocol != "udp")
      throw Error(fmt::format("invalid -p \"{}\": protocol \"{}\" is not tcp or udp", text, mapping.protocol));
    rest = rest.substr(0, slash);
  }
  auto last = rest.rfind(':');
  if (last == std::string_view::npos)
    throw Error(fmt::format("invalid -p \"{}\": expected [IP:]HOSTPORT:CONTAINERPORT", text));
  mapping.container_port = parse_port(text, "container", rest.substr(last + 1));
  rest = rest.substr(0, last);
  if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    mapping.host_ip = std::string(rest.substr(0, colon));
    if (!Ipv4::parse(mapping.host_ip))
      throw Error(fmt::format("invalid -p \"{}\": \"{}\" is not an IPv4 address", text, mapping.host_ip));
    if (mapping.host_ip == "0.0.0.0") mapping.host_ip.clear();  // docker's "any"
    rest = rest.substr(colon + 1);
  }
  mapping.host_port = parse_port(text, "host", rest);
  return mapping;
}

std::vector<PortMapping> parse_exposed_ports(const std::string& text) {
  std::string_view rest = text;
  std::string protocol = "tcp";
  if (auto slash = rest.rfind('/'); slash != std::string_view::npos) {
    protocol = std::string(rest.substr(slash + 1));
    if (protocol != "tcp" && protocol != "udp")
      throw Error(fmt::format("invalid --expose \"{}\": protocol \"{}\" is not tcp or udp", text, protocol));
    rest = rest.substr(0, slash);
  }
  auto dash = rest.find('-');
  std::uint16_t first = parse_port(text, "the", rest.substr(0, dash), "--expose");
  std::uint16_t last = dash == std::string_view::npos ? first : parse_port(text, "the last", rest.substr(dash + 1), "--expose");
  if (last < first) throw Error(fmt::format("invalid --expose \"{}\": the range ends before it starts", text));
  std::vector<PortMapping> ports;
  for (unsigned port = first; port <= last; ++port)
    ports.push_back(PortMapping{"", 0, static_cast<std::uint16_t>(port), protocol});
  return ports;
}

std::string exposed_port_str(const PortMapping& port) { return fmt::format("{}/{}", port.container_port, port.protocol); }

std::string port_mapping_str(const PortMapping& port) {
  std::string ip = port.host_ip.empty() ? "" : port.host_ip + ":";
  return fmt::format("{}{}:{}/{}", ip, port.host_port, port.container_port, port.protocol);
}

bool is_ip_address(const std::string& text) {
  unsigned char buffer[sizeof(in6_addr)];
  return ::inet_pton(AF_INET, text.c_str(), buffer) == 1 || ::inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

HostEntry parse_host_entry(const std::string& text) {
  auto colon = text.find(':');
  if (colon == std::string::npos || colon == 0)
    throw Error(fmt::format("invalid --add-host \"{}\": expected NAME:IP", text));
  HostEntry entry{text.substr(0, colon), text.substr(colon + 1)};
  if (entry.name.find_first_of(" \t\n#") != std::string::npos)
    throw Error(fmt::format("invalid --add-host \"{}\": bad host name \"{}\"", text, entry.name));
  if (!is_ip_address(entry.ip))
    throw Error(fmt::format("invalid --add-host \"{}\": \"{}\" is not an IP address", text, entry.ip));
  return entry;
}

}  // namespace dockling::ch04
