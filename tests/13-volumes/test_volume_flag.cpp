// The exercise: one -v value read with docker's rules (volume_request.hpp), and --mount,
// which the chapter reads itself, beside it.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "dockling/error.hpp"
#include "volume_request.hpp"

namespace dockling::ch13 {
namespace {

/// The message of the dockling::Error `action` throws; "" (and a failure) when none.
std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const NotImplemented&) {
    throw;  // the stub: the test fails as it is
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 125) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no dockling::Error thrown";
  return "";
}

TEST(VolumeFlag, AnAbsoluteSourceIsABindMount_Exercise) {
  VolumeRequest bind = parse_volume_flag("/srv/site:/usr/share/html:ro");
  EXPECT_EQ(bind.kind, MountKind::bind);
  EXPECT_EQ(bind.source, "/srv/site");
  EXPECT_EQ(bind.target, "/usr/share/html");
  EXPECT_TRUE(bind.read_only);
  EXPECT_TRUE(bind.create_missing_source);
  EXPECT_EQ(bind.origin, "-v /srv/site:/usr/share/html:ro");

  VolumeRequest shared = parse_volume_flag("/mnt:/mnt:rshared,rw");
  EXPECT_EQ(shared.propagation, "rshared");
  EXPECT_FALSE(shared.read_only);
}

TEST(VolumeFlag, ANameIsAVolumeAndATargetAloneAnAnonymousOne_Exercise) {
  VolumeRequest named = parse_volume_flag("pgdata:/var/lib/postgresql/data/");
  EXPECT_EQ(named.kind, MountKind::volume);
  EXPECT_EQ(named.source, "pgdata");
  EXPECT_EQ(named.target, "/var/lib/postgresql/data");  // the trailing '/' dropped
  EXPECT_FALSE(named.read_only);
  EXPECT_FALSE(named.no_copy);

  VolumeRequest nocopy = parse_volume_flag("cache:/cache:nocopy");
  EXPECT_TRUE(nocopy.no_copy);

  VolumeRequest anonymous = parse_volume_flag("/data");
  EXPECT_EQ(anonymous.kind, MountKind::volume);
  EXPECT_EQ(anonymous.source, "");
  EXPECT_EQ(anonymous.target, "/data");
}

TEST(VolumeFlag, TheSelinuxLabelIsAcceptedWithAWarning_Exercise) {
  VolumeRequest labelled = parse_volume_flag("/srv:/srv:ro,z");
  EXPECT_TRUE(labelled.read_only);
  ASSERT_EQ(labelled.warnings.size(), 1u);
  EXPECT_NE(labelled.warnings[0].find("'z'"), std::string::npos) << labelled.warnings[0];
  EXPECT_TRUE(parse_volume_flag("/srv:/srv").warnings.empty());
}

TEST(VolumeFlag, ABadSpecIsRefusedNamingIt_Exercise) {
  for (const std::string value : {":/x", "/a:relative", "relative", "/a:/b:c:d", "/x:ro", "/srv:/"}) {
    std::string message = error_of([&] { parse_volume_flag(value); });
    EXPECT_EQ(message.rfind("invalid volume specification: '" + value + "'", 0), 0u) << value << ": " << message;
  }
  EXPECT_NE(error_of([] { parse_volume_flag("/a:relative"); }).find("must be absolute"), std::string::npos);
  EXPECT_NE(error_of([] { parse_volume_flag("/srv:/"); }).find("destination can't be '/'"), std::string::npos);
}

TEST(VolumeFlag, ABadModeOrNameIsRefusedInDockersWords_Exercise) {
  EXPECT_EQ(error_of([] { parse_volume_flag("/tmp:/x:foo"); }), "invalid mode: foo");
  EXPECT_EQ(error_of([] { parse_volume_flag("/tmp:/x:rw,ro"); }), "invalid mode: rw,ro");
  // nocopy is for volumes, a propagation for binds.
  EXPECT_NE(error_of([] { parse_volume_flag("/tmp:/x:nocopy"); }).find("nocopy"), std::string::npos);
  EXPECT_NE(error_of([] { parse_volume_flag("data:/x:rshared"); }).find("rshared"), std::string::npos);
  std::string name = error_of([] { parse_volume_flag("bad@name:/x"); });
  EXPECT_EQ(name.rfind("create bad@name: \"bad@name\" includes invalid characters", 0), 0u) << name;
}

TEST(MountFlag, ReadsDockersFields) {
  VolumeRequest bind = parse_mount_flag("type=bind,src=/srv,dst=/www,readonly,bind-propagation=rslave");
  EXPECT_EQ(bind.kind, MountKind::bind);
  EXPECT_EQ(bind.source, "/srv");
  EXPECT_EQ(bind.target, "/www");
  EXPECT_TRUE(bind.read_only);
  EXPECT_EQ(bind.propagation, "rslave");
  EXPECT_FALSE(bind.create_missing_source);

  VolumeRequest volume = parse_mount_flag("source=logs,target=/logs,volume-nocopy,volume-label=team=web,ro=false");
  EXPECT_EQ(volume.kind, MountKind::volume);  // the default type
  EXPECT_TRUE(volume.no_copy);
  EXPECT_FALSE(volume.read_only);
  EXPECT_EQ(volume.volume_labels.at("team"), "web");

  VolumeRequest tmpfs = parse_mount_flag("type=tmpfs,target=/scratch,tmpfs-size=64m,tmpfs-mode=1770");
  EXPECT_EQ(tmpfs.kind, MountKind::tmpfs);
  EXPECT_EQ(tmpfs.tmpfs_size, 64u << 20);
  EXPECT_EQ(tmpfs.tmpfs_mode, 01770u);
}

TEST(MountFlag, RefusesWhatDockerRefuses) {
  auto refusal = [](const std::string& value) {
    try {
      parse_mount_flag(value);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(refusal("type=bind,source=/tmp"), "invalid argument \"type=bind,source=/tmp\" for \"--mount\" flag: target is required");
  EXPECT_EQ(refusal("type=volume,target=/x,bogus=1"),
            "invalid argument \"type=volume,target=/x,bogus=1\" for \"--mount\" flag: unexpected key 'bogus' in 'bogus=1'");
  EXPECT_EQ(refusal("junk"), "invalid argument \"junk\" for \"--mount\" flag: invalid field 'junk' must be a key=value pair");
  EXPECT_NE(refusal("type=volume,target=/x,bind-propagation=rshared").find("cannot mix 'bind-*' options"), std::string::npos);
  EXPECT_NE(refusal("target=/x,readonly=maybe").find("invalid value for readonly: maybe"), std::string::npos);
  EXPECT_EQ(refusal("type=tmpfs,source=/tmp,target=/x"), "invalid mount config for type \"tmpfs\": field Source must not be specified");
  EXPECT_EQ(refusal("type=foo,target=/x"), "invalid mount config for type \"foo\": mount type unknown");
  EXPECT_EQ(refusal("type=bind,src=/tmp,target=relative"),
            "invalid mount config for type \"bind\": invalid mount path: 'relative' mount path must be absolute");
}

}  // namespace
}  // namespace dockling::ch13
