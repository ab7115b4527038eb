#include "image_store.hpp"

#include "overlay_mount.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "digest.hpp"
#include "dockling/error.hpp"
#include "dockling/fs.hpp"
#include "dockling/tempdir.hpp"
#include "rootless_store.hpp"

namespace dockling::ch10 {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

namespace {

constexpr size_t kCopySize = 64 * 1024;
constexpr std::string_view kTemporaryPrefix = ".tmp-";

/// Removes a temporary file when it goes out of scope, unless released.
struct TemporaryFile {
  fs::path path;
  ~TemporaryFile() {
    if (!path.empty()) ::unlink(path.c_str());
  }
};

bool is_hex_prefix(std::string_view text) {
  return !text.empty() && text.size() <= 64 &&
         std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

ojson empty_container_config() {
  return ojson{{"Hostname", ""},     {"Domainname", ""},  {"User", ""},         {"AttachStdin", false},
               {"AttachStdout", false}, {"AttachStderr", false}, {"Tty", false},  {"OpenStdin", false},
               {"StdinOnce", false}, {"Env", nullptr},    {"Cmd", nullptr},     {"Image", ""},
               {"Volumes", nullptr}, {"WorkingDir", ""},  {"Entrypoint", nullptr}, {"OnBuild", nullptr},
               {"Labels", nullptr}};
}

Changes::~Changes() {
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) remove_tree(*it);
}

ojson Descriptor::to_json() const {
  ojson json{{"mediaType", media_type}, {"digest", digest}, {"size", size}};
  if (!annotations.empty()) json["annotations"] = annotations;
  return json;
}

Descriptor Descriptor::from_json(const nlohmann::json& json) {
  try {
    Descriptor d;
    d.media_type = json.value("mediaType", "");
    d.digest = json.at("digest").get<std::string>();
    d.size = json.at("size").get<std::int64_t>();
    if (json.contains("annotations")) d.annotations = json.at("annotations").get<std::map<std::string, std::string>>();
    if (!is_sha256_digest(d.digest)) throw Error(fmt::format("unsupported digest \"{}\"", d.digest), 1);
    return d;
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("malformed descriptor {}: {}", json.dump(), e.what()), 1);
  }
}

ImageStore::ImageStore(const StateRoot& root)
    : root_(root.dir()), layout_(root.dir() / "images"), layers_(root.dir() / "layers") {}

fs::path ImageStore::blob_path(std::string_view digest) const {
  return layout_ / "blobs" / "sha256" / digest_hex(digest);
}

fs::path ImageStore::layer_path(std::string_view diff_id) const { return layers_ / digest_hex(diff_id); }

UniqueFd ImageStore::lock() const {
  fs::create_directories(layout_ / "blobs" / "sha256");
  UniqueFd held = lock_file(root_ / "images.lock");
  if (!path_exists((layout_ / "oci-layout").string()))
    write_file_durably(layout_ / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  if (!path_exists((layout_ / "index.json").string())) write_index({});
  return held;
}

std::string ImageStore::put_blob(int fd, const std::string& expected, Changes& changes) {
  fs::path dir = layout_ / "blobs" / "sha256";
  fs::create_directories(dir);
  TemporaryFile temporary{dir / (std::string(kTemporaryPrefix) + random_hex(8))};
  Sha256 hash;
  {
    UniqueFd out = open_fd(temporary.path.string(), O_WRONLY | O_CREAT | O_EXCL, 0644);
    std::string buffer(kCopySize, '\0');
    while (true) {
      ssize_t n = ::read(fd, buffer.data(), buffer.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        throw_sys("read", "the blob's input");
      }
      if (n == 0) break;
      std::string_view piece(buffer.data(), static_cast<size_t>(n));
      hash.update(piece);
      write_all(out.get(), piece);
    }
    check(::fsync(out.get()), "fsync", temporary.path.string());
  }
  std::string digest = hash.digest();
  if (!expected.empty() && expected != digest)
    throw Error(fmt::format("blob {}: digest mismatch: its content is {}", expected, digest), 1);
  fs::path final_path = blob_path(digest);
  if (path_exists(final_path.string())) return digest;  // the same content is there already
  check(::rename(temporary.path.c_str(), final_path.c_str()), "rename", final_path.string());
  temporary.path.clear();
  changes.created(final_path);
  return digest;
}

std::string ImageStore::put_blob(std::string_view data, const std::string& expected, Changes& changes) {
  if (data.size() > 60 * 1024) {
    // Larger: through a temporary file instead.
    TempDir dir("dockling-blob");
    std::string path = (dir.path() / "blob").string();
    write_file(path, std::string(data));
    UniqueFd in = open_fd(path, O_RDONLY);
    return put_blob(in.get(), expected, changes);
  }
  Pipe pipe = make_pipe();  // small blobs (manifests, configs) fit in a pipe's buffer
  write_all(pipe.write.get(), data);
  pipe.write.reset();
  return put_blob(pipe.read.get(), expected, changes);
}

bool ImageStore::has_blob(std::string_view digest) const { return path_exists(blob_path(digest).string()); }

std::string ImageStore::read_stored_blob(std::string_view digest) const {
  fs::path path = blob_path(digest);
  if (!path_exists(path.string())) throw Error(fmt::format("blob {} is missing from the store", digest), 1);
  return read_file(path.string());
}

std::string ImageStore::read_blob(std::string_view digest) const {
  std::string data = read_stored_blob(digest);
  std::string actual = sha256_digest(data);
  if (actual != digest) throw Error(fmt::format("blob {}: digest mismatch: its content is {}", digest, actual), 1);
  return data;
}

UnpackedLayer ImageStore::unpack_layer(std::string_view digest, const std::string& expected_diff_id, Changes& changes) {
  if (!expected_diff_id.empty() && path_exists(layer_path(expected_diff_id).string())) {
    return {expected_diff_id, layer_size(expected_diff_id)};
  }
  UniqueFd in = open_fd(blob_path(digest).string(), O_RDONLY);
  fs::create_directories(layers_);
  fs::path temporary = layers_ / (std::string(kTemporaryPrefix) + random_hex(8));
  check(::mkdir(temporary.c_str(), 0755), "mkdir", temporary.string());
  UnpackedLayer layer;
  try {
    check(::chmod(temporary.c_str(), 0755), "chmod", temporary.string());  // the container's "/"; no umask
    UniqueFd dir = open_fd(temporary.string(), O_RDONLY | O_DIRECTORY);
    layer = ch10::unpack_layer(in.get(), dir.get(), fmt::format("layer {}", digest), layer_form());
    if (!expected_diff_id.empty() && layer.diff_id != expected_diff_id)
      throw Error(fmt::format("layer {}: diff id mismatch: the config says {}, its content is {}", digest,
                              expected_diff_id, layer.diff_id),
                  1);
    fs::path final_path = layer_path(layer.diff_id);
    if (path_exists(final_path.string())) {
      remove_tree(temporary);  // another image brought the same layer
    } else {
      check(::rename(temporary.c_str(), final_path.c_str()), "rename", final_path.string());
      changes.created(final_path);
    }
  } catch (...) {
    remove_tree(temporary);
    throw;
  }
  return layer;
}

std::vector<Descriptor> ImageStore::read_index() const {
  fs::path path = layout_ / "index.json";
  if (!path_exists(path.string())) return {};
  nlohmann::json index;
  try {
    index = nlohmann::json::parse(read_file(path.string()));
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: {}", path.string(), e.what()), 1);
  }
  std::vector<Descriptor> manifests;
  if (index.contains("manifests") && index["manifests"].is_array())
    for (const auto& entry : index["manifests"]) manifests.push_back(Descriptor::from_json(entry));
  return manifests;
}

void ImageStore::write_index(const std::vector<Descriptor>& manifests) const {
  ojson list = ojson::array();
  for (const auto& d : manifests) list.push_back(d.to_json());
  ojson index{{"schemaVersion", 2}, {"mediaType", media_type::kIndex}, {"manifests", list}};
  write_file_durably(layout_ / "index.json", index.dump() + "\n");
}

std::pair<Descriptor, std::string> ImageStore::put_image(const ojson& config, const std::vector<Descriptor>& layers,
                                                        Changes& changes) {
  std::string config_data = config.dump();
  Descriptor config_descriptor{media_type::kConfig, put_blob(config_data, "", changes),
                               static_cast<std::int64_t>(config_data.size()), {}};
  ojson layer_list = ojson::array();
  for (const auto& layer : layers) layer_list.push_back(layer.to_json());
  ojson manifest{{"schemaVersion", 2},
                 {"mediaType", media_type::kManifest},
                 {"config", config_descriptor.to_json()},
                 {"layers", layer_list}};
  std::string manifest_data = manifest.dump();
  Descriptor manifest_descriptor{media_type::kManifest, put_blob(manifest_data, "", changes),
                                 static_cast<std::int64_t>(manifest_data.size()), {}};
  return {manifest_descriptor, config_descriptor.digest};
}

std::vector<Descriptor> ImageStore::read_build_cache() const {
  fs::path path = build_cache_path();
  if (!path_exists(path.string())) return {};
  std::vector<Descriptor> entries;
  try {
    for (const auto& entry : nlohmann::json::parse(read_file(path.string()))) entries.push_back(Descriptor::from_json(entry));
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: {}", path.string(), e.what()), 1);
  }
  return entries;
}

void ImageStore::write_build_cache(const std::vector<Descriptor>& entries) const {
  ojson list = ojson::array();
  for (const auto& d : entries) list.push_back(d.to_json());
  write_file_durably(build_cache_path(), list.dump() + "\n");
}

Image ImageStore::load(const Descriptor& manifest_descriptor) const {
  Image image;
  image.manifest = manifest_descriptor;
  image.manifest.annotations.clear();
  try {
    nlohmann::json manifest = nlohmann::json::parse(read_stored_blob(manifest_descriptor.digest));
    Descriptor config = Descriptor::from_json(manifest.at("config"));
    image.id = config.digest;
    for (const auto& layer : manifest.at("layers")) image.layers.push_back(Descriptor::from_json(layer));
    image.config = nlohmann::json::parse(read_stored_blob(config.digest));
    image.created = image.config.value("created", "");
    if (image.config.contains("rootfs"))
      image.diff_ids = image.config["rootfs"].value("diff_ids", std::vector<std::string>{});
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("manifest {}: {}", manifest_descriptor.digest, e.what()), 1);
  }
  return image;
}

std::vector<Image> ImageStore::images() const {
  std::vector<Image> result;
  std::map<std::string, size_t> by_manifest;
  for (const auto& descriptor : read_index()) {
    auto found = by_manifest.find(descriptor.digest);
    if (found == by_manifest.end()) {
      found = by_manifest.emplace(descriptor.digest, result.size()).first;
      result.push_back(load(descriptor));
    }
    auto name = descriptor.annotations.find(kRefNameAnnotation);
    if (name != descriptor.annotations.end()) {
      try {
        result[found->second].names.push_back(parse_reference(name->second));
      } catch (const Error&) {
        // a name another tool wrote ("v1", "latest"): not a reference docker would show
      }
    }
  }
  std::stable_sort(result.begin(), result.end(),
                   [](const Image& a, const Image& b) { return rfc3339_seconds(a.created) > rfc3339_seconds(b.created); });
  return result;
}

Image ImageStore::find(const std::string& text) const {
  std::vector<Image> all = images();
  if (text.rfind("sha256:", 0) == 0 && is_sha256_digest(text)) {
    for (const auto& image : all)
      if (image.id == text) return image;
    // A build step's image (chapter 11), as docker finds the classic builder's by id.
    for (const auto& descriptor : read_build_cache()) {
      Image image = load(descriptor);
      if (image.id == text) return image;
    }
  } else {
    std::optional<Reference> ref;
    try {
      ref = parse_reference(text);
    } catch (const Error&) {
    }
    if (ref) {
      Reference wanted = ref->with_default_tag();
      for (const auto& image : all) {
        for (const auto& name : image.names) {
          if (name.name() != wanted.name()) continue;
          if (!wanted.digest.empty() ? image.manifest.digest == wanted.digest : name.tag == wanted.tag) {
            Image found = image;
            return found;
          }
        }
      }
    }
    if (is_hex_prefix(text)) {
      const Image* match = nullptr;
      for (const auto& image : all) {
        if (image.id.compare(7, text.size(), text) != 0) continue;
        if (match != nullptr && match->id != image.id) throw Error(fmt::format("No such image: {} (ambiguous: more than one image id starts with it)", text), 1);
        match = &image;
      }
      if (match != nullptr) return *match;
    }
  }
  throw Error(fmt::format("No such image: {}", text), 1);
}

void ImageStore::point(std::vector<Descriptor>& index, const Reference& name, const Descriptor& manifest) const {
  std::string full = name.full();
  std::string previous;
  for (auto it = index.begin(); it != index.end(); ++it) {
    auto annotation = it->annotations.find(kRefNameAnnotation);
    if (annotation != it->annotations.end() && annotation->second == full) {
      previous = it->digest;
      index.erase(it);
      break;
    }
  }
  // The image loses its untagged entry, if it had one: it has a name now.
  index.erase(std::remove_if(index.begin(), index.end(),
                             [&](const Descriptor& d) {
                               return d.digest == manifest.digest && !d.annotations.count(kRefNameAnnotation);
                             }),
              index.end());
  Descriptor named = manifest;
  named.annotations = {{kRefNameAnnotation, full}};
  index.push_back(named);
  // The image the name pointed at stays, untagged when that was its last name (docker's
  // dangling <none>:<none>).
  if (!previous.empty() && previous != manifest.digest &&
      std::none_of(index.begin(), index.end(), [&](const Descriptor& d) { return d.digest == previous; })) {
    Descriptor untagged;
    untagged.media_type = media_type::kManifest;
    untagged.digest = previous;
    untagged.size = static_cast<std::int64_t>(fs::file_size(blob_path(previous)));
    index.push_back(untagged);
  }
}

std::string ImageStore::import_tarball(int fd, const std::optional<Reference>& name, const std::string& comment,
                                      const ojson& container_config) {
  if (name && !name->digest.empty()) throw Error("refusing to create a tag with a digest reference", 1);
  UniqueFd held = lock();
  Changes changes;
  std::string layer_digest = put_blob(fd, "", changes);
  // The media type from the blob's first bytes (gzip and zstd have magic numbers).
  unsigned char head[8] = {};
  UniqueFd blob = open_fd(blob_path(layer_digest).string(), O_RDONLY);
  ssize_t head_size = check(::pread(blob.get(), head, sizeof head, 0), "pread", blob_path(layer_digest).string());
  blob.reset();
  auto layer_size = static_cast<std::int64_t>(fs::file_size(blob_path(layer_digest)));
  std::string layer_type = layer_media_type(head, static_cast<size_t>(head_size));
  UnpackedLayer layer = unpack_layer(layer_digest, "", changes);

  std::string created = rfc3339_now();
  ojson history_entry{{"created", created}, {"comment", comment}};
  ojson config{{"architecture", oci_architecture()},
               {"comment", comment},
               {"config", container_config.is_null() ? empty_container_config() : container_config},
               {"container_config", empty_container_config()},
               {"created", created},
               {"history", ojson::array({history_entry})},
               {"os", "linux"},
               {"rootfs", {{"type", "layers"}, {"diff_ids", ojson::array({layer.diff_id})}}}};
  Descriptor layer_descriptor{layer_type, layer_digest, layer_size, {}};
  auto [manifest_descriptor, image_id] = put_image(config, {layer_descriptor}, changes);
  std::vector<Descriptor> index = read_index();
  if (name) {
    point(index, name->with_default_tag(), manifest_descriptor);
  } else {
    index.push_back(manifest_descriptor);
  }
  write_index(index);
  changes.commit();
  return image_id;
}

void ImageStore::tag(const std::string& source, const Reference& target) {
  if (!target.digest.empty()) throw Error("refusing to create a tag with a digest reference", 1);
  UniqueFd held = lock();
  Image image;
  try {
    image = find(source);
  } catch (const Error&) {
    // docker names the reference it looked for: "No such image: nosuch:latest"
    std::string shown = source;
    try {
      shown = parse_reference(source).with_default_tag().familiar();
    } catch (const Error&) {
    }
    throw Error(fmt::format("No such image: {}", shown), 1);
  }
  std::vector<Descriptor> index = read_index();
  point(index, target.with_default_tag(), image.manifest);
  write_index(index);
}

std::vector<std::string> ImageStore::remove(const std::string& text, bool force,
                                            const std::map<std::string, ImageUser>& users) {
  UniqueFd held = lock();
  Image image = find(text);
  // Named by one of its names (not by its id or a digest): only that name goes.
  std::optional<Reference> by_name;
  if (!(text.rfind("sha256:", 0) == 0 && is_sha256_digest(text))) {
    try {
      Reference wanted = parse_reference(text).with_default_tag();
      if (wanted.digest.empty())
        for (const auto& name : image.names)
          if (name.name() == wanted.name() && name.tag == wanted.tag) by_name = name;
    } catch (const Error&) {
      // an id prefix
    }
  }
  std::vector<Reference> untag;
  if (by_name) {
    untag.push_back(*by_name);
  } else {
    if (image.names.size() > 1 && !force)
      throw Error(fmt::format("conflict: unable to delete {} (must be forced) - image is referenced in multiple repositories",
                              image.id.substr(7, 12)),
                  1);
    untag = image.names;
  }
  // An image a container runs on keeps its layers: refused, or (forced) only untagged.
  auto user = users.find(image.id);
  bool last_name = untag.size() == image.names.size();
  if (user != users.end() && last_name) {
    std::string image_short = image.id.substr(7, 12), container_short = user->second.container_id.substr(0, 12);
    if (user->second.running)
      throw Error(fmt::format("conflict: unable to delete {} (cannot be forced) - image is being used by running "
                              "container {}",
                              image_short, container_short),
                  1);
    if (!force && by_name)
      throw Error(fmt::format("conflict: unable to remove repository reference \"{}\" (must force) - container {} is "
                              "using its referenced image {}",
                              text, container_short, image_short),
                  1);
    if (!force)
      throw Error(fmt::format("conflict: unable to delete {} (must be forced) - image is being used by stopped "
                              "container {}",
                              image_short, container_short),
                  1);
  }
  bool keep = user != users.end();
  std::vector<std::string> lines;
  std::vector<Descriptor> index = read_index();
  std::set<std::string> gone;
  for (const auto& name : untag) {
    gone.insert(name.full());
    lines.push_back("Untagged: " + name.familiar());
  }
  index.erase(std::remove_if(index.begin(), index.end(),
                             [&](const Descriptor& d) {
                               auto annotation = d.annotations.find(kRefNameAnnotation);
                               return d.digest == image.manifest.digest && annotation != d.annotations.end() &&
                                      gone.count(annotation->second) > 0;
                             }),
              index.end());
  bool still_named = std::any_of(index.begin(), index.end(), [&](const Descriptor& d) {
    return d.digest == image.manifest.digest && d.annotations.count(kRefNameAnnotation) > 0;
  });
  if (!still_named && keep) {  // untagged, kept for its container: one descriptor without a name
    Descriptor untagged = image.manifest;
    untagged.annotations.clear();
    if (std::none_of(index.begin(), index.end(), [&](const Descriptor& d) { return d.digest == untagged.digest; }))
      index.push_back(untagged);
    still_named = true;
  }
  if (!still_named) {
    index.erase(std::remove_if(index.begin(), index.end(),
                               [&](const Descriptor& d) { return d.digest == image.manifest.digest; }),
                index.end());
    lines.push_back("Deleted: " + image.id);
  }
  write_index(index);
  if (!still_named)
    for (const auto& diff_id : collect_garbage()) lines.push_back("Deleted: " + diff_id);
  return lines;
}

std::vector<std::string> ImageStore::collect_garbage() const {
  std::set<std::string> blobs, diff_ids;
  std::vector<Descriptor> kept = read_index();
  for (const auto& descriptor : read_build_cache()) kept.push_back(descriptor);
  for (const auto& descriptor : kept) {
    Image image = load(descriptor);
    blobs.insert(descriptor.digest);
    blobs.insert(image.id);
    for (const auto& layer : image.layers) blobs.insert(layer.digest);
    diff_ids.insert(image.diff_ids.begin(), image.diff_ids.end());
  }
  fs::path blob_dir = layout_ / "blobs" / "sha256";
  if (fs::is_directory(blob_dir)) {
    for (const auto& entry : fs::directory_iterator(blob_dir)) {
      std::string name = entry.path().filename().string();
      if (!blobs.count("sha256:" + name)) ::unlink(entry.path().c_str());
    }
  }
  std::vector<std::string> removed;
  if (fs::is_directory(layers_)) {
    std::vector<fs::path> doomed;
    for (const auto& entry : fs::directory_iterator(layers_)) {
      std::string name = entry.path().filename().string();
      if (diff_ids.count("sha256:" + name)) continue;
      if (name == kShortLinksDir) continue;  // below
      doomed.push_back(entry.path());
      if (name.rfind(kTemporaryPrefix, 0) != 0) removed.push_back("sha256:" + name);
    }
    for (const auto& path : doomed) remove_tree(path);
    // A short link whose layer has gone (overlay_mount.hpp).
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(layers_ / kShortLinksDir, error))
      if (!fs::exists(entry.path(), error)) ::unlink(entry.path().c_str());
  }
  std::sort(removed.begin(), removed.end());
  return removed;
}

std::uint64_t ImageStore::layer_size(std::string_view diff_id) const {
  fs::path dir = layer_path(diff_id);
  std::error_code error;
  if (!fs::is_directory(dir, error)) return 0;
  std::uint64_t total = 0;
  std::set<std::pair<dev_t, ino_t>> seen;
  for (auto it = fs::recursive_directory_iterator(dir, error); !error && it != fs::recursive_directory_iterator();
       it.increment(error)) {
    struct stat st;
    if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (st.st_nlink > 1 && !seen.insert({st.st_dev, st.st_ino}).second) continue;
    total += static_cast<std::uint64_t>(st.st_size);
  }
  return total;
}

std::string oci_architecture() {
  struct utsname names;
  if (::uname(&names) != 0) return "amd64";
  std::string machine = names.machine;
  if (machine == "x86_64") return "amd64";
  if (machine == "aarch64") return "arm64";
  if (machine == "i686" || machine == "i386") return "386";
  if (machine.rfind("armv", 0) == 0) return "arm";
  return machine;
}

std::string rfc3339_now() {
  timespec now;
  ::clock_gettime(CLOCK_REALTIME, &now);
  struct tm utc;
  ::gmtime_r(&now.tv_sec, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  return fmt::format("{}.{:09d}Z", text, now.tv_nsec);
}

double rfc3339_seconds(const std::string& text) {
  struct tm utc = {};
  const char* rest = ::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &utc);
  if (rest == nullptr) return 0;
  double seconds = static_cast<double>(::timegm(&utc));
  if (*rest == '.') {
    double fraction = 0, scale = 0.1;
    for (++rest; *rest >= '0' && *rest <= '9'; ++rest, scale /= 10) fraction += (*rest - '0') * scale;
    seconds += fraction;
  }
  if (*rest == '+' || *rest == '-') {
    int hours = 0, minutes = 0;
    if (std::sscanf(rest + 1, "%d:%d", &hours, &minutes) == 2)
      seconds -= (*rest == '+' ? 1 : -1) * (hours * 3600.0 + minutes * 60.0);
  }
  return seconds;
}

}  // namespace dockling::ch10
