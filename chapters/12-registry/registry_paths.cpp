#include "registry_paths.hpp"

#include "digest.hpp"

namespace dockling::ch12 {

std::filesystem::path RegistryPaths::blob(const std::string& digest) const { return blobs() / ch10::digest_hex(digest); }

std::filesystem::path RegistryPaths::layer_link(const std::string& name, const std::string& digest) const {
  return layer_links(name) / ch10::digest_hex(digest);
}

std::filesystem::path RegistryPaths::manifest_link(const std::string& name, const std::string& digest) const {
  return manifest_links(name) / ch10::digest_hex(digest);
}

}  // namespace dockling::ch12
