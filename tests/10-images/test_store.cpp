// The image store: content addressed blobs, the index, layers shared and collected, and the
// store exactly as before after any error.
#include <gtest/gtest.h>

#include <fcntl.h>

#include <string>

#include "digest.hpp"
#include "dockling/error.hpp"
#include "dockling/fs.hpp"
#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"
#include "image_store.hpp"
#include "tar_builder.hpp"

namespace dockling::ch10 {
namespace {

using namespace dockling::ch10::testing;

/// A gzip layer cut in the middle of its stream.
std::string truncated_gzip() {
  std::string data;
  for (int i = 0; i < 50000; ++i) data += std::to_string(i * 7919 % 104729);
  std::string gz = make_tar({file("x", data)}, Compression::gzip);
  return gz.substr(0, gz.size() / 2);
}

class Store : public ::testing::Test {
 protected:
  TempDir tmp{"dockling-ch10-store"};
  StateRoot root{tmp.path() / "root"};
  ImageStore store{root};

  /// Imports `tar` (bytes) as `name` ("" for none); returns the image id.
  std::string import(const std::string& tar, const std::string& name) {
    std::string path = (tmp.path() / "import.tar").string();
    write_file(path, tar);
    UniqueFd in = open_fd(path, O_RDONLY);
    std::optional<Reference> ref;
    if (!name.empty()) ref = parse_reference(name);
    return store.import_tarball(in.get(), ref, "Imported from -");
  }
  std::map<std::string, std::string> state() { return snapshot(root.dir()); }
};

TEST_F(Store, BlobRoundTrip) {
  Changes changes;
  UniqueFd held = store.lock();
  std::string digest = store.put_blob(std::string_view("hello\n"), "", changes);
  changes.commit();
  EXPECT_EQ(digest, "sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
  EXPECT_TRUE(store.has_blob(digest));
  EXPECT_EQ(store.read_blob(digest), "hello\n");
  EXPECT_EQ(store.blob_path(digest), root.dir() / "images/blobs/sha256/5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
  EXPECT_EQ(read_file((root.dir() / "images/oci-layout").string()), R"({"imageLayoutVersion":"1.0.0"})");
}

TEST_F(Store, ABlobThatDoesNotMatchItsDigestIsRefusedAndNothingChanges) {
  UniqueFd held = store.lock();
  auto before = state();
  std::string wrong = sha256_digest("something else");
  Changes changes;
  try {
    store.put_blob(std::string_view("tampered"), wrong, changes);
    ADD_FAILURE() << "stored";
  } catch (const Error& e) {
    std::string message = e.what();
    EXPECT_NE(message.find(wrong), std::string::npos) << message;
    EXPECT_NE(message.find(sha256_digest("tampered")), std::string::npos) << message;
  }
  EXPECT_EQ(state(), before);
}

TEST_F(Store, ABlobChangedOnDiskIsNoticedWhenRead) {
  Changes changes;
  UniqueFd held = store.lock();
  std::string digest = store.put_blob(std::string_view("{}"), "", changes);
  changes.commit();
  write_file(store.blob_path(digest).string(), "{\"x\":1}");
  EXPECT_THROW(store.read_blob(digest), Error);
}

TEST_F(Store, ChangesAreUndoneUnlessCommitted) {
  UniqueFd held = store.lock();
  auto before = state();
  {
    Changes changes;
    store.put_blob(std::string_view("not kept"), "", changes);
  }
  EXPECT_EQ(state(), before);
}

TEST_F(Store, ImportTagListRemove) {
  DOCKLING_REQUIRE_ROOT();
  std::string tar = make_tar({dir("bin/"), file("bin/hello", "hello\n", 0755)}, Compression::gzip);
  std::string id = import(tar, "hello");
  ASSERT_TRUE(is_sha256_digest(id));
  auto images = store.images();
  ASSERT_EQ(images.size(), 1u);
  EXPECT_EQ(images[0].id, id);
  ASSERT_EQ(images[0].names.size(), 1u);
  EXPECT_EQ(images[0].names[0].full(), "docker.io/library/hello:latest");
  EXPECT_EQ(images[0].layers[0].media_type, "application/vnd.oci.image.layer.v1.tar+gzip");
  ASSERT_EQ(images[0].diff_ids.size(), 1u);
  EXPECT_EQ(read_file((store.layer_path(images[0].diff_ids[0]) / "bin/hello").string()), "hello\n");
  EXPECT_EQ(store.layer_size(images[0].diff_ids[0]), 6u);
  EXPECT_EQ(images[0].config["rootfs"]["type"], "layers");
  EXPECT_EQ(images[0].config["os"], "linux");

  store.tag("hello", parse_reference("registry.example.com:5000/team/hello:1.0"));
  EXPECT_EQ(store.find("registry.example.com:5000/team/hello:1.0").id, id);
  EXPECT_EQ(store.find(id.substr(7, 12)).id, id);
  EXPECT_EQ(store.find(id).id, id);
  EXPECT_EQ(store.find("hello@" + images[0].manifest.digest).id, id);
  EXPECT_THROW(store.find("hello:2"), Error);
  EXPECT_THROW(store.remove(id.substr(7, 12), false), Error) << "two names: must be forced";

  EXPECT_EQ(store.remove("hello", false), std::vector<std::string>{"Untagged: hello:latest"});
  auto lines = store.remove("registry.example.com:5000/team/hello:1.0", false);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "Untagged: registry.example.com:5000/team/hello:1.0");
  EXPECT_EQ(lines[1], "Deleted: " + id);
  EXPECT_EQ(lines[2], "Deleted: " + images[0].diff_ids[0]);
  EXPECT_TRUE(store.images().empty());
  EXPECT_TRUE(std::filesystem::is_empty(root.dir() / "images/blobs/sha256"));
  EXPECT_TRUE(std::filesystem::is_empty(store.layers_dir()));
}

TEST_F(Store, ALayerIsUnpackedOnceAndSharedUntilNoImageNeedsIt) {
  DOCKLING_REQUIRE_ROOT();
  std::string tar = make_tar({file("shared", "same\n")});
  std::string a = import(tar, "a");
  std::string b = import(tar, "b:1");
  EXPECT_NE(a, b) << "each import has its own config (its own time)";
  size_t layers = 0;
  for (const auto& entry : std::filesystem::directory_iterator(store.layers_dir())) {
    (void)entry;
    ++layers;
  }
  EXPECT_EQ(layers, 1u);
  auto lines = store.remove("a", false);
  EXPECT_EQ(lines.size(), 2u) << "untagged and deleted; the layer stays for b";
  EXPECT_EQ(read_file((store.layer_path(store.find("b:1").diff_ids[0]) / "shared").string()), "same\n");
  EXPECT_EQ(store.remove("b:1", false).size(), 3u);
}

TEST_F(Store, TheSameLayerCompressedOrNotIsUnpackedOnce) {
  DOCKLING_REQUIRE_ROOT();
  std::vector<TarEntry> entries{dir("etc/"), file("etc/os-release", "NAME=test\n")};
  std::string plain = import(make_tar(entries), "plain");
  std::string gzip = import(make_tar(entries, Compression::gzip), "gzip");
  std::string zstd = import(make_tar(entries, Compression::zstd), "zstd");
  Image a = store.find("plain"), b = store.find("gzip"), c = store.find("zstd");
  EXPECT_NE(a.layers[0].digest, b.layers[0].digest) << "three different blobs";
  EXPECT_NE(b.layers[0].digest, c.layers[0].digest);
  EXPECT_EQ(c.layers[0].media_type, "application/vnd.oci.image.layer.v1.tar+zstd");
  EXPECT_EQ(a.diff_ids, b.diff_ids) << "one diff id";
  EXPECT_EQ(b.diff_ids, c.diff_ids);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(store.layers_dir()), std::filesystem::directory_iterator()), 1);
  EXPECT_EQ(store.remove("gzip", false).size(), 2u) << "its blob goes, the shared layer stays";
  EXPECT_FALSE(store.has_blob(b.layers[0].digest));
  EXPECT_TRUE(store.has_blob(a.layers[0].digest));
}

TEST_F(Store, ATagMovedAwayLeavesTheOldImageUntagged) {
  DOCKLING_REQUIRE_ROOT();
  std::string first = import(make_tar({file("v", "1\n")}), "app");
  std::string second = import(make_tar({file("v", "2\n")}), "app");
  auto images = store.images();
  ASSERT_EQ(images.size(), 2u);
  EXPECT_EQ(store.find("app").id, second);
  EXPECT_TRUE(store.find(first).names.empty());
  EXPECT_EQ(store.remove(first.substr(7, 12), false).size(), 2u) << "Deleted: image, Deleted: its layer";
}

TEST_F(Store, AFailedImportLeavesTheStoreAsItWas) {
  DOCKLING_REQUIRE_ROOT();
  import(make_tar({file("ok")}), "good");
  auto before = state();
  for (const auto& bad : {make_tar({file("ok"), file("../escape")}), make_tar({symlink("l", "../../x")}),
                          std::string("not a tarball, certainly not a tarball, not at all.........."),
                          truncated_gzip()}) {
    EXPECT_THROW(import(bad, "bad"), Error);
    EXPECT_EQ(state(), before);
  }
  EXPECT_THROW(import(make_tar({file("ok")}), "bad@sha256:" + std::string(64, 'a')), Error);
  EXPECT_EQ(state(), before);
}

}  // namespace
}  // namespace dockling::ch10
