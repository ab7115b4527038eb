// docker's views of an image (inspect, history, images --format) built from an image in
// memory: no layer needs to be unpacked, so no root is needed.
#include <gtest/gtest.h>

#include <cstdlib>

#include "dockling/error.hpp"
#include "dockling/tempdir.hpp"
#include "image_inspect.hpp"

namespace dockling::ch10 {
namespace {

const std::string kBottom = "sha256:" + std::string(64, 'a');
const std::string kTop = "sha256:" + std::string(64, 'b');

class ImageViews : public ::testing::Test {
 protected:
  TempDir tmp{"dockling-ch10-views"};
  StateRoot root{tmp.path() / "root"};
  ImageStore store{root};

  /// A two-layer image as a build makes it: four history entries, two without a layer.
  Image built() {
    Image image;
    image.id = "sha256:" + std::string(64, 'c');
    image.names = {parse_reference("app:1"), parse_reference("localhost:5000/team/app").with_default_tag()};
    image.diff_ids = {kBottom, kTop};
    image.created = "2026-11-30T11:17:03.254412900Z";
    image.config = nlohmann::json::parse(R"({
      "architecture": "arm64", "os": "linux", "author": "me", "created": "2026-11-30T11:17:03.254412900Z",
      "config": {"Env": ["PATH=/bin"], "Cmd": ["sh"], "StopSignal": "SIGINT"},
      "history": [
        {"created": "2026-11-30T10:00:00Z", "created_by": "/bin/sh -c #(nop) ADD file:abc in / "},
        {"created": "2026-11-30T10:00:01Z", "created_by": "/bin/sh -c #(nop)  CMD [\"sh\"]", "empty_layer": true},
        {"created": "2026-11-30T11:00:00Z", "created_by": "/bin/sh -c apk add curl", "comment": "buildkit"},
        {"created": "2026-11-30T11:17:03Z", "created_by": "/bin/sh -c #(nop)  ENV PATH=/bin", "empty_layer": true}
      ],
      "rootfs": {"type": "layers", "diff_ids": []}
    })");
    return image;
  }
};

TEST_F(ImageViews, InspectHasDockersKeysInDockersOrder) {
  nlohmann::ordered_json inspect = inspect_image(store, built());
  std::vector<std::string> keys;
  for (const auto& item : inspect.items()) keys.push_back(item.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"Id", "RepoTags", "RepoDigests", "Parent", "Comment", "Created", "Container",
                                            "ContainerConfig", "DockerVersion", "Author", "Config", "Architecture",
                                            "Os", "Size", "VirtualSize", "GraphDriver", "RootFS", "Metadata"}));
  EXPECT_EQ(inspect["RepoTags"], nlohmann::ordered_json::array({"app:1", "localhost:5000/team/app:latest"}));
  EXPECT_EQ(inspect["RepoDigests"], nlohmann::ordered_json::array());
  EXPECT_EQ(inspect["Created"], "2026-11-30T11:17:03.2544129Z");  // RFC3339Nano: no trailing zeros
  EXPECT_EQ(inspect["Author"], "me");
  EXPECT_EQ(inspect["Architecture"], "arm64");
  EXPECT_EQ(inspect["Config"]["Cmd"], nlohmann::ordered_json::array({"sh"}));
  EXPECT_EQ(inspect["Config"]["StopSignal"], "SIGINT");
  EXPECT_TRUE(inspect["ContainerConfig"]["Cmd"].is_null());
  EXPECT_EQ(inspect["RootFS"]["Layers"], nlohmann::ordered_json::array({kBottom, kTop}));
  const auto& data = inspect["GraphDriver"]["Data"];
  EXPECT_EQ(data["UpperDir"], (root.dir() / "layers" / std::string(64, 'b')).string());
  EXPECT_EQ(data["LowerDir"], (root.dir() / "layers" / std::string(64, 'a')).string());
  EXPECT_EQ(inspect["GraphDriver"]["Name"], "overlay2");
}

TEST_F(ImageViews, HistoryIsNewestFirstAndOnlyTheTopHasTheId) {
  std::vector<HistoryEntry> history = image_history(store, built());
  ASSERT_EQ(history.size(), 4u);
  EXPECT_EQ(history[0].id, std::string("sha256:") + std::string(64, 'c'));
  EXPECT_EQ(history[0].created_by, "/bin/sh -c #(nop)  ENV PATH=/bin");
  for (size_t i = 1; i < 4; ++i) EXPECT_EQ(history[i].id, "<missing>");
  EXPECT_EQ(history[1].comment, "buildkit");
  EXPECT_EQ(history[3].created, "2026-11-30T10:00:00Z");

  Image broken = built();
  broken.diff_ids = {kBottom};  // two entries make layers, one layer: docker refuses it
  EXPECT_THROW(image_history(store, broken), Error);
}

TEST(GoTimes, AsGoPrintsThem) {
  EXPECT_EQ(rfc3339_nano("2026-11-30T11:17:03.262667560Z"), "2026-11-30T11:17:03.26266756Z");
  EXPECT_EQ(rfc3339_nano("2026-11-30T11:17:03.000000000Z"), "2026-11-30T11:17:03Z");
  EXPECT_EQ(rfc3339_nano("2026-11-30T11:17:03Z"), "2026-11-30T11:17:03Z");
  const char* saved = std::getenv("TZ");
  std::string previous = saved != nullptr ? saved : "";
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  EXPECT_EQ(go_rfc3339(1796037434), "2026-11-30T11:17:14Z");
  EXPECT_EQ(go_time_string(1796037434), "2026-11-30 11:17:14 +0000 UTC");
  ::setenv("TZ", "CET-1", 1);  // Go prints local time: an offset instead of Z
  ::tzset();
  EXPECT_EQ(go_rfc3339(1796037434), "2026-11-30T12:17:14+01:00");
  if (saved != nullptr)
    ::setenv("TZ", previous.c_str(), 1);
  else
    ::unsetenv("TZ");
  ::tzset();
}

}  // namespace
}  // namespace dockling::ch10
