#include "registry_url.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "dockling/text.hpp"

namespace dockling::ch12 {

namespace {

/// Docker Hub's API, behind the name docker.io that references use.
constexpr const char* kDockerHubApi = "registry-1.docker.io";

/// "HOST" of "HOST[:PORT]" ("[::1]:5000" gives "::1").
std::string host_of(const std::string& domain) {
  if (domain.starts_with('[')) {
    size_t close = domain.find(']');
    return domain.substr(1, close == std::string::npos ? std::string::npos : close - 1);
  }
  return domain.substr(0, domain.find(':'));
}

/// True for a dotted IPv4 address of 127.0.0.0/8.
bool is_loopback_ipv4(const std::string& host) {
  int parts = 0;
  size_t start = 0;
  while (start <= host.size()) {
    size_t end = host.find('.', start);
    if (end == std::string::npos) end = host.size();
    std::string part = host.substr(start, end - start);
    if (part.empty() || part.size() > 3 || !std::all_of(part.begin(), part.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
      return false;
    if (std::stoi(part) > 255 || (parts == 0 && part != "127")) return false;
    ++parts;
    start = end + 1;
  }
  return parts == 4;
}

}  // namespace

bool is_plain_http(const std::string& domain, const std::vector<std::string>& insecure) {
  std::string host = ascii_lower(host_of(domain));
  if (host == "localhost" || host == "::1" || is_loopback_ipv4(host)) return true;
  return std::any_of(insecure.begin(), insecure.end(), [&](const std::string& entry) {
    std::string wanted = ascii_lower(entry);
    return wanted == ascii_lower(domain) || wanted == host;
  });
}

RegistryRepository registry_repository(const ch10::Reference& reference, const std::vector<std::string>& insecure) {
  RegistryRepository repo;
  repo.domain = reference.domain;
  repo.repository = reference.path;
  std::string authority = reference.domain == ch10::kDefaultDomain ? kDockerHubApi : reference.domain;
  repo.base_url = (is_plain_http(reference.domain, insecure) ? "http://" : "https://") + authority;
  return repo;
}

RegistryRepository mirror_repository(const std::string& mirror, const ch10::Reference& reference) {
  std::string scheme = "https", authority = mirror;
  if (std::size_t colon = mirror.find("://"); colon != std::string::npos) {
    scheme = mirror.substr(0, colon);
    authority = mirror.substr(colon + 3);
  }
  while (!authority.empty() && authority.back() == '/') authority.pop_back();
  if ((scheme != "http" && scheme != "https") || authority.empty() || authority.find('/') != std::string::npos)
    throw Error(fmt::format("registry mirror {}: expected http://HOST[:PORT] or https://HOST[:PORT]", mirror), 1);
  RegistryRepository repo;
  repo.domain = authority;
  repo.repository = reference.path;
  repo.base_url = scheme + "://" + authority;
  return repo;
}

std::string RegistryRepository::manifest_url(const std::string& reference) const {
  return fmt::format("{}/v2/{}/manifests/{}", base_url, repository, reference);
}

std::string RegistryRepository::blob_url(const std::string& digest) const {
  return fmt::format("{}/v2/{}/blobs/{}", base_url, repository, digest);
}

std::string RegistryRepository::uploads_url() const { return fmt::format("{}/v2/{}/blobs/uploads/", base_url, repository); }

std::string RegistryRepository::absolute(const std::string& location) const {
  if (location.find("://") != std::string::npos) return location;
  if (location.starts_with('/')) return base_url + location;
  return base_url + "/" + location;
}

std::string with_query(const std::string& url, const std::string& name, const std::string& value) {
  std::string encoded;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
      encoded += static_cast<char>(c);
    else
      encoded += fmt::format("%{:02X}", c);
  }
  return url + (url.find('?') == std::string::npos ? "?" : "&") + name + "=" + encoded;
}

}  // namespace dockling::ch12
