#include "registry_gc.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "dockling/fs.hpp"
#include "registry_manifests.hpp"
#include "registry_paths.hpp"

namespace fs = std::filesystem;

namespace dockling::ch12 {

namespace {

/// The repositories under ROOT/repositories: every directory that holds one of the storage's
/// own directories (_layers, _manifests, _tags, _uploads), by name.
std::vector<std::string> all_repositories(const RegistryPaths& paths) {
  std::set<std::string> names;
  fs::path base = paths.repositories();
  std::error_code error;
  for (auto it = fs::recursive_directory_iterator(base, error); !error && it != fs::recursive_directory_iterator();
       it.increment(error)) {
    if (!it->is_directory() || !RegistryPaths::is_internal(it->path().filename().string())) continue;
    names.insert(it->path().parent_path().lexically_relative(base).string());
    it.disable_recursion_pending();
  }
  return {names.begin(), names.end()};
}

/// "sha256:HEX" for each file of `dir` (a repository's _manifests or _layers, ROOT/blobs/sha256).
std::vector<std::string> digests_in(const fs::path& dir) {
  std::vector<std::string> digests;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir, error))
    if (entry.is_regular_file()) digests.push_back("sha256:" + entry.path().filename().string());
  std::sort(digests.begin(), digests.end());
  return digests;
}

/// Marks manifest `digest` of repository `name` and everything it references, once.
class Marker {
 public:
  Marker(const RegistryPaths& paths, std::ostream& out) : paths_(paths), out_(out) {}

  void manifest(const std::string& name, const std::string& digest) {
    if (!visited_.insert(digest).second) return;
    out_ << name << ": marking manifest " << digest << "\n";
    marked.insert(digest);
    fs::path blob = paths_.blob(digest);
    if (!path_exists(blob.string())) return;  // linked but never stored: nothing to keep
    std::string media_type;
    fs::path link = paths_.manifest_link(name, digest);
    if (path_exists(link.string())) media_type = read_file(link.string());
    ManifestReferences references;
    try {
      references = check_manifest(read_file(blob.string()), media_type);
    } catch (const Error& e) {
      throw Error(fmt::format("{}: manifest {}: {}", name, digest, e.what()), 1);
    }
    for (const auto& child : references.blobs) {
      out_ << name << ": marking blob " << child << "\n";
      marked.insert(child);
    }
    for (const auto& child : references.manifests) manifest(name, child);
  }

  std::set<std::string> marked;

 private:
  const RegistryPaths& paths_;
  std::ostream& out_;
  std::set<std::string> visited_;
};

std::uint64_t size_of(const fs::path& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

}  // namespace

UniqueFd hold_for_serving(const fs::path& root) {
  fs::create_directories(root);
  UniqueFd fd = open_fd((root / "serve.lock").string(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (::flock(fd.get(), LOCK_SH | LOCK_NB) != 0)
    throw Error(fmt::format("{}: a garbage collection is running on it", root.string()), 1);
  return fd;
}

GcReport collect_garbage(const fs::path& root, const GcOptions& options, std::ostream& out) {
  RegistryPaths paths(root);
  if (!fs::is_directory(paths.blobs()) && !fs::is_directory(paths.repositories()))
    throw Error(fmt::format("{}: not a registry's storage (no blobs/ nor repositories/)", root.string()), 1);
  UniqueFd lock = open_fd((root / "serve.lock").string(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0)
    throw Error(fmt::format("{} is being served: stop `registry serve` first (a push between the mark and the sweep "
                            "would lose its blobs)",
                            root.string()),
                1);

  GcReport report;
  Marker marker(paths, out);
  std::vector<std::pair<std::string, std::string>> untagged;  // NAME, DIGEST
  for (const auto& name : all_repositories(paths)) {
    out << name << "\n";
    std::set<std::string> tagged;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(paths.tags(name), error)) {
      std::string digest = read_file(entry.path().string());
      while (!digest.empty() && std::isspace(static_cast<unsigned char>(digest.back()))) digest.pop_back();
      tagged.insert(digest);
    }
    for (const auto& digest : digests_in(paths.manifest_links(name))) {
      if (options.delete_untagged && !tagged.count(digest)) {
        untagged.emplace_back(name, digest);  // kept only if a tagged index of its repository lists it
        continue;
      }
      marker.manifest(name, digest);
    }
  }
  for (const auto& [name, digest] : untagged) {
    if (marker.marked.count(digest)) continue;
    report.manifests.push_back(name + "@" + digest);
    out << "manifest eligible for deletion: " << name << "@" << digest << "\n";
    if (!options.dry_run) fs::remove(paths.manifest_link(name, digest));
  }
  report.marked = marker.marked.size();

  std::vector<std::string> sweep;
  for (const auto& digest : digests_in(paths.blobs()))
    if (!marker.marked.count(digest)) sweep.push_back(digest);
  out << fmt::format("\n{} blobs marked, {} blobs and {} manifests eligible for deletion\n", report.marked,
                     sweep.size(), report.manifests.size());
  for (const auto& digest : sweep) {
    out << "blob eligible for deletion: " << digest << "\n";
    report.blobs.push_back(digest);
    report.bytes += size_of(paths.blob(digest));
    if (options.dry_run) continue;
    out << "Deleting blob: " << paths.blob(digest).string() << "\n";
    fs::remove(paths.blob(digest));
  }
  if (!options.dry_run) {
    // The repositories' links to what is gone: a HEAD of such a blob says BLOB_UNKNOWN again.
    for (const auto& name : all_repositories(paths))
      for (const auto& digest : digests_in(paths.layer_links(name)))
        if (!path_exists(paths.blob(digest).string())) fs::remove(paths.layer_link(name, digest));
  }
  return report;
}

}  // namespace dockling::ch12
