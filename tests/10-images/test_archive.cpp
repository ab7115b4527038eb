// save and load: round trips, peers (skopeo, umoci) reading what save writes and writing what
// load reads, and damaged archives that must leave the store as it was.
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "digest.hpp"
#include "dockling/fs.hpp"
#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"
#include "peer_programs.hpp"
#include "tar_builder.hpp"

namespace dockling::ch10 {
namespace {

using namespace dockling::testing;
using namespace dockling::ch10::testing;
using json = nlohmann::json;

/// The entries of a tar archive (files, directories, symbolic links), in order.
std::vector<TarEntry> read_tar(const std::string& data) {
  std::vector<TarEntry> entries;
  archive* a = archive_read_new();
  archive_read_support_filter_gzip(a);
  archive_read_support_format_tar(a);
  if (archive_read_open_memory(a, data.data(), data.size()) != ARCHIVE_OK) throw std::runtime_error(archive_error_string(a));
  archive_entry* entry = nullptr;
  while (archive_read_next_header(a, &entry) == ARCHIVE_OK) {
    TarEntry e;
    e.name = archive_entry_pathname(entry);
    e.type = archive_entry_filetype(entry);
    e.perm = archive_entry_perm(entry);
    if (e.type == AE_IFLNK) e.link = archive_entry_symlink(entry);
    char buffer[65536];
    la_ssize_t n;
    while ((n = archive_read_data(a, buffer, sizeof buffer)) > 0) e.data.append(buffer, static_cast<size_t>(n));
    entries.push_back(e);
  }
  archive_read_free(a);
  return entries;
}

TarEntry* entry_named(std::vector<TarEntry>& entries, const std::string& name) {
  for (auto& e : entries)
    if (e.name == name) return &e;
  return nullptr;
}

std::vector<std::string> names_of(const std::vector<TarEntry>& entries) {
  std::vector<std::string> names;
  for (const auto& e : entries) names.push_back(e.name);
  return names;
}

/// The archive as docker 20.10's own `docker save` writes it: no OCI part, every layer.tar a
/// file of its own (not a link into blobs/).
std::vector<TarEntry> docker_only(std::vector<TarEntry> entries) {
  for (auto& e : entries) {
    if (e.type != AE_IFLNK || e.link.rfind("../blobs/", 0) != 0) continue;
    TarEntry* target = entry_named(entries, e.link.substr(3));
    e.type = AE_IFREG;
    e.data = target->data;
    e.perm = 0644;
    e.link.clear();
  }
  entries.erase(std::remove_if(entries.begin(), entries.end(),
                               [](const TarEntry& e) {
                                 return e.name.rfind("blobs/", 0) == 0 || e.name == "index.json" || e.name == "oci-layout";
                               }),
                entries.end());
  return entries;
}

/// What docker 20.10.24 (Debian 12's docker.io) wrote for `docker save dockling/fixture:two-layers`,
/// gzip'ed and in base64: two COPY layers on scratch, built with
///     FROM scratch / COPY a.txt /a.txt / COPY b.txt /b.txt / ENV PATH=/bin GREETING="a<b>&c" /
///     LABEL course=dockling / CMD ["/a.txt"]
/// Its v1 ids and V1ID/json files are docker's own: save must write the same bytes.
const char* const kDocker2010Save =
    "H4sIAAAAAAACA+1bW2/bNhTO836FoL1smOPwTslAH9o06Ap0TdFmHdY2CHg5TLTakiHJXYPC/31HipO2zhZnTeImLT8YFiXx"
    "cqTDj4f8TEulSC5yEiDz1KrgXaBcaGmZ0tQRzokHICEEqjMXgg8OCDOUEac4UZptbawGIYJoKfHYY/nYp6nkhDOpNMF8jBFG"
    "NhK5sQbMmtbUaEpdVe1F+VbdX364OwJ5Vf+/3Hn+4vHu0wtfDSVECXGB//mS/zmRaiMh0f83Djq8M6ZG3Eb+/9VU5arx/2L+"
    "M6bV8vivu/E/8v/m8SEtfDpKr9oN0kE6NTWULdZlTbCZUBj1HaUZyXMbwNKM5dpngTpuGDXGS2N4ICEHkgetAgTJMuuZ94B1"
    "uRpMC51hOBNQm5RucrJH6YhlIyKHXFMlc6r5qy5rVbamKKHGzM4yjRUHnYM2mQBOQEipHZEcbAgmZxKfxSovCMkpkfi81Eqw"
    "2mZ5MM58Wt0BpkJxmI4+pL9WTVuaCSy1gLkfVhPMvLiH5783vR2Yut+2xh29aH1RpqNgxg18cq2atecvQl2fXdxrj8/Su1Mo"
    "P6+nP9stHZxd2SnfpaPX6bP7e7/e27KYdZA+er6zs/f46aN75s0MA6yz/QG6b6Zcuj9Itye+K9Tl32qOsMimw68ffyqr6c8J"
    "prZ/e5i8fpNumWH7vn2T7ndlHk/MYfeszZFBso5IprUywmQyd9QoDaA5vlHmnJAGfWlAMWutcJ5S7D7aeatySkMGTAYJObby"
    "shrPJtCko3I2Hg/SP6r6bVEePiwW73GnbOvjaVV0Peskx275YFaM/enpE2Nh3HRuctWsbjrjfOXejrGSdD4f9CfozXdQN0VV"
    "9j1qSMmQiV98aA7picvPO/pbcW7vvLvpOVO7o6IF187q7p6ZeCWw3gqLpJhp9j6dx/j91eP/2BxDPexi6JfGf3F+/ccV5zH+"
    "rwO2Gx9uuI2V6z8qN6iQQmBPYN117F5MRP+vAw1g+PNJz+If4nAYERER8d3gqov1G9L/sUDU/++E/29G/xdCxvnfOhD1/zj+"
    "X4n/V9f/iWJ0mf9M68j/dWCh/1+rZk9zTTYJxc8eIaP+82q1tH7bFNcTkbLXUU+SpwrqNUqf3dn8q0qaV+b/jeh/gjEW+b8O"
    "mFuh/4nz+l/0/1oQirppo/wXERER8d3Bg/BaewghA8IUJrjilmmOs0DhPWfUgiEigAvANBXM6wzLGGIJTgB1GF59/ceVYuf0"
    "Hx71nzWt//5jm0XcFXM7d8XE/W5xv9uF/ePyWydXb407Kpq2qtE3rz9cWLEYEqUpLtuy7NVHKejAYsnT951sumTxrrd3n/2Z"
    "hGIMoyxIy6zhznEj8lxnucuM4do6wQPWB0AplSRgwjumHVWUCO4Ey8FyLlVSlMmJv5J0Plhlo1BSUEEV+182dgbkVgjFNHpf"
    "OIv8YoAdTHBrvHPKKgMiqGC988DAK2cE0wpbM5T7ExvtZW3UhCqRicuYmOw8fZmcUSBZQYBBCpNpe3zQL/XSUVvPYJU1ckhy"
    "yYSg+jLWPLn/YOdJctIp7511yS9q9vMNvivaPUfbf2ty/zORbZB20Tz0LGqPpx2H+sxNR4oihIPCN91QsWB9FgSVTFGnKKdS"
    "gyQyEOYkkpxYqnD+RJST0gvpPPMWtFNGW5pZ54J0LGCti5pwTNYm557m3GYux7kXN0Fg/+K5FFIbHJwF18CEp4EbcEYRoYgi"
    "OrNBW5al+/NrFggnpiwCNO1l5nE3pf90P/Z9+lswoVxG/Wc9wIF9exH402tZC2Bnfw7Tas8c9hQ6HQi2QvG+m2GO2r+rzQXZ"
    "9rto1qcw4/UJ0WjB9e1qRcbtf8vCWI2+agoM8gU0X0v/pUIv81/oyP81rf+WGdoHxY8kvYb/Bs3nUVqOiIiIuG34BwP9zucA"
    "QgAA";

std::string base64_decode(std::string_view text) {
  std::string out;
  unsigned bits = 0, value = 0;
  for (char c : text) {
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char* at = std::strchr(alphabet, c);
    if (c == '=' || at == nullptr || c == '\0') continue;
    value = (value << 6) | static_cast<unsigned>(at - alphabet);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((value >> bits) & 0xff);
    }
  }
  return out;
}

/// A snapshot without directory sizes (they depend on the filesystem, not on the contents).
std::map<std::string, std::string> tree(const std::filesystem::path& dir) {
  std::map<std::string, std::string> result = snapshot(dir);
  for (auto& [path, what] : result) {
    unsigned long mode = std::stoul(what);
    if (S_ISDIR(mode)) what = std::to_string(mode);
  }
  return result;
}

class Archive : public ::testing::Test {
 protected:
  TempDir tmp{"dockling-ch10-archive"};
  std::string root = (tmp.path() / "root").string();
  std::string other = (tmp.path() / "other").string();
  std::string gzipped = (tmp.path() / "hello.tar.gz").string();
  std::string plain = (tmp.path() / "plain.tar").string();
  std::string saved = (tmp.path() / "saved.tar").string();

  void SetUp() override {
    write_file(gzipped, make_tar({dir("bin/"), file("bin/hello", "hello from the image\n", 0755),
                                  symlink("bin/link", "hello")},
                                 Compression::gzip));
    write_file(plain, make_tar({dir("etc/"), file("etc/motd", "plain layer\n"), file("etc/a&b<c>", "go escapes these\n")}));
  }
  RunResult ch10(const std::string& state, std::vector<std::string> args, const std::string& input = {}) {
    args.insert(args.begin(), {bin("ch10-images"), "--root", state});
    return run(args, milliseconds(60000), input);
  }
  /// Imports the two test images: hello:1 and hello:2 (gzip layer), plain:1 (plain tar layer).
  void import_images() {
    ASSERT_EQ(ch10(root, {"import", gzipped, "hello:1"}).exit_code, 0);
    ASSERT_EQ(ch10(root, {"tag", "hello:1", "hello:2"}).exit_code, 0);
    ASSERT_EQ(ch10(root, {"import", "-m", "<plain> & co", plain, "plain:1"}).exit_code, 0);
  }
  std::string images(const std::string& state) {
    RunResult listed = ch10(state, {"images", "--digests", "--no-trunc"});
    EXPECT_EQ(listed.exit_code, 0) << listed;
    // CREATED ages while the test runs, and its width with it: the other columns stay.
    std::string out = std::regex_replace(listed.out, std::regex("CREATED +SIZE"), "CREATED SIZE");
    return std::regex_replace(out, std::regex("   (Less than a second|About an? [a-z]+|[0-9]+ [a-z]+) ago +"), "   ");
  }
  std::string id_of(const std::string& state, const std::string& name) {
    RunResult quiet = ch10(state, {"images", "-q", "--no-trunc", name});
    EXPECT_EQ(quiet.exit_code, 0) << quiet;
    return quiet.out.substr(0, quiet.out.find('\n'));
  }
  json config_of(const std::string& state, const std::string& id) {
    return json::parse(read_file(state + "/images/blobs/sha256/" + id.substr(7)));
  }
};

TEST_F(Archive, SaveThenLoadIntoAnotherRootGivesTheSameImages) {
  DOCKLING_REQUIRE_ROOT();
  import_images();
  RunResult save = ch10(root, {"save", "-o", saved, "hello", "plain:1"});
  ASSERT_EQ(save.exit_code, 0) << save;
  EXPECT_EQ(save.out, "");
  RunResult load = ch10(other, {"load", "-i", saved});
  ASSERT_EQ(load.exit_code, 0) << load;
  EXPECT_EQ(load.out, "Loaded image: hello:1\nLoaded image: hello:2\nLoaded image: plain:1\n");
  EXPECT_EQ(images(other), images(root));
  for (const char* name : {"hello:1", "plain:1"}) {
    std::string id = id_of(root, name);
    ASSERT_EQ(id_of(other, name), id);
    json config = config_of(root, id);
    for (const auto& diff_id : config["rootfs"]["diff_ids"]) {
      std::string hex = diff_id.get<std::string>().substr(7);
      EXPECT_EQ(tree(other + "/layers/" + hex), tree(root + "/layers/" + hex)) << name;
      EXPECT_FALSE(tree(other + "/layers/" + hex).empty()) << name;
    }
  }
  // Through a pipe, as `docker save busybox | docker load`.
  RunResult streamed = ch10(root, {"save", "plain:1"});
  ASSERT_EQ(streamed.exit_code, 0) << streamed.err;
  std::string third = (tmp.path() / "third").string();
  RunResult piped = ch10(third, {"load", "-q"}, streamed.out);
  ASSERT_EQ(piped.exit_code, 0) << piped;
  EXPECT_EQ(piped.out, "Loaded image: plain:1\n");
  EXPECT_EQ(id_of(third, "plain:1"), id_of(root, "plain:1"));
}

TEST_F(Archive, SavedArchiveHasDockersLayoutAndAnOciLayout) {
  DOCKLING_REQUIRE_ROOT();
  import_images();
  ASSERT_EQ(ch10(root, {"save", "-o", saved, "hello:2", "hello:1", "plain:1"}).exit_code, 0);
  std::vector<TarEntry> entries = read_tar(read_file(saved));
  std::string hello = id_of(root, "hello:1"), plain_id = id_of(root, "plain:1");

  json manifest = json::parse(entry_named(entries, "manifest.json")->data);
  ASSERT_EQ(manifest.size(), 2u) << manifest;
  EXPECT_EQ(manifest[0]["Config"], hello.substr(7) + ".json");
  EXPECT_EQ(manifest[0]["RepoTags"], json({"hello:2", "hello:1"}));
  EXPECT_EQ(manifest[1]["RepoTags"], json({"plain:1"}));
  for (const auto& item : manifest) {
    ASSERT_EQ(item["Layers"].size(), 1u);
    std::string layer = item["Layers"][0];
    ASSERT_TRUE(std::regex_match(layer, std::regex("[0-9a-f]{64}/layer.tar"))) << layer;
    std::string dir = layer.substr(0, 64);
    EXPECT_EQ(entry_named(entries, dir + "/VERSION")->data, "1.0");
    json v1 = json::parse(entry_named(entries, dir + "/json")->data);
    EXPECT_EQ(v1["id"], dir);
    EXPECT_NE(entry_named(entries, item["Config"]), nullptr);
  }
  json repositories = json::parse(entry_named(entries, "repositories")->data);
  EXPECT_EQ(repositories["hello"]["1"], manifest[0]["Layers"][0].get<std::string>().substr(0, 64));
  EXPECT_EQ(repositories["plain"]["1"], manifest[1]["Layers"][0].get<std::string>().substr(0, 64));

  // The plain layer is stored uncompressed: its layer.tar is the OCI blob, linked. The
  // gzip one is written uncompressed, its diff id.
  std::string plain_layer = manifest[1]["Layers"][0];
  auto plain_config = nlohmann::ordered_json::parse(read_file(root + "/images/blobs/sha256/" + plain_id.substr(7)));
  std::string plain_diff = plain_config["rootfs"]["diff_ids"][0].get<std::string>();
  EXPECT_EQ(entry_named(entries, plain_layer)->link, "../blobs/sha256/" + plain_diff.substr(7));
  std::string hello_diff = config_of(root, hello)["rootfs"]["diff_ids"][0];
  EXPECT_EQ(sha256_digest(entry_named(entries, manifest[0]["Layers"][0])->data), hello_diff);

  // docker 20.10's v1 id of a one-layer image: the sha256 of the config's V1Image fields and
  // "layer_id", keys sorted, values as Go writes them (checked against docker 20.10.24).
  std::string expected_json = "{\"architecture\":\"" + plain_config["architecture"].get<std::string>() +
                              "\",\"comment\":\"\\u003cplain\\u003e \\u0026 co\",\"config\":" +
                              plain_config["config"].dump() + ",\"container_config\":" +
                              plain_config["container_config"].dump() + ",\"created\":\"" +
                              plain_config["created"].get<std::string>() + "\",\"layer_id\":\"" + plain_diff +
                              "\",\"os\":\"linux\"}";
  EXPECT_EQ(plain_layer.substr(0, 64), sha256_digest(expected_json).substr(7)) << expected_json;

  json index = json::parse(entry_named(entries, "index.json")->data);
  EXPECT_EQ(json::parse(entry_named(entries, "oci-layout")->data)["imageLayoutVersion"], "1.0.0");
  ASSERT_EQ(index["manifests"].size(), 3u) << index;
  EXPECT_EQ(index["manifests"][0]["annotations"],
            json({{"io.containerd.image.name", "docker.io/library/hello:2"}, {"org.opencontainers.image.ref.name", "2"}}));
  EXPECT_EQ(index["manifests"][2]["annotations"]["io.containerd.image.name"], "docker.io/library/plain:1");
  for (const auto& descriptor : index["manifests"]) {
    std::string digest = descriptor["digest"];
    const TarEntry* blob = entry_named(entries, "blobs/sha256/" + digest.substr(7));
    ASSERT_NE(blob, nullptr) << digest;
    EXPECT_EQ(sha256_digest(blob->data), digest);
    json oci = json::parse(blob->data);
    for (const auto& layer : oci["layers"])
      EXPECT_NE(entry_named(entries, "blobs/sha256/" + layer["digest"].get<std::string>().substr(7)), nullptr);
  }

  // Saved by id: no names anywhere, docker's RepoTags null; loads as "Loaded image ID".
  ASSERT_EQ(ch10(root, {"save", "-o", saved, plain_id.substr(7, 12)}).exit_code, 0);
  entries = read_tar(read_file(saved));
  EXPECT_TRUE(json::parse(entry_named(entries, "manifest.json")->data)[0]["RepoTags"].is_null());
  EXPECT_EQ(entry_named(entries, "repositories"), nullptr);
  RunResult load = ch10(other, {"load", "-i", saved});
  EXPECT_EQ(load.out, "Loaded image ID: " + plain_id + "\n") << load;
}

TEST_F(Archive, LoadsDocker2010sOwnArchiveAndRenamesLikeDocker) {
  DOCKLING_REQUIRE_ROOT();
  import_images();
  ASSERT_EQ(ch10(root, {"save", "-o", saved, "hello:1", "plain:1"}).exit_code, 0);
  std::vector<TarEntry> docker = docker_only(read_tar(read_file(saved)));
  for (const auto& name : names_of(docker)) ASSERT_EQ(name.find("blobs/"), std::string::npos) << name;
  // A name twice (`tar -r` appends): the later entry is the file, as tar extracts it.
  TarEntry stale = *entry_named(docker, "manifest.json");
  stale.data = "[]";
  docker.insert(docker.begin(), stale);
  std::string archive = (tmp.path() / "docker.tar").string();
  write_file(archive, make_tar(docker));
  // `other` has another image named plain:1 already: the name moves, docker says so.
  ASSERT_EQ(ch10(other, {"import", gzipped, "plain:1"}).exit_code, 0);
  std::string old_id = id_of(other, "plain:1");
  RunResult load = ch10(other, {"load", "-i", archive});
  ASSERT_EQ(load.exit_code, 0) << load;
  EXPECT_EQ(load.out, "Loaded image: hello:1\nThe image plain:1 already exists, renaming the old one with ID " + old_id +
                          " to empty string\nLoaded image: plain:1\n");
  EXPECT_EQ(id_of(other, "hello:1"), id_of(root, "hello:1"));
  EXPECT_EQ(id_of(other, "plain:1"), id_of(root, "plain:1"));
  RunResult run_it = ch10(other, {"images", "-q", "--no-trunc"});
  EXPECT_NE(run_it.out.find(old_id), std::string::npos) << run_it;  // kept, untagged

  // Into the store it came from: the images are there, only their layers are checked, and
  // no second manifest is made for them (the store's keep their gzip layer).
  std::string before = images(root), index = read_file(root + "/images/index.json");
  auto blobs = snapshot(root + "/images/blobs");
  RunResult again = ch10(root, {"load", "-i", archive});
  ASSERT_EQ(again.exit_code, 0) << again;
  EXPECT_EQ(again.out, "Loaded image: hello:1\nLoaded image: plain:1\n");
  EXPECT_EQ(images(root), before);
  EXPECT_EQ(read_file(root + "/images/index.json"), index);  // names already right stay where they are
  EXPECT_EQ(snapshot(root + "/images/blobs"), blobs);
}

TEST_F(Archive, LoadsDockersOwnSaveAndSavesItWithDockersV1Ids) {
  DOCKLING_REQUIRE_ROOT();
  std::string docker = (tmp.path() / "docker-20.10.tar.gz").string();
  write_file(docker, base64_decode(kDocker2010Save));
  RunResult load = ch10(root, {"load", "-i", docker});
  ASSERT_EQ(load.exit_code, 0) << load;
  EXPECT_EQ(load.out, "Loaded image: dockling/fixture:two-layers\n");
  EXPECT_EQ(id_of(root, "dockling/fixture:two-layers"),
            "sha256:de4d77deff8e026def363b273eb14dd321bea04fecfe27142d78de4a0b0bd27f");

  ASSERT_EQ(ch10(root, {"save", "-o", saved, "dockling/fixture:two-layers"}).exit_code, 0);
  std::vector<TarEntry> theirs = read_tar(read_file(docker)), ours = read_tar(read_file(saved));
  for (auto& entry : theirs) {
    if (entry.type == AE_IFDIR) continue;
    TarEntry* mine = entry_named(ours, entry.name);
    ASSERT_NE(mine, nullptr) << entry.name;
    if (mine->type == AE_IFLNK) mine = entry_named(ours, mine->link.substr(3));  // ../blobs/sha256/HEX
    ASSERT_NE(mine, nullptr) << entry.name;
    EXPECT_EQ(mine->data, entry.data) << entry.name;
  }
  // Both layers unpacked, one above the other.
  json config = config_of(root, id_of(root, "dockling/fixture:two-layers"));
  ASSERT_EQ(config["rootfs"]["diff_ids"].size(), 2u);
  EXPECT_EQ(read_file(root + "/layers/" + config["rootfs"]["diff_ids"][0].get<std::string>().substr(7) + "/a.txt"),
            "first layer\n");
  EXPECT_EQ(read_file(root + "/layers/" + config["rootfs"]["diff_ids"][1].get<std::string>().substr(7) + "/b.txt"),
            "second layer\n");
}

TEST_F(Archive, NeitherSavesToNorLoadsFromATerminal) {
  DOCKLING_REQUIRE_ROOT();
  std::string script = which("script");  // util-linux: runs a command on a pseudo-terminal
  ASSERT_FALSE(script.empty()) << "script (util-linux) is not installed";
  import_images();
  std::string ch10_images = bin("ch10-images");
  RunResult save = run({script, "-qec", ch10_images + " --root " + root + " save plain:1", "/dev/null"});
  EXPECT_EQ(save.exit_code, 1) << save;
  EXPECT_NE(save.out.find("ch10-images: cowardly refusing to save to a terminal. Use the -o flag or redirect"),
            std::string::npos)
      << save;
  RunResult load = run({script, "-qec", ch10_images + " --root " + other + " load", "/dev/null"});
  EXPECT_EQ(load.exit_code, 1) << load;
  EXPECT_NE(load.out.find("ch10-images: requested load from stdin, but stdin is empty"), std::string::npos) << load;
}

TEST_F(Archive, LoadsTheImageOfThisPlatformFromAnIndex) {
  DOCKLING_REQUIRE_ROOT();
  import_images();
  std::string id = id_of(root, "plain:1");
  ASSERT_EQ(ch10(root, {"save", "-o", saved, "plain:1"}).exit_code, 0);
  // The OCI part as a multi-platform image: index.json → an image index → this platform's
  // manifest, beside one for a platform that does not exist (its blobs are not there).
  std::vector<TarEntry> entries = read_tar(read_file(saved));
  TarEntry* index_entry = entry_named(entries, "index.json");
  json index = json::parse(index_entry->data);
  json manifest = index["manifests"][0];
  manifest.erase("annotations");
  manifest["platform"] = {{"os", "linux"}, {"architecture", config_of(root, id)["architecture"]}};
  json elsewhere = manifest;
  elsewhere["digest"] = "sha256:" + std::string(64, '0');
  elsewhere["platform"] = {{"os", "linux"}, {"architecture", "nonesuch"}};
  json platforms{{"schemaVersion", 2},
                 {"mediaType", "application/vnd.oci.image.index.v1+json"},
                 {"manifests", {elsewhere, manifest}}};
  std::string data = platforms.dump();
  entries.push_back(file("blobs/sha256/" + sha256_digest(data).substr(7), data));
  index["manifests"] = {{{"mediaType", "application/vnd.oci.image.index.v1+json"},
                         {"digest", sha256_digest(data)},
                         {"size", data.size()},
                         {"annotations", {{"io.containerd.image.name", "docker.io/library/multi:1"}}}}};
  index_entry->data = index.dump();
  std::string archive = (tmp.path() / "platforms.tar").string();
  write_file(archive, make_tar(entries));
  RunResult load = ch10(other, {"load", "-i", archive});
  ASSERT_EQ(load.exit_code, 0) << load;
  EXPECT_EQ(load.out, "Loaded image: multi:1\n");
  EXPECT_EQ(id_of(other, "multi:1"), id);
}

TEST_F(Archive, SaveOfAnUnknownImageWritesNothing) {
  DOCKLING_REQUIRE_ROOT();
  import_images();
  RunResult save = ch10(root, {"save", "-o", saved, "hello:1", "nosuch:1"});
  EXPECT_EQ(save.exit_code, 1) << save;
  EXPECT_EQ(save.err, "ch10-images: No such image: nosuch:1\n");
  EXPECT_FALSE(path_exists(saved));
  EXPECT_EQ(std::filesystem::directory_iterator(tmp.path()) != std::filesystem::directory_iterator(), true);
  for (const auto& entry : std::filesystem::directory_iterator(tmp.path()))
    EXPECT_EQ(entry.path().filename().string().find(".saved.tar.tmp"), std::string::npos) << entry.path();
}

TEST_F(Archive, SkopeoAndUmociReadASavedArchive) {
  DOCKLING_REQUIRE_ROOT();
  std::string skopeo = which("skopeo"), umoci = which("umoci");
  ASSERT_FALSE(skopeo.empty()) << "skopeo is not installed: run sudo scripts/setup-deps";
  ASSERT_FALSE(umoci.empty()) << "umoci is not installed: run sudo scripts/setup-deps";
  import_images();
  ASSERT_EQ(ch10(root, {"save", "-o", saved, "hello:1"}).exit_code, 0);
  RunResult digests = ch10(root, {"images", "--digests", "hello:1"});
  std::string id = id_of(root, "hello:1");

  RunResult docker = run({skopeo, "inspect", "docker-archive:" + saved});
  ASSERT_EQ(docker.exit_code, 0) << docker;
  json docker_json = json::parse(docker.out);
  EXPECT_EQ(docker_json["Layers"], config_of(root, id)["rootfs"]["diff_ids"]) << docker.out;
  RunResult docker_config = run({skopeo, "inspect", "--config", "--raw", "docker-archive:" + saved});
  ASSERT_EQ(docker_config.exit_code, 0) << docker_config;
  EXPECT_EQ(sha256_digest(docker_config.out), id) << "skopeo read another config";

  RunResult oci = run({skopeo, "inspect", "oci-archive:" + saved});
  ASSERT_EQ(oci.exit_code, 0) << oci;
  json oci_json = json::parse(oci.out);
  EXPECT_NE(digests.out.find(oci_json["Digest"].get<std::string>()), std::string::npos) << digests << oci.out;
  std::string layout = (tmp.path() / "layout").string();
  RunResult copied = run({skopeo, "copy", "-q", "oci-archive:" + saved + ":1", "oci:" + layout + ":copy"});
  ASSERT_EQ(copied.exit_code, 0) << copied;

  // umoci unpacks the OCI layout of the archive into the tree of the store's layer.
  std::string extracted = (tmp.path() / "extracted").string();
  std::filesystem::create_directories(extracted);
  RunResult untar = run({which("tar"), "-C", extracted, "-xf", saved});
  ASSERT_EQ(untar.exit_code, 0) << untar;
  std::string bundle = (tmp.path() / "bundle").string();
  RunResult unpacked = run({umoci, "unpack", "--image", extracted + ":1", bundle});
  ASSERT_EQ(unpacked.exit_code, 0) << unpacked;
  std::string diff_id = config_of(root, id)["rootfs"]["diff_ids"][0];
  std::map<std::string, std::string> layer = tree(root + "/layers/" + diff_id.substr(7));
  std::map<std::string, std::string> rootfs = tree(bundle + "/rootfs");
  EXPECT_EQ(rootfs, layer);
  EXPECT_EQ(rootfs.count("bin/hello"), 1u);
}

TEST_F(Archive, LoadsWhatSkopeoWrites) {
  DOCKLING_REQUIRE_ROOT();
  std::string skopeo = which("skopeo");
  ASSERT_FALSE(skopeo.empty()) << "skopeo is not installed: run sudo scripts/setup-deps";
  ASSERT_EQ(ch10(root, {"import", gzipped, "hello:1"}).exit_code, 0);
  std::string id = id_of(root, "hello:1");
  std::string source = "oci:" + root + "/images:docker.io/library/hello:1";
  std::string docker_archive = (tmp.path() / "skopeo-docker.tar").string();
  std::string oci_named = (tmp.path() / "skopeo-oci-named.tar").string();
  std::string oci_tagged = (tmp.path() / "skopeo-oci-tagged.tar").string();
  std::string oci_unnamed = (tmp.path() / "skopeo-oci.tar").string();
  for (const auto& target : {"docker-archive:" + docker_archive + ":u/app:3", "oci-archive:" + oci_named + ":u:latest",
                             "oci-archive:" + oci_tagged + ":v1", "oci-archive:" + oci_unnamed}) {
    RunResult copied = run({skopeo, "copy", "-q", source, target});
    ASSERT_EQ(copied.exit_code, 0) << target << "\n" << copied;
  }
  RunResult from_docker = ch10(other, {"load", "-i", docker_archive});
  ASSERT_EQ(from_docker.exit_code, 0) << from_docker;
  EXPECT_EQ(from_docker.out, "Loaded image: u/app:3\n");
  RunResult named = ch10(other, {"load", "-i", oci_named});
  ASSERT_EQ(named.exit_code, 0) << named;
  EXPECT_EQ(named.out, "Loaded image: u:latest\n");
  // A bare tag as ref.name is no image name: unnamed, as docker loads it.
  for (const auto& archive : {oci_tagged, oci_unnamed}) {
    RunResult unnamed = ch10(other, {"load", "-i", archive});
    ASSERT_EQ(unnamed.exit_code, 0) << unnamed;
    EXPECT_EQ(unnamed.out, "Loaded image ID: " + id + "\n");
  }
  EXPECT_EQ(id_of(other, "u/app:3"), id);
  EXPECT_EQ(id_of(other, "u:latest"), id);
  std::string diff_id = config_of(root, id)["rootfs"]["diff_ids"][0];
  EXPECT_EQ(tree(other + "/layers/" + diff_id.substr(7)), tree(root + "/layers/" + diff_id.substr(7)));
}

/// A damaged archive, and what the error must name.
struct BadArchive {
  std::string name;
  std::string expected;  ///< a regex the message must match
  std::function<std::string(std::vector<TarEntry>, const std::string& whole)> damage;
};

std::string layer_name_of(const std::vector<TarEntry>& entries) {
  for (const auto& e : entries)
    if (e.name == "manifest.json") return json::parse(e.data)[0]["Layers"][0];
  return "";
}

std::string oci_layer_of(std::vector<TarEntry>& entries) {
  json index = json::parse(entry_named(entries, "index.json")->data);
  std::string manifest = index["manifests"][0]["digest"];
  json oci = json::parse(entry_named(entries, "blobs/sha256/" + manifest.substr(7))->data);
  return "blobs/sha256/" + oci["layers"][0]["digest"].get<std::string>().substr(7);
}

/// Changes one byte of the file's contents in a layer tar (not a header: the layer stays a tar).
void tamper(std::string& layer) {
  size_t at = layer.find("plain layer");
  ASSERT_NE(at, std::string::npos);
  layer[at] = 'P';
}

void PrintTo(const BadArchive& value, std::ostream* os) { *os << "\"" << value.name << "\""; }

const BadArchive kBadArchives[] = {
    {"tampered OCI layer", "blobs/sha256/([0-9a-f]{64}): blob sha256:\\1: digest mismatch: its content is sha256:[0-9a-f]{64}",
     [](std::vector<TarEntry> entries, const std::string&) {
       tamper(entry_named(entries, oci_layer_of(entries))->data);
       return make_tar(entries);
     }},
    {"tampered docker layer", "[0-9a-f]{64}/layer.tar: .*diff id mismatch: the config says sha256:[0-9a-f]{64}, its content is",
     [](std::vector<TarEntry> entries, const std::string&) {
       entries = docker_only(entries);
       tamper(entry_named(entries, layer_name_of(entries))->data);
       return make_tar(entries);
     }},
    {"missing layer", "the archive has no file [0-9a-f]{64}/layer.tar",
     [](std::vector<TarEntry> entries, const std::string&) {
       entries = docker_only(entries);
       std::string layer = layer_name_of(entries);
       entries.erase(std::remove_if(entries.begin(), entries.end(), [&](const TarEntry& e) { return e.name == layer; }),
                     entries.end());
       return make_tar(entries);
     }},
    {"missing OCI blob", "the archive has no file blobs/sha256/[0-9a-f]{64}",
     [](std::vector<TarEntry> entries, const std::string&) {
       std::string layer = oci_layer_of(entries);
       entries.erase(std::remove_if(entries.begin(), entries.end(), [&](const TarEntry& e) { return e.name == layer; }),
                     entries.end());
       return make_tar(entries);
     }},
    {"truncated layer", "[0-9a-f]{64}/layer.tar: ",
     [](std::vector<TarEntry> entries, const std::string&) {
       entries = docker_only(entries);
       TarEntry* layer = entry_named(entries, layer_name_of(entries));
       layer->data.resize(layer->data.size() / 2);
       return make_tar(entries);
     }},
    {"truncated archive", "archive entry .*: truncated or damaged",
     [](std::vector<TarEntry>, const std::string& whole) { return whole.substr(0, whole.size() / 2); }},
    {"unknown media type", "manifest sha256:[0-9a-f]{64}: layer sha256:[0-9a-f]{64}: unknown media type \"application/x-nonsense\"",
     [](std::vector<TarEntry> entries, const std::string&) {
       TarEntry* index_entry = entry_named(entries, "index.json");
       json index = json::parse(index_entry->data);
       std::string digest = index["manifests"][0]["digest"];
       json oci = json::parse(entry_named(entries, "blobs/sha256/" + digest.substr(7))->data);
       oci["layers"][0]["mediaType"] = "application/x-nonsense";
       std::string data = oci.dump();
       entries.push_back(file("blobs/sha256/" + sha256_digest(data).substr(7), data));
       index["manifests"][0]["digest"] = sha256_digest(data);
       index["manifests"][0]["size"] = data.size();
       index_entry->data = index.dump();
       return make_tar(entries);
     }},
    {"wrong size", "blobs/sha256/[0-9a-f]{64}: [0-9]+ bytes, its descriptor says 1",
     [](std::vector<TarEntry> entries, const std::string&) {
       TarEntry* index_entry = entry_named(entries, "index.json");
       json index = json::parse(index_entry->data);
       index["manifests"][0]["size"] = 1;
       index_entry->data = index.dump();
       return make_tar(entries);
     }},
    {"bad name", "index.json: io.containerd.image.name: \"Plain:1\": invalid reference format: repository name must be lowercase",
     [](std::vector<TarEntry> entries, const std::string&) {
       TarEntry* index_entry = entry_named(entries, "index.json");
       json index = json::parse(index_entry->data);
       index["manifests"][0]["annotations"]["io.containerd.image.name"] = "Plain:1";
       index_entry->data = index.dump();
       return make_tar(entries);
     }},
    {"garbage", "the input is not a tar archive", [](std::vector<TarEntry>, const std::string&) {
       return std::string("this is no archive\n");
     }},
};

class BadArchives : public Archive, public ::testing::WithParamInterface<BadArchive> {};

TEST_P(BadArchives, ExitOneNameTheProblemAndLeaveTheStoreAsItWas) {
  DOCKLING_REQUIRE_ROOT();
  // The saved image has a plain layer; the store loading it has another image already.
  ASSERT_EQ(ch10(root, {"import", plain, "plain:1"}).exit_code, 0);
  ASSERT_EQ(ch10(root, {"save", "-o", saved, "plain:1"}).exit_code, 0);
  std::string whole = read_file(saved);
  std::string bad = (tmp.path() / "bad.tar").string();
  write_file(bad, GetParam().damage(read_tar(whole), whole));
  ASSERT_EQ(ch10(other, {"import", gzipped, "hello:1"}).exit_code, 0);
  auto before = snapshot(other);
  RunResult load = ch10(other, {"load", "-i", bad});
  EXPECT_EQ(load.exit_code, 1) << load;
  EXPECT_TRUE(std::regex_search(load.err, std::regex("^ch10-images: " + GetParam().expected))) << load;
  EXPECT_EQ(snapshot(other), before);
  // The undamaged archive still loads.
  RunResult good = ch10(other, {"load", "-i", saved});
  EXPECT_EQ(good.exit_code, 0) << good;
}

INSTANTIATE_TEST_SUITE_P(Archive, BadArchives, ::testing::ValuesIn(kBadArchives),
                         [](const ::testing::TestParamInfo<BadArchive>& info) {
                           return param_name(info.index, info.param.name);
                         });

}  // namespace
}  // namespace dockling::ch10
