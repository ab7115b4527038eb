// Image references with docker's rules (distribution/reference's ParseNormalizedNamed).
#include <gtest/gtest.h>

#include <string>

#include "dockling/error.hpp"
#include "images_step.hpp"
#include "reference.hpp"
#include "tar_builder.hpp"

namespace dockling::ch10 {
namespace {

struct Good {
  std::string text, domain, path, tag, digest, familiar;
};

/// Shown in test names and failures instead of the bytes.
void PrintTo(const Good& value, std::ostream* os) { *os << "\"" << value.text << "\""; }

const std::string kHex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

class ReferenceParses : public ::testing::TestWithParam<Good> {};

TEST_P(ReferenceParses, AsDockerDoes) {
  const Good& good = GetParam();
  Reference ref = parse_reference(good.text);
  EXPECT_EQ(ref.domain, good.domain);
  EXPECT_EQ(ref.path, good.path);
  EXPECT_EQ(ref.tag, good.tag);
  EXPECT_EQ(ref.digest, good.digest);
  EXPECT_EQ(ref.with_default_tag().familiar(), good.familiar);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ReferenceParses,
    ::testing::Values(
        Good{"busybox", "docker.io", "library/busybox", "", "", "busybox:latest"},
        Good{"busybox:1.36", "docker.io", "library/busybox", "1.36", "", "busybox:1.36"},
        Good{"library/busybox", "docker.io", "library/busybox", "", "", "busybox:latest"},
        Good{"docker.io/library/busybox:latest", "docker.io", "library/busybox", "latest", "", "busybox:latest"},
        Good{"index.docker.io/busybox", "docker.io", "library/busybox", "", "", "busybox:latest"},
        Good{"user/app", "docker.io", "user/app", "", "", "user/app:latest"},
        Good{"user/app:v1.0-rc_2", "docker.io", "user/app", "v1.0-rc_2", "", "user/app:v1.0-rc_2"},
        Good{"host:5000/a/b:tag", "host:5000", "a/b", "tag", "", "host:5000/a/b:tag"},
        Good{"localhost/app", "localhost", "app", "", "", "localhost/app:latest"},
        Good{"localhost:5000/app:1", "localhost:5000", "app", "1", "", "localhost:5000/app:1"},
        Good{"Registry.Example.com/team/app", "Registry.Example.com", "team/app", "", "", "Registry.Example.com/team/app:latest"},
        Good{"registry.example.com:5000/team/sub/app:1.0", "registry.example.com:5000", "team/sub/app", "1.0", "",
             "registry.example.com:5000/team/sub/app:1.0"},
        Good{"a.b/c", "a.b", "c", "", "", "a.b/c:latest"},
        Good{"my_app", "docker.io", "library/my_app", "", "", "my_app:latest"},
        Good{"my__app", "docker.io", "library/my__app", "", "", "my__app:latest"},
        Good{"my---app", "docker.io", "library/my---app", "", "", "my---app:latest"},
        Good{"a.b.c", "docker.io", "library/a.b.c", "", "", "a.b.c:latest"},
        Good{"app:TAG_upper", "docker.io", "library/app", "TAG_upper", "", "app:TAG_upper"},
        Good{"app:_underscore", "docker.io", "library/app", "_underscore", "", "app:_underscore"},
        Good{"busybox@sha256:" + kHex, "docker.io", "library/busybox", "", "sha256:" + kHex, "busybox@sha256:" + kHex},
        Good{"busybox:1@sha256:" + kHex, "docker.io", "library/busybox", "1", "sha256:" + kHex,
             "busybox:1@sha256:" + kHex},
        Good{"0123456789abcdef", "docker.io", "library/0123456789abcdef", "", "", "0123456789abcdef:latest"},
        Good{"app:" + std::string(128, 'a'), "docker.io", "library/app", std::string(128, 'a'), "",
             "app:" + std::string(128, 'a')}),
    [](const ::testing::TestParamInfo<Good>& info) { return testing::param_name(info.index, info.param.text); });

struct Bad {
  std::string text, message;
};

/// Shown in test names and failures instead of the bytes.
void PrintTo(const Bad& value, std::ostream* os) { *os << "\"" << value.text << "\""; }

class ReferenceRefused : public ::testing::TestWithParam<Bad> {};

TEST_P(ReferenceRefused, WithDockersWords) {
  const Bad& bad = GetParam();
  try {
    Reference ref = parse_reference(bad.text);
    ADD_FAILURE() << "\"" << bad.text << "\" parsed as " << ref.full();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), bad.message) << bad.text;
    EXPECT_EQ(e.exit_code(), 1);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ReferenceRefused,
    ::testing::Values(
        Bad{"", "invalid reference format"},
        Bad{"UPPER", "invalid reference format: repository name must be lowercase"},
        Bad{"user/App:1", "invalid reference format: repository name must be lowercase"},
        Bad{"a:b:c", "invalid reference format"},
        Bad{"a/b@sha256:abc", "invalid reference format"},
        Bad{"busybox@sha256:" + kHex.substr(0, 60), "invalid checksum digest length"},
        Bad{"busybox@sha256:" + std::string(64, 'A'), "invalid checksum digest format"},
        Bad{"busybox@md5:" + kHex, "unsupported digest algorithm"},
        Bad{"-app", "invalid reference format"},
        Bad{"app-", "invalid reference format"},
        Bad{"a..b", "invalid reference format"},
        Bad{"a___b", "invalid reference format"},
        Bad{"a//b", "invalid reference format"},
        Bad{"/a", "invalid reference format"},
        Bad{"a/", "invalid reference format"},
        Bad{"app:", "invalid reference format"},
        Bad{"app:.tag", "invalid reference format"},
        Bad{"app:" + std::string(129, 'a'), "invalid reference format"},
        Bad{"host:port/app", "invalid reference format"},
        Bad{"-host.com/app", "invalid reference format"},
        Bad{"app name", "invalid reference format"},
        Bad{kHex, "invalid repository name (" + kHex + "), cannot specify 64-byte hexadecimal strings"},
        Bad{"a/" + std::string(250, 'b'), "invalid reference format: repository name must not be more than 255 characters"}),
    [](const ::testing::TestParamInfo<Bad>& info) { return testing::param_name(info.index, info.param.text); });

TEST(Reference, FullNameKeepsEverything) {
  EXPECT_EQ(parse_reference("busybox").with_default_tag().full(), "docker.io/library/busybox:latest");
  EXPECT_EQ(parse_reference("host:5000/a/b:tag").full(), "host:5000/a/b:tag");
  EXPECT_EQ(parse_reference("busybox").familiar_name(), "busybox");
  EXPECT_EQ(parse_reference("docker.io/user/app").familiar_name(), "user/app");
  // A digest reference gets no default tag.
  EXPECT_EQ(parse_reference("busybox@sha256:" + kHex).with_default_tag().tag, "");
}

TEST(Format, SizesAsDocker) {
  EXPECT_EQ(human_size(0), "0B");
  EXPECT_EQ(human_size(999), "999B");
  EXPECT_EQ(human_size(1000), "1kB");
  EXPECT_EQ(human_size(4096), "4.1kB");
  EXPECT_EQ(human_size(1983000), "1.98MB");
  EXPECT_EQ(human_size(4460000), "4.46MB");
  EXPECT_EQ(human_size(12345678), "12.3MB");
  EXPECT_EQ(human_size(123456789), "123MB");
  EXPECT_EQ(human_size(2000000000), "2GB");
}

TEST(Format, DurationsAsDocker) {
  EXPECT_EQ(human_duration(0.3), "Less than a second");
  EXPECT_EQ(human_duration(1.5), "1 second");
  EXPECT_EQ(human_duration(59), "59 seconds");
  EXPECT_EQ(human_duration(61), "About a minute");
  EXPECT_EQ(human_duration(59 * 60), "59 minutes");
  EXPECT_EQ(human_duration(3600), "About an hour");
  EXPECT_EQ(human_duration(5 * 3600), "5 hours");
  EXPECT_EQ(human_duration(3 * 86400), "3 days");
  EXPECT_EQ(human_duration(20 * 86400), "2 weeks");
  EXPECT_EQ(human_duration(90 * 86400), "3 months");
  EXPECT_EQ(human_duration(800 * 86400), "2 years");
}

TEST(Format, TableAsDockersTabwriter) {
  EXPECT_EQ(format_table({{"REPOSITORY", "TAG", "SIZE"}, {"busybox", "latest", "1.98MB"}}),
            "REPOSITORY   TAG       SIZE\n"
            "busybox      latest    1.98MB\n");
}

}  // namespace
}  // namespace dockling::ch10
