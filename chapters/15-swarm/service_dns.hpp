/// @file service_dns.hpp
/// @brief The names of an overlay network, answered on its gateway address (UDP port 53) on
/// every host: a service's name gives the addresses of its running tasks (docker's DNS round
/// robin, `--endpoint-mode dnsrr`), and so does `tasks.NAME`. The tasks' resolv.conf names
/// the gateway as their only nameserver.
///
/// A small authoritative server (RFC 1035): one question a query, A records; a known name
/// asked for another type gets an empty answer, an unknown name NXDOMAIN.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "dockling/fd.hpp"

namespace dockling::ch15 {

/// Names (lower case, without the final dot) → IPv4 addresses.
using DnsNames = std::map<std::string, std::vector<std::string>>;

/// The answer to the DNS query `query` from `names`; empty when `query` is not a query this
/// server answers (too short, a response, more than one question).
std::string dns_answer(const std::string& query, const DnsNames& names);

/// DNS servers on several addresses, one thread for them all.
class ServiceDns {
 public:
  ServiceDns();
  ~ServiceDns();
  ServiceDns(const ServiceDns&) = delete;
  ServiceDns& operator=(const ServiceDns&) = delete;

  /// Answers on `address`:53 with `names` from now on (a socket the first time: IP_FREEBIND,
  /// so the address may come a moment later). @throws Error when the port cannot be bound.
  void serve(const std::string& address, DnsNames names);
  /// Stops answering on `address`.
  void forget(const std::string& address);

 private:
  void loop();

  struct Zone {
    UniqueFd socket;
    DnsNames names;
  };
  std::mutex mutex_;
  std::map<std::string, Zone> zones_;  ///< by address
  UniqueFd wake_;                      ///< an eventfd: the set of sockets changed, or stop
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace dockling::ch15
