// docker's views of an image, from the store's config: inspect's object, history's lines.
#include "image_inspect.hpp"

#include <ctime>

#include <fmt/format.h>

#include "config_changes.hpp"
#include "dockling/error.hpp"

namespace dockling::ch10 {

using ojson = nlohmann::ordered_json;

namespace {

std::string string_field(const nlohmann::json& config, const char* key) {
  return config.contains(key) && config[key].is_string() ? config[key].get<std::string>() : "";
}

}  // namespace

std::string rfc3339_nano(const std::string& text) {
  size_t dot = text.find('.');
  if (dot == std::string::npos) return text;
  size_t end = text.find_first_not_of("0123456789", dot + 1);
  if (end == std::string::npos) end = text.size();
  size_t last = end;
  while (last > dot + 1 && text[last - 1] == '0') --last;
  if (last == dot + 1) last = dot;  // all zeros: no fraction at all
  return text.substr(0, last) + text.substr(end);
}

std::string go_time_string(double seconds) {
  time_t t = static_cast<time_t>(seconds);
  struct tm local;
  ::localtime_r(&t, &local);
  char text[64];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S %z %Z", &local);
  return text;
}

std::string go_rfc3339(double seconds) {
  time_t t = static_cast<time_t>(seconds);
  struct tm local;
  ::localtime_r(&t, &local);
  char text[64];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &local);
  long offset = local.tm_gmtoff;
  if (offset == 0) return std::string(text) + "Z";
  char sign = offset < 0 ? '-' : '+';
  offset = offset < 0 ? -offset : offset;
  return fmt::format("{}{}{:02d}:{:02d}", text, sign, offset / 3600, offset / 60 % 60);
}

ojson inspect_image(const ImageStore& store, const Image& image) {
  const nlohmann::json& config = image.config;
  ojson tags = ojson::array();
  for (const auto& name : image.names) tags.push_back(name.familiar());
  std::uint64_t size = 0;
  for (const auto& diff_id : image.diff_ids) size += store.layer_size(diff_id);

  // overlay2's view: the top layer is the UpperDir, the ones below it the LowerDir
  // (uppermost first). MergedDir and WorkDir belong to a mounted container, not to an
  // image: our containers have their own (containers/ID/), so they are not shown here.
  ojson data = ojson::object();
  if (!image.diff_ids.empty()) {
    std::string lower;
    for (size_t i = image.diff_ids.size() - 1; i-- > 0;)
      lower += (lower.empty() ? "" : ":") + store.layer_path(image.diff_ids[i]).string();
    if (!lower.empty()) data["LowerDir"] = lower;
    data["UpperDir"] = store.layer_path(image.diff_ids.back()).string();
  }
  ojson layers = ojson::array();
  for (const auto& diff_id : image.diff_ids) layers.push_back(diff_id);

  ojson inspect;
  inspect["Id"] = image.id;
  inspect["RepoTags"] = tags;
  inspect["RepoDigests"] = ojson::array();
  inspect["Parent"] = "";
  inspect["Comment"] = string_field(config, "comment");
  inspect["Created"] = rfc3339_nano(image.created);
  inspect["Container"] = string_field(config, "container");
  inspect["ContainerConfig"] = docker_container_config(config.contains("container_config") ? config["container_config"] : nullptr);
  inspect["DockerVersion"] = string_field(config, "docker_version");
  inspect["Author"] = string_field(config, "author");
  inspect["Config"] = docker_container_config(config.contains("config") ? config["config"] : nullptr);
  inspect["Architecture"] = string_field(config, "architecture");
  if (!string_field(config, "variant").empty()) inspect["Variant"] = string_field(config, "variant");
  inspect["Os"] = string_field(config, "os");
  inspect["Size"] = size;
  inspect["VirtualSize"] = size;
  inspect["GraphDriver"] = ojson{{"Data", data}, {"Name", "overlay2"}};
  inspect["RootFS"] = ojson{{"Type", "layers"}, {"Layers", layers}};
  // The store does not record when a name was given: Go's zero time, as docker prints for
  // an image it never tagged.
  inspect["Metadata"] = ojson{{"LastTagTime", "0001-01-01T00:00:00Z"}};
  return inspect;
}

std::vector<HistoryEntry> image_history(const ImageStore& store, const Image& image) {
  std::vector<HistoryEntry> entries;
  size_t layer = 0;
  if (image.config.contains("history") && image.config["history"].is_array()) {
    for (const auto& item : image.config["history"]) {
      HistoryEntry entry;
      entry.id = "<missing>";
      entry.created = string_field(item, "created");
      entry.created_by = string_field(item, "created_by");
      entry.comment = string_field(item, "comment");
      if (!item.value("empty_layer", false)) {
        if (layer >= image.diff_ids.size())
          throw Error(fmt::format("image {}: too many non-empty layers in History section", image.id), 1);
        entry.size = store.layer_size(image.diff_ids[layer++]);
      }
      entries.insert(entries.begin(), entry);
    }
  }
  if (!entries.empty()) entries.front().id = image.id;  // no parent chain: the rest stay <missing>
  return entries;
}

ojson image_format_context(const Image& image, const std::string& repository, const std::string& tag,
                           const std::string& id, const std::string& created_since, const std::string& size) {
  // The keys as `{{json .}}` prints docker's imageContext: sorted.
  return ojson{{"Containers", "N/A"},
               {"CreatedAt", go_time_string(rfc3339_seconds(image.created))},
               {"CreatedSince", created_since},
               {"Digest", image.manifest.digest.empty() ? "<none>" : image.manifest.digest},
               {"ID", id},
               {"Repository", repository},
               {"SharedSize", "N/A"},
               {"Size", size},
               {"Tag", tag},
               {"UniqueSize", "N/A"},
               {"VirtualSize", size}};
}

}  // namespace dockling::ch10
