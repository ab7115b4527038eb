// `run IMAGE`: the overlay root from the image's layers, the config's defaults, and the
// containers kept after they stop (ps -a, rm), as docker does.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>

#include "dockling/error.hpp"
#include "dockling/fs.hpp"
#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"
#include "image_config.hpp"
#include "image_store.hpp"
#include "images.hpp"
#include "peer_programs.hpp"
#include "tar_builder.hpp"

namespace dockling::ch10 {
namespace {

using namespace dockling::testing;
using namespace dockling::ch10::testing;
using nlohmann::json;

// --- the exercise: the overlay mount's options ---------------------------------------

std::string random_path(std::mt19937& random) {
  static const std::string letters = "abcdefghijklmnopqrstuvwxyz0123456789-_.";
  std::string path;
  for (int part = 0, parts = 1 + static_cast<int>(random() % 4); part < parts; ++part) {
    path += '/';
    for (int i = 0, n = 1 + static_cast<int>(random() % 10); i < n; ++i) path += letters[random() % letters.size()];
  }
  return path;
}

TEST(OverlayOptions, TheTopLayerComesFirstThenTheRwLayer_Exercise) {
  std::mt19937 random(std::random_device{}());
  for (int round = 0; round < 20; ++round) {
    std::vector<std::string> layers;
    for (int i = 0, n = 1 + static_cast<int>(random() % 6); i < n; ++i) layers.push_back(random_path(random));
    std::string upper = random_path(random), work = random_path(random);
    std::string expected = "lowerdir=";
    for (size_t i = layers.size(); i-- > 0;) expected += layers[i] + (i > 0 ? ":" : "");
    expected += ",upperdir=" + upper + ",workdir=" + work;
    EXPECT_EQ(overlay_mount_options(layers, upper, work), expected);
  }
}

TEST(OverlayOptions, SeparatorsInPathsAreEscaped_Exercise) {
  EXPECT_EQ(overlay_mount_options({"/l/a:b", "/l/c,d"}, "/u\\v", "/w:x"),
            "lowerdir=/l/c\\,d:/l/a\\:b,upperdir=/u\\\\v,workdir=/w\\:x");
  EXPECT_EQ(overlay_mount_options({"/plain"}, "/up", "/wo"), "lowerdir=/plain,upperdir=/up,workdir=/wo");
}

TEST(OverlayOptions, NoLayersIsRefused_Exercise) {
  EXPECT_THROW(overlay_mount_options({}, "/u", "/w"), std::invalid_argument);
}

// --- docker's rules for the command ---------------------------------------------------

TEST(ImageCommand, EntrypointThenTheCommandLineOrElseCmd) {
  json config{{"Entrypoint", {"/bin/ep", "-x"}}, {"Cmd", {"default", "args"}}};
  EXPECT_EQ(image_command(config, {}), (std::vector<std::string>{"/bin/ep", "-x", "default", "args"}));
  EXPECT_EQ(image_command(config, {{"mine"}, std::nullopt}), (std::vector<std::string>{"/bin/ep", "-x", "mine"}));
  // --entrypoint replaces the image's, and drops its Cmd.
  EXPECT_EQ(image_command(config, {{}, std::string("/bin/other")}), (std::vector<std::string>{"/bin/other"}));
  EXPECT_EQ(image_command(config, {{"a"}, std::string("")}), (std::vector<std::string>{"a"}));
  EXPECT_EQ(image_command(json{{"Cmd", {"sh"}}}, {}), (std::vector<std::string>{"sh"}));
  EXPECT_EQ(image_command(json{{"Cmd", nullptr}, {"Entrypoint", nullptr}}, {{"ls"}, std::nullopt}),
            (std::vector<std::string>{"ls"}));
}

TEST(ImageCommand, NothingToRunIsAnError) {
  try {
    image_command(json{{"Cmd", {"sh"}}}, {{}, std::string("")});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "No command specified");
  }
  EXPECT_THROW(image_command(json::object(), {}), Error);
}

TEST(ImageConfig, EnvWorkdirAndUserBecomeDefaults) {
  ContainerSpec spec;
  apply_image_config(json{{"Cmd", {"sh"}}, {"Env", {"A=1"}}, {"WorkingDir", "srv"}, {"User", "nobody"}}, {}, spec);
  EXPECT_EQ(spec.process.env, (std::vector<std::string>{std::string("PATH=") + kDefaultPath, "A=1"}));
  EXPECT_EQ(spec.process.cwd, "/srv");
  EXPECT_EQ(spec.process.default_user, "nobody");
  apply_image_config(json{{"Cmd", {"sh"}}, {"Env", {"PATH=/opt/bin", "B=2"}}}, {}, spec);
  EXPECT_EQ(spec.process.env, (std::vector<std::string>{"PATH=/opt/bin", "B=2"}));
}

// --- run IMAGE ------------------------------------------------------------------------

class RunImage : public ::testing::Test {
 protected:
  TempDir tmp{"dockling-ch10-run"};
  std::string root = (tmp.path() / "root").string();

  RunResult ch10(std::vector<std::string> args, milliseconds timeout = milliseconds(30000)) {
    args.insert(args.begin(), {bin("ch10-images"), "--root", root});
    return run(args, timeout);
  }
  std::vector<std::string> ch10_argv(std::vector<std::string> args) {
    args.insert(args.begin(), {bin("ch10-images"), "--root", root});
    return args;
  }

  /// Stores an image of the tar layers `layers` (bottom first) and the container config
  /// `config`, named `name`, as a pull or a build would.
  void add_image(const std::vector<std::string>& layers, const json& config, const std::string& name) {
    ImageStore store{StateRoot(root)};
    UniqueFd lock = store.lock();
    Changes changes;
    nlohmann::ordered_json manifest_layers = nlohmann::ordered_json::array();
    json diff_ids = json::array();
    for (const auto& layer : layers) {
      std::string digest = store.put_blob(std::string_view(layer), "", changes);
      diff_ids.push_back(store.unpack_layer(digest, "", changes).diff_id);
      manifest_layers.push_back(Descriptor{"application/vnd.oci.image.layer.v1.tar", digest,
                                           static_cast<std::int64_t>(layer.size()), {}}
                                    .to_json());
    }
    json image_config{{"architecture", oci_architecture()},
                      {"os", "linux"},
                      {"created", rfc3339_now()},
                      {"config", config},
                      {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
    std::string config_data = image_config.dump();
    std::string config_digest = store.put_blob(std::string_view(config_data), "", changes);
    nlohmann::ordered_json manifest{{"schemaVersion", 2},
                  {"mediaType", media_type::kManifest},
                  {"config", Descriptor{media_type::kConfig, config_digest,
                                        static_cast<std::int64_t>(config_data.size()), {}}
                                 .to_json()},
                  {"layers", manifest_layers}};
    std::string manifest_data = manifest.dump();
    Descriptor descriptor{media_type::kManifest, store.put_blob(std::string_view(manifest_data), "", changes),
                          static_cast<std::int64_t>(manifest_data.size()),
                          {{kRefNameAnnotation, parse_reference(name).with_default_tag().full()}}};
    std::vector<Descriptor> index = store.read_index();
    index.push_back(descriptor);
    store.write_index(index);
    changes.commit();
  }

  /// The busybox rootfs of the tests as a one-layer image `name` with `config`.
  void add_busybox(const std::string& name, const json& config = json{{"Cmd", {"sh"}}}) {
    RunResult tar = run({"/bin/tar", "-C", rootfs(), "-cf", "-", "."});
    ASSERT_EQ(tar.exit_code, 0) << tar;
    add_image({tar.out}, config, name);
  }

  std::string containers_dir() const { return root + "/containers"; }
};

TEST_F(RunImage, LayersStackWithWhiteoutsAndOpaqueDirectories_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  RunResult tar = run({"/bin/tar", "-C", rootfs(), "-cf", "-", "."});
  ASSERT_EQ(tar.exit_code, 0) << tar;
  std::string name = unique_name("keep-");
  std::string lower = make_tar({file("gone", "lower\n"), dir("opaque/"), file("opaque/old", "old\n"),
                                file("kept", "lower\n"), file("changed", "lower\n")});
  std::string upper = make_tar({file(".wh.gone", ""), file("opaque/.wh..wh..opq", ""), file("opaque/new", "new\n"),
                                file("changed", "upper " + name + "\n")});
  add_image({tar.out, lower, upper}, json{{"Cmd", {"sh"}}}, "layers:1");

  RunResult result = ch10({"run", "--rm", "--network", "none", "layers:1", "sh", "-c",
                           "ls /opaque; cat /kept /changed; test -e /gone || echo no-gone"});
  ASSERT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, "new\nlower\nupper " + name + "\nno-gone\n");
}

TEST_F(RunImage, TheConfigGivesCommandEnvWorkdirAndUser_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  std::string value = unique_name("v");
  add_busybox("cfg", json{{"Entrypoint", {"/bin/sh", "-c"}},
                          {"Cmd", {"echo \"$(id -u):$(id -g) $PWD $VALUE $PATH\""}},
                          {"Env", {"VALUE=" + value, "PATH=/bin:/usr/bin"}},
                          {"WorkingDir", "/tmp"},
                          {"User", "nobody"}});
  RunResult defaults = ch10({"run", "--rm", "--network", "none", "cfg"});
  ASSERT_EQ(defaults.exit_code, 0) << defaults;
  EXPECT_EQ(defaults.out, "65534:65534 /tmp " + value + " /bin:/usr/bin\n");
  // Flags win: -u, -w, -e; a command line replaces Cmd and keeps the Entrypoint.
  RunResult flags = ch10({"run", "--rm", "--network", "none", "-u", "0", "-w", "/etc", "-e", "VALUE=flag", "cfg",
                          "echo $(id -u) $PWD $VALUE"});
  ASSERT_EQ(flags.exit_code, 0) << flags;
  EXPECT_EQ(flags.out, "0 /etc flag\n");
  RunResult entrypoint = ch10({"run", "--rm", "--network", "none", "--entrypoint", "/bin/echo", "cfg", "plain"});
  EXPECT_EQ(entrypoint.out, "plain\n") << entrypoint;
}

TEST_F(RunImage, AStoppedContainerIsKeptWithItsRwLayerUntilRm_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  add_busybox("busybox");
  std::string name = unique_name("kept-");
  std::string mounts = host_mounts() + mounts_under(root);
  RunResult result = ch10({"run", "--network", "none", "--name", name, "busybox", "sh", "-c", "echo x > /new; exit 3"});
  EXPECT_EQ(result.exit_code, 3) << result;
  EXPECT_EQ(host_mounts() + mounts_under(root), mounts);

  RunResult running = ch10({"ps"});
  EXPECT_EQ(running.out, "CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n") << running;
  RunResult all = ch10({"ps", "-a"});
  ASSERT_EQ(all.exit_code, 0) << all;
  std::smatch match;
  ASSERT_TRUE(std::regex_search(all.out, match,
                                std::regex("\n([0-9a-f]{12})   busybox   \"sh -c 'echo x > /ne…\"   .* ago +Exited \\(3\\) "
                                           ".* ago +" + name + "\n")))
      << all;
  std::string id = match[1];
  RunResult formatted = ch10({"ps", "-a", "--format", "table {{.Names}}\\t{{.State}}\\t{{.Command}}"});
  EXPECT_EQ(formatted.out, "NAMES" + std::string(name.size() - 2, ' ') + "STATE     COMMAND\n" + name +
                               "   exited    \"sh -c 'echo x > /ne…\"\n")
      << formatted;
  RunResult quiet = ch10({"ps", "-aq"});
  EXPECT_EQ(quiet.out, id + "\n") << quiet;
  std::string dir;
  for (const auto& entry : std::filesystem::directory_iterator(containers_dir())) dir = entry.path();
  EXPECT_EQ(read_file(dir + "/upper/new"), "x\n");

  // The name is taken until rm.
  RunResult again = ch10({"run", "--network", "none", "--name", name, "busybox", "true"});
  EXPECT_EQ(again.exit_code, 125) << again;
  EXPECT_NE(again.err.find("Conflict. The container name \"/" + name + "\" is already in use by container"),
            std::string::npos)
      << again;
  // Run by its image's id, it shows the short id, as docker's ps does.
  std::string image_id = ch10({"images", "-q", "--no-trunc", "busybox"}).out;
  image_id.pop_back();
  RunResult by_id = ch10({"run", "--network", "none", "--name", name + "-id", image_id, "true"});
  ASSERT_EQ(by_id.exit_code, 0) << by_id;
  RunResult images_column = ch10({"ps", "-a", "--format", "{{.Names}} {{.Image}}"});
  EXPECT_NE(images_column.out.find(name + "-id " + image_id.substr(7, 12) + "\n"), std::string::npos) << images_column;
  ASSERT_EQ(ch10({"rm", name + "-id"}).exit_code, 0);
  // The image too, unless forced.
  RunResult rmi = ch10({"rmi", "busybox"});
  EXPECT_EQ(rmi.exit_code, 1) << rmi;
  EXPECT_NE(rmi.err.find("(must force) - container " + id + " is using its referenced image"), std::string::npos) << rmi;

  RunResult removed = ch10({"rm", name, "no-such-" + name});
  EXPECT_EQ(removed.exit_code, 1) << removed;
  EXPECT_EQ(removed.out, name + "\n");
  EXPECT_NE(removed.err.find("No such container: no-such-" + name), std::string::npos) << removed;
  EXPECT_FALSE(path_exists(dir));
  EXPECT_EQ(ch10({"rmi", "busybox"}).exit_code, 0);
}

TEST_F(RunImage, DiffListsWhatTheContainerAddedChangedAndDeleted_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  add_busybox("busybox");
  std::string name = unique_name("diff-");
  RunResult result = ch10({"run", "--network", "none", "--name", name, "busybox", "sh", "-c",
                           "echo x > /new; echo y >> /etc/passwd; rm /bin/vi; mkdir -p /a/b; touch /a/b/c; "
                           "rm -r /root"});
  ASSERT_EQ(result.exit_code, 0) << result;
  RunResult diff = ch10({"diff", name});
  ASSERT_EQ(diff.exit_code, 0) << diff;
  // Docker's lines, sorted by path; a directory a change was copied up into is changed.
  EXPECT_EQ(diff.out, "A /a\nA /a/b\nA /a/b/c\nC /bin\nD /bin/vi\nC /etc\nC /etc/passwd\nA /new\nD /root\n");
  RunResult missing = ch10({"diff", "no-" + name});
  EXPECT_EQ(missing.exit_code, 1) << missing;
  EXPECT_NE(missing.err.find("No such container: no-" + name), std::string::npos) << missing;
  EXPECT_EQ(ch10({"rm", name}).exit_code, 0);
}

TEST_F(RunImage, CommitMakesTheRwLayerAnImageThatUmociUnpacksTheSame_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  std::string umoci = which("umoci");
  ASSERT_FALSE(umoci.empty()) << "umoci is not installed: run sudo scripts/setup-deps";
  add_busybox("busybox", json{{"Cmd", {"sh"}}, {"Env", {"FROM=image"}}});
  std::string name = unique_name("commit-");
  RunResult result = ch10({"run", "--network", "none", "--name", name, "-e", "ADDED=yes", "busybox", "sh", "-c",
                           "echo " + name + " > /new; echo changed >> /etc/passwd; rm /bin/vi; rm -r /root; "
                           "mkdir /srv; echo kept > /srv/file; ln /srv/file /srv/link"});
  ASSERT_EQ(result.exit_code, 0) << result;
  RunResult committed = ch10({"commit", "-m", "from the test", "-a", "tester", name, "committed:1"});
  ASSERT_EQ(committed.exit_code, 0) << committed;
  ASSERT_TRUE(std::regex_match(committed.out, std::regex("sha256:[0-9a-f]{64}\n"))) << committed;

  // Its containers see the change; its config is the container's (Env with the -e, the command).
  RunResult seen = ch10({"run", "--rm", "--network", "none", "committed:1", "sh", "-c",
                         "cat /new; tail -1 /etc/passwd; test -e /bin/vi || echo no-vi; test -e /root || echo no-root;"
                         " echo $FROM $ADDED"});
  ASSERT_EQ(seen.exit_code, 0) << seen;
  EXPECT_EQ(seen.out, name + "\nchanged\nno-vi\nno-root\nimage yes\n");
  RunResult cmd = ch10({"run", "--rm", "--network", "none", "committed:1"});
  EXPECT_EQ(cmd.out, "") << cmd;  // its Cmd is the container's command: it writes, prints nothing
  EXPECT_EQ(cmd.exit_code, 1) << cmd;  // mkdir /srv: it exists now

  // --change edits the committed config as a Dockerfile instruction would.
  RunResult changed = ch10({"commit", "-c", "CMD [\"cat\", \"/new\"]", "-c", "ENV FROM=change", name, "committed:2"});
  ASSERT_EQ(changed.exit_code, 0) << changed;
  RunResult changed_run = ch10({"run", "--rm", "--network", "none", "committed:2"});
  EXPECT_EQ(changed_run.out, name + "\n") << changed_run;
  RunResult changed_env = ch10({"run", "--rm", "--network", "none", "committed:2", "sh", "-c", "echo $FROM"});
  EXPECT_EQ(changed_env.out, "change\n") << changed_env;

  // The new layer in OCI's form: umoci applies its whiteouts to the same tree.
  std::string bundle = (tmp.path() / "bundle").string();
  RunResult unpacked = run({umoci, "unpack", "--image", root + "/images:docker.io/library/committed:1", bundle});
  ASSERT_EQ(unpacked.exit_code, 0) << unpacked;
  EXPECT_EQ(read_file(bundle + "/rootfs/new"), name + "\n");
  EXPECT_FALSE(path_exists(bundle + "/rootfs/bin/vi"));
  EXPECT_FALSE(path_exists(bundle + "/rootfs/root"));
  EXPECT_TRUE(path_exists(bundle + "/rootfs/bin/sh"));
  struct stat file {}, link {};
  ASSERT_EQ(::stat((bundle + "/rootfs/srv/file").c_str(), &file), 0);
  ASSERT_EQ(::stat((bundle + "/rootfs/srv/link").c_str(), &link), 0);
  EXPECT_EQ(file.st_ino, link.st_ino) << "the hard link stays one";

  // export: the container's whole root, as it sees it.
  RunResult exported = ch10({"export", "-o", (tmp.path() / "export.tar").string(), name});
  ASSERT_EQ(exported.exit_code, 0) << exported;
  RunResult listing = run({"/bin/tar", "-tf", (tmp.path() / "export.tar").string()});
  EXPECT_NE(listing.out.find("\nnew\n"), std::string::npos) << listing;
  EXPECT_NE(listing.out.find("\nbin/sh\n"), std::string::npos) << listing;
  EXPECT_EQ(listing.out.find("bin/vi\n"), std::string::npos) << listing;
  EXPECT_EQ(listing.out.find(".wh."), std::string::npos) << listing;
  EXPECT_EQ(ch10({"rm", name}).exit_code, 0);
}

/// An image of 70 layers: more than one mount(2)'s options hold with absolute paths.
class ManyLayers : public RunImage, public ::testing::WithParamInterface<bool> {};

TEST_P(ManyLayers, AnImageOfMoreLayersThanOneMountsOptionsHoldRuns_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  RunResult tar = run({"/bin/tar", "-C", rootfs(), "-cf", "-", "."});
  ASSERT_EQ(tar.exit_code, 0) << tar;
  std::vector<std::string> layers{tar.out};
  for (int i = 1; i < 70; ++i)
    layers.push_back(make_tar({dir("layers/"), file("layers/" + std::to_string(i), std::to_string(i) + "\n"),
                               file("top", "layer " + std::to_string(i) + "\n")}));
  add_image(layers, json{{"Cmd", {"sh"}}}, "many:1");
  std::vector<std::string> argv = {"-v", "run", "--rm", "--network", "none", "many:1", "sh", "-c",
                                   "cat /top /layers/1 /layers/69; ls /layers | wc -l"};
  // DOCKLING_NO_LOWERDIR_PLUS=1: the short links, also on a kernel that has lowerdir+ (6.8+).
  argv = ch10_argv(argv);
  if (GetParam()) argv.insert(argv.begin(), {"/usr/bin/env", "DOCKLING_NO_LOWERDIR_PLUS=1"});
  RunResult result = run(argv);
  ASSERT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, "layer 69\n1\n69\n69\n");
  // -v names the way it mounted: lowerdir+ wherever the kernel has it (6.8+), unless refused.
  struct utsname names {};
  ASSERT_EQ(::uname(&names), 0);
  int major = 0, minor = 0;
  std::sscanf(names.release, "%d.%d", &major, &minor);
  bool has_lowerdir_plus = major > 6 || (major == 6 && minor >= 8);
  const char* expected = GetParam() || !has_lowerdir_plus ? "(short links)" : "(lowerdir+)";
  EXPECT_NE(result.err.find(expected), std::string::npos) << "kernel " << names.release << ": " << result;
  EXPECT_TRUE(std::filesystem::is_empty(containers_dir()));
  // The links go with the layers.
  EXPECT_EQ(ch10({"rmi", "many:1"}).exit_code, 0);
  EXPECT_TRUE(!path_exists(root + "/layers/l") || std::filesystem::is_empty(root + "/layers/l"));
}

INSTANTIATE_TEST_SUITE_P(RunImage, ManyLayers, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? std::string("ShortLinks") : std::string("Default"); });

TEST_F(RunImage, TheVfsDriverCopiesTheImageAndFindsTheSameChanges_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  add_busybox("busybox");
  std::string name = unique_name("vfs-");
  std::string mounts = host_mounts() + mounts_under(root);
  RunResult result = ch10({"--storage-driver", "vfs", "run", "--network", "none", "--name", name, "busybox", "sh", "-c",
                           "echo x > /new; echo y >> /etc/passwd; rm /bin/vi; rm -r /root; grep ' / ' /proc/mounts"});
  ASSERT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out.find("overlay"), std::string::npos) << "its root is a copy, not an overlay: " << result;
  EXPECT_EQ(host_mounts() + mounts_under(root), mounts);
  RunResult diff = ch10({"diff", name});
  ASSERT_EQ(diff.exit_code, 0) << diff;
  EXPECT_EQ(diff.out, "C /bin\nD /bin/vi\nC /etc/passwd\nA /new\nD /root\n");
  // Its commit runs on overlay like any image.
  ASSERT_EQ(ch10({"commit", name, "from-vfs:1"}).exit_code, 0);
  RunResult seen = ch10({"run", "--rm", "--network", "none", "from-vfs:1", "sh", "-c",
                         "cat /new; tail -1 /etc/passwd; test -e /bin/vi || echo no-vi; test -e /root || echo no-root"});
  EXPECT_EQ(seen.out, "x\ny\nno-vi\nno-root\n") << seen;
  RunResult exported = ch10({"export", "-o", (tmp.path() / "vfs.tar").string(), name});
  ASSERT_EQ(exported.exit_code, 0) << exported;
  EXPECT_NE(run({"/bin/tar", "-tf", (tmp.path() / "vfs.tar").string()}).out.find("\nnew\n"), std::string::npos);
  EXPECT_EQ(ch10({"rm", name}).exit_code, 0);
}

TEST_F(RunImage, AStateRootOnOverlayfsFallsBackToTheVfsDriver_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  // The course run inside a container: the state root itself on overlayfs. All in a mount
  // namespace of its own (unshare), so that tests running beside it never see the mount.
  for (const char* dir : {"lower", "upper", "work", "merged"}) std::filesystem::create_directory(tmp.path() / dir);
  std::string t = tmp.path().string(), ch10 = bin("ch10-images") + " --root " + t + "/merged/root";
  std::string script = "mount -t overlay overlay -o lowerdir=" + t + "/lower,upperdir=" + t + "/upper,workdir=" + t +
                       "/work " + t + "/merged || exit 99\n"
                       "tar -C " + rootfs() + " -c . | " + ch10 + " import - busybox >/dev/null || exit 98\n" +
                       ch10 + " run --rm --network none busybox sh -c 'echo hello > /x; cat /x'\n"
                       "echo \"exit $?\"\n" +
                       ch10 + " --storage-driver overlay run --rm --network none busybox true\n"
                       "echo \"exit $?\"\n"
                       "ls " + t + "/merged/root/containers | wc -l\n";
  RunResult result = run({"/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", script});
  ASSERT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, "hello\nexit 0\nexit 125\n0\n") << result;
  EXPECT_NE(result.err.find("is on overlayfs (are you in a container?)"), std::string::npos) << result;
  // Asked for overlay all the same: said plainly.
  EXPECT_NE(result.err.find("is on overlayfs, where overlay cannot put a rw layer: use --storage-driver vfs"),
            std::string::npos)
      << result;
}

TEST_F(RunImage, RmLeavesNothing_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  add_busybox("busybox");
  std::string mounts = host_mounts() + mounts_under(root);
  RunResult result = ch10({"run", "--rm", "--network", "none", "busybox", "sh", "-c", "echo x > /new"});
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(host_mounts() + mounts_under(root), mounts);
  EXPECT_TRUE(std::filesystem::is_empty(containers_dir()));
  // A start that fails (no such command) leaves nothing either.
  RunResult missing = ch10({"run", "--rm", "--network", "none", "busybox", "no-such-command"});
  EXPECT_EQ(missing.exit_code, 127) << missing;
  EXPECT_TRUE(std::filesystem::is_empty(containers_dir()));
  EXPECT_EQ(host_mounts() + mounts_under(root), mounts);
}

TEST_F(RunImage, AKilledRunIsCleanedUpByTheNextAndRmForceKillsARunningOne_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  add_busybox("busybox");
  std::string mounts = host_mounts() + mounts_under(root);
  std::string name = unique_name("killed-");
  {
    Background runtime(ch10_argv({"run", "--network", "none", "--name", name, "busybox", "sh", "-c",
                                  "echo ready; exec sleep 60"}));
    ASSERT_EQ(runtime.read_line(), "ready");
    // "ready" comes from the command: the run records "running" a moment after its exec.
    RunResult up = ch10({"ps"});
    for (int i = 0; i < 500 && up.out.find(name) == std::string::npos; ++i, up = ch10({"ps"})) ::usleep(10000);
    EXPECT_TRUE(std::regex_search(up.out, std::regex("   Up .*   " + name + "\n"))) << up;
    runtime.signal(SIGKILL);
    runtime.wait();
  }
  // The next run finds the dead one's state: unmounted, and listed as killed.
  for (int i = 0; i < 500 && ch10({"ps", "-q"}).out != ""; ++i) ::usleep(10000);
  RunResult next = ch10({"run", "--rm", "--network", "none", "busybox", "true"});
  EXPECT_EQ(next.exit_code, 0) << next;
  EXPECT_EQ(host_mounts() + mounts_under(root), mounts);
  RunResult all = ch10({"ps", "-a"});
  EXPECT_TRUE(std::regex_search(all.out, std::regex("Exited \\(137\\).*   " + name + "\n"))) << all;
  EXPECT_EQ(ch10({"rm", name}).exit_code, 0);

  // rm -f of a running one: killed, then removed.
  Background runtime(ch10_argv({"run", "--network", "none", "--name", name, "busybox", "sh", "-c",
                                "echo ready; exec sleep 60"}));
  ASSERT_EQ(runtime.read_line(), "ready");
  RunResult refused = ch10({"rm", name});
  EXPECT_EQ(refused.exit_code, 1) << refused;
  EXPECT_NE(refused.err.find("You cannot remove a running container"), std::string::npos) << refused;
  RunResult forced = ch10({"rm", "-f", name});
  EXPECT_EQ(forced.exit_code, 0) << forced;
  EXPECT_EQ(runtime.wait().exit_code, 137);
  EXPECT_TRUE(std::filesystem::is_empty(containers_dir()));
  EXPECT_EQ(host_mounts() + mounts_under(root), mounts);
}

/// The answer to `GET PATH HTTP/1.0` from 127.0.0.1:PORT; "" when nothing answers.
std::string http_get_local(int port, const std::string& path) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  timeval timeout{3, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return "";
  write_all(fd.get(), "GET " + path + " HTTP/1.0\r\n\r\n");
  std::string reply;
  char buffer[4096];
  for (ssize_t n; (n = ::recv(fd.get(), buffer, sizeof buffer, 0)) > 0;) reply.append(buffer, static_cast<size_t>(n));
  return reply;
}

/// `network prune` of a test's own bridge when it goes, also when the test fails.
struct BridgeCleanup {
  std::string root, bridge;
  ~BridgeCleanup() {
    RunResult pruned = run({bin("ch10-images"), "--root", root, "network", "prune", "--bridge", bridge});
    EXPECT_EQ(pruned.exit_code, 0) << pruned;
  }
};

TEST_F(RunImage, PublishAllPutsExposedPortsOnFreeHostPortsThatPsAndPortShow_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  add_busybox("web", json{{"Cmd", {"sh"}}, {"ExposedPorts", {{"80/tcp", json::object()}}}});
  SubnetClaim subnet = claim_subnet();
  BridgeCleanup cleanup{root, unique_name("dl")};
  std::string name = unique_name("web-");
  Background runtime(ch10_argv({"run", "--bridge", cleanup.bridge, "--subnet", subnet.cidr(), "--name", name, "-P",
                                "--expose", "81/udp", "-p", "127.0.0.1:9:91", "web", "sh", "-c",
                                "httpd -f -p 80 -h /etc & echo ready; exec sleep 60"}));
  ASSERT_EQ(runtime.read_line(), "ready");
  RunResult up = ch10({"ps", "--format", "{{.Ports}}"});
  for (int i = 0; i < 500 && up.out.empty(); ++i, up = ch10({"ps", "--format", "{{.Ports}}"})) ::usleep(10000);

  // The image's 80 and --expose's 81/udp on host ports of the ephemeral range; -p's kept.
  RunResult port80 = ch10({"port", name, "80"}), port81 = ch10({"port", name, "81/udp"});
  ASSERT_EQ(port80.exit_code, 0) << port80;
  ASSERT_EQ(port81.exit_code, 0) << port81;
  std::smatch match;
  ASSERT_TRUE(std::regex_match(port80.out, match, std::regex("0\\.0\\.0\\.0:([0-9]+)\n"))) << port80;
  int host80 = std::stoi(match[1]);
  ASSERT_TRUE(std::regex_match(port81.out, match, std::regex("0\\.0\\.0\\.0:([0-9]+)\n"))) << port81;
  int host81 = std::stoi(match[1]);
  unsigned first = 0, last = 0;
  std::istringstream(read_file("/proc/sys/net/ipv4/ip_local_port_range")) >> first >> last;
  for (int port : {host80, host81}) {
    EXPECT_GE(port, static_cast<int>(first));
    EXPECT_LE(port, static_cast<int>(last));
  }
  EXPECT_EQ(up.out, fmt::format("0.0.0.0:{}->80/tcp, 0.0.0.0:{}->81/udp, 127.0.0.1:9->91/tcp\n", host80, host81));
  EXPECT_NE(ch10({"ps"}).out.find(fmt::format("   0.0.0.0:{}->80/tcp, ", host80)), std::string::npos);
  RunResult all = ch10({"port", name});
  EXPECT_EQ(all.out, fmt::format("80/tcp -> 0.0.0.0:{}\n81/udp -> 0.0.0.0:{}\n91/tcp -> 127.0.0.1:9\n", host80, host81))
      << all;
  RunResult none = ch10({"port", name, "82"});
  EXPECT_EQ(none.exit_code, 1) << none;
  EXPECT_NE(none.err.find("No public port '82/tcp' published for " + name), std::string::npos) << none;

  // The chosen host port reaches the container's httpd (it serves the container's /etc).
  std::string page;
  for (int i = 0; i < 100 && page.empty(); ++i) {
    page = http_get_local(host80, "/hostname");
    if (page.empty()) ::usleep(50000);
  }
  std::string id = ch10({"ps", "-q"}).out.substr(0, 12);
  EXPECT_NE(page.find("200 OK"), std::string::npos) << page;
  EXPECT_TRUE(page.ends_with("\r\n\r\n" + id + "\n")) << page;

  // inspect: what -p asked for, what is published, what is exposed.
  RunResult inspected = ch10({"inspect", "-f",
                              "{{json .HostConfig.PortBindings}} {{.HostConfig.PublishAllPorts}} "
                              "{{json .NetworkSettings.Ports}} {{json .Config.ExposedPorts}}",
                              name});
  EXPECT_EQ(inspected.out,
            fmt::format(R"({{"91/tcp":[{{"HostIp":"127.0.0.1","HostPort":"9"}}]}} true )"
                        R"({{"80/tcp":[{{"HostIp":"0.0.0.0","HostPort":"{}"}}],"81/udp":[{{"HostIp":"0.0.0.0","HostPort":"{}"}}],)"
                        R"("91/tcp":[{{"HostIp":"127.0.0.1","HostPort":"9"}}]}} {{"80/tcp":{{}},"81/udp":{{}},"91/tcp":{{}}}})"
                        "\n",
                        host80, host81))
      << inspected;

  // Stopped: no ports any more.
  EXPECT_EQ(ch10({"rm", "-f", name}).exit_code, 0);
  runtime.wait();
  RunResult gone = ch10({"ps", "-a", "--format", "[{{.Ports}}]"});
  EXPECT_EQ(gone.out, "") << gone;
}

TEST_F(RunImage, InspectShowsAContainerInDockersShapeBeforeAnImageOfTheSameName_Exercise) {
  DOCKLING_REQUIRE_ROOT();
  add_busybox("busybox", json{{"Cmd", {"sh"}}, {"Env", {"PATH=/bin", "A=1"}}, {"Labels", {{"team", "x"}}}});
  std::string name = unique_name("insp-");
  RunResult ran = ch10({"run", "--network", "none", "--name", name, "-h", "myhost", "busybox", "sh", "-c", "exit 3"});
  ASSERT_EQ(ran.exit_code, 3) << ran;
  RunResult result = ch10({"inspect", name});
  ASSERT_EQ(result.exit_code, 0) << result;
  nlohmann::ordered_json list = nlohmann::ordered_json::parse(result.out);
  ASSERT_EQ(list.size(), 1u) << result;
  const auto& c = list[0];
  std::vector<std::string> keys;
  for (const auto& [key, value] : c.items()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"Id", "Created", "Path", "Args", "State", "Image", "Name", "RestartCount",
                                            "Driver", "Platform", "HostConfig", "GraphDriver", "Mounts", "Config",
                                            "NetworkSettings"}));
  EXPECT_EQ(c["Mounts"], nlohmann::ordered_json::array()) << "no volume (chapter 13): docker's []";
  std::vector<std::string> state_keys;
  for (const auto& [key, value] : c["State"].items()) state_keys.push_back(key);
  EXPECT_EQ(state_keys, (std::vector<std::string>{"Status", "Running", "Paused", "Restarting", "OOMKilled", "Dead",
                                                  "Pid", "ExitCode", "Error", "StartedAt", "FinishedAt"}));
  std::string id = c["Id"];
  EXPECT_EQ(id.size(), 64u);
  EXPECT_EQ(c["Path"], "sh");
  EXPECT_EQ(c["Args"], nlohmann::ordered_json({"-c", "exit 3"}));
  EXPECT_EQ(c["State"]["Status"], "exited");
  EXPECT_EQ(c["State"]["ExitCode"], 3);
  EXPECT_EQ(c["State"]["Pid"], 0);
  EXPECT_EQ(c["Name"], "/" + name);
  EXPECT_EQ(c["Image"], ImageStore(StateRoot(root)).find("busybox").id);
  EXPECT_EQ(c["GraphDriver"]["Name"], "overlay");
  EXPECT_EQ(c["GraphDriver"]["Data"]["UpperDir"], containers_dir() + "/" + id + "/upper");
  EXPECT_TRUE(c["GraphDriver"]["Data"]["LowerDir"].is_string());
  EXPECT_EQ(c["HostConfig"]["NetworkMode"], "none");
  EXPECT_EQ(c["HostConfig"]["PortBindings"], nlohmann::ordered_json::object());
  EXPECT_EQ(c["Config"]["Hostname"], "myhost");
  EXPECT_EQ(c["Config"]["Cmd"], nlohmann::ordered_json({"sh", "-c", "exit 3"}));
  EXPECT_EQ(c["Config"]["Env"], nlohmann::ordered_json({"PATH=/bin", "A=1"}));
  EXPECT_EQ(c["Config"]["Labels"], nlohmann::ordered_json({{"team", "x"}}));
  EXPECT_EQ(c["Config"]["Image"], "busybox");
  EXPECT_EQ(c["NetworkSettings"]["Ports"], nlohmann::ordered_json::object());

  // --format runs on it; a container comes before an image of the same name, as in docker.
  std::string created = c["Created"];
  EXPECT_EQ(ch10({"inspect", "-f", "{{.State.Status}} {{.State.ExitCode}} {{.Config.Hostname}}", name}).out,
            "exited 3 myhost\n");
  EXPECT_EQ(ch10({"tag", "busybox", name}).exit_code, 0);
  EXPECT_EQ(ch10({"inspect", "-f", "{{.Id}}", name}).out, id + "\n");
  EXPECT_EQ(ch10({"inspect", "--type", "image", "-f", "{{.Id}}", name}).out,
            ImageStore(StateRoot(root)).find("busybox").id + "\n");
  EXPECT_EQ(ch10({"inspect", "--type", "container", "-f", "{{.Created}}", id.substr(0, 8)}).out, created + "\n");
  EXPECT_EQ(ch10({"rm", name}).exit_code, 0);
}

TEST_F(RunImage, AnUnknownImageIsNamedAndExits125) {
  DOCKLING_REQUIRE_ROOT();
  std::string name = unique_name("nosuch-");
  RunResult result = ch10({"run", "--rm", "--network", "none", name});
  EXPECT_EQ(result.exit_code, 125) << result;
  EXPECT_NE(result.err.find("Unable to find image '" + name + ":latest' locally"), std::string::npos) << result;
  // A directory still runs as in chapter 09.
  RunResult rootfs_run = ch10({"run", "--network", "none", rootfs(), "true"});
  EXPECT_EQ(rootfs_run.exit_code, 0) << rootfs_run;
}

}  // namespace
}  // namespace dockling::ch10
