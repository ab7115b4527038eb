// `push`: an image of chapter 10's store to a registry: the blobs it lacks (asked with HEAD),
// mounted from another repository of the registry when the image has a name there, else
// uploaded; then the manifest exactly as stored, so that its digest stays the same.
#include <fcntl.h>
#include <sys/stat.h>

#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "credential_store.hpp"
#include "digest.hpp"
#include "distribution_client.hpp"
#include "dockling/error.hpp"
#include "dockling/fd.hpp"
#include "image_store.hpp"
#include "registry_client.hpp"

namespace dockling::ch12 {

namespace {

using ch10::Descriptor;
using ch10::Reference;

/// The 12 hex digits docker shows for a layer (of its diff id, when pushing).
std::string short_id(const std::string& digest) { return ch10::digest_hex(digest).substr(0, 12); }

/// What push_blob did.
enum class BlobPushed { already_there, mounted, uploaded };

/// Uploads the stored blob `digest` unless the registry has it; mounted from `mount_from`
/// (another repository of the registry) when that is given and the registry agrees.
BlobPushed push_blob(RegistryClient& client, const ch10::ImageStore& store, const std::string& digest,
                     const std::string& mount_from) {
  if (client.has_blob(digest)) return BlobPushed::already_there;
  std::string path = store.blob_path(digest).string();
  UniqueFd in = open_fd(path, O_RDONLY);
  struct stat info {};
  check(::fstat(in.get(), &info), "fstat", path);
  bool mounted = client.upload_blob(digest, in.get(), static_cast<std::int64_t>(info.st_size), mount_from);
  return mounted ? BlobPushed::mounted : BlobPushed::uploaded;
}

/// A repository of the same registry the image was pushed to or pulled from, as docker
/// remembers one to mount blobs from: here the image's other names in the store on
/// `ref`'s registry. Empty when there is none.
std::string mount_source(const ch10::Image& image, const Reference& ref) {
  for (const Reference& name : image.names)
    if (name.domain == ref.domain && name.path != ref.path) return name.path;
  return "";
}

/// The manifest's media type: the index's word for it, else its own mediaType field.
std::string media_type_of(const ch10::Image& image, const std::string& data) {
  if (!image.manifest.media_type.empty()) return image.manifest.media_type;
  nlohmann::json parsed = nlohmann::json::parse(data, nullptr, false);
  std::string type = parsed.is_object() ? parsed.value("mediaType", "") : "";
  return type.empty() ? manifest_type::kOciManifest : type;
}

}  // namespace

int push_image(const StateRoot& root, const std::string& text, const ClientOptions& options) {
  std::ostream& out = options.out != nullptr ? *options.out : std::cout;
  auto say = [&](const std::string& line) {
    if (!options.quiet) out << line << std::endl;
  };
  Reference ref = ch10::parse_reference(text);
  if (!ref.digest.empty()) throw Error("cannot push a digest reference", 1);
  if (ref.tag.empty()) {
    say(fmt::format("Using default tag: {}", ch10::kDefaultTag));
    ref = ref.with_default_tag();
  }
  ch10::ImageStore store(root);
  ch10::Image image;
  try {
    image = store.find(ref.full());
  } catch (const Error&) {
    throw Error(fmt::format("An image does not exist locally with the tag: {}", ref.familiar_name()), 1);
  }
  std::string manifest = store.read_blob(image.manifest.digest);

  RegistryClient client(registry_repository(ref, options.insecure_registries),
                        CredentialStore(config_dir(options.config_dir)).find(ref.domain));
  say(fmt::format("The push refers to repository [{}]", ref.name()));
  try {
    // docker lists the layers top first, by their diff ids.
    std::vector<size_t> order;
    for (size_t i = image.layers.size(); i-- > 0;) order.push_back(i);
    auto layer_id = [&](size_t i) { return short_id(i < image.diff_ids.size() ? image.diff_ids[i] : image.layers[i].digest); };
    for (size_t i : order) say(layer_id(i) + ": Preparing");
    std::string from = mount_source(image, ref);
    for (size_t i : order) {
      switch (push_blob(client, store, image.layers[i].digest, from)) {
        case BlobPushed::already_there: say(layer_id(i) + ": Layer already exists"); break;
        case BlobPushed::mounted: say(layer_id(i) + ": Mounted from " + from); break;
        case BlobPushed::uploaded: say(layer_id(i) + ": Pushed"); break;
      }
    }
    push_blob(client, store, image.id, from);  // the config: docker shows no line for it
    std::string stored = client.put_manifest(ref.tag, media_type_of(image, manifest), manifest);
    if (!stored.empty() && stored != image.manifest.digest)
      throw Error(fmt::format("the registry stored manifest {} as {}", image.manifest.digest, stored), 1);
  } catch (const Error& e) {
    throw Error(fmt::format("pushing {}: {}", ref.familiar(), e.what()), 1);
  }
  say(fmt::format("{}: digest: {} size: {}", ref.tag, image.manifest.digest, manifest.size()));
  if (options.quiet) out << ref.full() << std::endl;
  return 0;
}

}  // namespace dockling::ch12
