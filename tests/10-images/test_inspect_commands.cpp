// inspect, history, import --change and images --format as a user types them. The expected
// output is what docker 20.10 printed for the same commands (docker-peer).
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "dockling/fs.hpp"
#include "dockling/tempdir.hpp"
#include "dockling/testing.hpp"
#include "image_store.hpp"
#include "tar_builder.hpp"

namespace dockling::ch10 {
namespace {

using namespace dockling::testing;
using namespace dockling::ch10::testing;

class InspectCommands : public ::testing::Test {
 protected:
  TempDir tmp{"dockling-ch10-inspect"};
  std::string root = (tmp.path() / "root").string();

  RunResult ch10(std::vector<std::string> args) {
    args.insert(args.begin(), {bin("ch10-images"), "--root", root});
    return run(args, milliseconds(30000));
  }

  /// Stores an image made of the config `config_data` (its layers are not unpacked: no root
  /// needed) named `name`; returns its id.
  std::string craft(const std::string& name, const std::string& config_data) {
    nlohmann::json config = nlohmann::json::parse(config_data);
    ImageStore store{StateRoot(root)};
    UniqueFd held = store.lock();
    Changes changes;
    std::string config_digest = store.put_blob(config_data, "", changes);
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& diff_id : config["rootfs"]["diff_ids"])
      layers.push_back({{"mediaType", "application/vnd.oci.image.layer.v1.tar"}, {"digest", diff_id}, {"size", 1}});
    nlohmann::json manifest{{"schemaVersion", 2},
                            {"mediaType", media_type::kManifest},
                            {"config", {{"mediaType", media_type::kConfig}, {"digest", config_digest}, {"size", config_data.size()}}},
                            {"layers", layers}};
    std::string manifest_data = manifest.dump();
    Descriptor descriptor{media_type::kManifest, store.put_blob(manifest_data, "", changes),
                          static_cast<std::int64_t>(manifest_data.size()),
                          {{kRefNameAnnotation, parse_reference(name).with_default_tag().full()}}};
    std::vector<Descriptor> index = store.read_index();
    index.push_back(descriptor);
    store.write_index(index);
    changes.commit();
    return config_digest;
  }

  /// A built image: two layers, four history entries (two without a layer), one long command.
  std::string craft_built(const std::string& name) {
    return craft(name, nlohmann::json::parse(R"({
      "architecture": "amd64", "os": "linux", "created": "2020-01-02T03:04:05.600Z",
      "config": {"Env": ["PATH=/bin"], "Cmd": ["sh"], "Labels": {"team": "a"}},
      "history": [
        {"created": "2020-01-02T03:04:00Z", "created_by": "/bin/sh -c #(nop) ADD file:0123456789abcdef0123456789abcdef in / "},
        {"created": "2020-01-02T03:04:01Z", "created_by": "/bin/sh -c #(nop)  CMD [\"sh\"]", "empty_layer": true},
        {"created": "2020-01-02T03:04:02Z", "created_by": "/bin/sh -c apk add\tcurl", "comment": "buildkit"},
        {"created": "2020-01-02T03:04:05Z", "created_by": "/bin/sh -c #(nop)  LABEL team=a", "empty_layer": true}
      ],
      "rootfs": {"type": "layers", "diff_ids": ["sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                                                "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"]}
    })").dump());
  }
};

TEST_F(InspectCommands, InspectPrintsDockersJsonIndentedBy4) {
  std::string id = craft_built("app:1");
  RunResult result = ch10({"inspect", "app:1"});
  ASSERT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out.rfind("[\n    {\n        \"Id\": \"" + id + "\",\n        \"RepoTags\": [\n            \"app:1\"\n", 0), 0u)
      << result;
  nlohmann::json list = nlohmann::json::parse(result.out);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["Created"], "2020-01-02T03:04:05.6Z");
  EXPECT_EQ(list[0]["Config"]["Cmd"], nlohmann::json::array({"sh"}));
  EXPECT_EQ(list[0]["Config"]["Hostname"], "");
  EXPECT_TRUE(list[0]["ContainerConfig"]["Env"].is_null());
  EXPECT_EQ(list[0]["RootFS"]["Layers"].size(), 2u);
  EXPECT_EQ(list[0]["GraphDriver"]["Data"]["UpperDir"], root + "/layers/" + std::string(64, 'b'));
  EXPECT_EQ(list[0]["GraphDriver"]["Data"]["LowerDir"], root + "/layers/" + std::string(64, 'a'));
  // By id and by a prefix of it, as every image command.
  EXPECT_EQ(ch10({"inspect", "--type", "image", "-f", "{{.Id}}", id, id.substr(7, 5)}).out, id + "\n" + id + "\n");
}

TEST_F(InspectCommands, InspectFormatsEachFoundOneAndNamesTheMissing) {
  std::string a = craft_built("a:1");
  std::string b = craft_built("b:2");  // the same config: the same id, another manifest name
  RunResult result = ch10({"inspect", "-f", "{{.RepoTags}} {{json .Config.Labels}} {{index .Config.Labels \"team\"}}",
                           "a:1", "nosuch", "b:2"});
  EXPECT_EQ(result.exit_code, 1) << result;
  EXPECT_EQ(result.out, "[a:1 b:2] {\"team\":\"a\"} a\n[a:1 b:2] {\"team\":\"a\"} a\n") << result;
  EXPECT_EQ(result.err, "ch10-images: No such object: nosuch\n") << result;

  RunResult none = ch10({"inspect", "nosuch"});
  EXPECT_EQ(none.exit_code, 1) << none;
  EXPECT_EQ(none.out, "[]\n");
  EXPECT_EQ(none.err, "ch10-images: No such object: nosuch\n");
  RunResult no_image = ch10({"inspect", "--type", "image", "nosuch"});
  EXPECT_EQ(no_image.err, "ch10-images: No such image: nosuch\n");

  RunResult type = ch10({"inspect", "--type", "container", "a:1"});
  EXPECT_EQ(type.exit_code, 1) << type;
  EXPECT_EQ(type.err, "ch10-images: No such container: a:1\n");
  RunResult bad = ch10({"inspect", "--type", "volume", "a:1"});
  EXPECT_EQ(bad.exit_code, 1) << bad;
  EXPECT_EQ(bad.err, "ch10-images: \"volume\" is not a valid value for --type\n");
}

TEST_F(InspectCommands, TemplateErrorsAreDockers) {
  craft_built("app:1");
  RunResult unclosed = ch10({"inspect", "-f", "{{.Id", "app:1"});
  EXPECT_EQ(unclosed.exit_code, 64) << unclosed;  // docker: a template that does not parse is a usage error
  EXPECT_EQ(unclosed.out, "");
  EXPECT_EQ(unclosed.err, "ch10-images: template parsing error: template: :1: unclosed action\n");
  RunResult unknown = ch10({"inspect", "-f", "{{foo .Id}}", "app:1"});
  EXPECT_EQ(unknown.err, "ch10-images: template parsing error: template: :1: function \"foo\" not defined\n");
  RunResult missing = ch10({"inspect", "-f", "{{.Nope}}", "app:1"});
  EXPECT_EQ(missing.exit_code, 1) << missing;
  EXPECT_EQ(missing.err,
            "ch10-images: template parsing error: template: :1:2: executing \"\" at <.Nope>: map has no entry for key \"Nope\"\n");
  RunResult images = ch10({"images", "--format", "{{.Nope}}"});
  EXPECT_EQ(images.exit_code, 1) << images;
  EXPECT_EQ(images.err,
            "ch10-images: template parsing error: template: :1:2: executing \"\" at <.Nope>: can't evaluate field Nope "
            "in type *formatter.imageContext\n");
}

TEST_F(InspectCommands, HistoryAsDockerPrintsIt) {
  std::string id = craft_built("app:1");
  RunResult result = ch10({"history", "app:1"});
  ASSERT_EQ(result.exit_code, 0) << result;
  // CREATED BY: tabs as spaces, cut to 45 characters with "…"; only the newest line has the id.
  EXPECT_TRUE(std::regex_match(
      result.out,
      std::regex("IMAGE          CREATED       CREATED BY                                      SIZE      COMMENT\n" +
                 id.substr(7, 12) +
                 "   [0-9] years ago   /bin/sh -c #\\(nop\\)  LABEL team=a                 0B        \n"
                 "<missing>      [0-9] years ago   /bin/sh -c apk add curl                         0B        buildkit\n"
                 "<missing>      [0-9] years ago   /bin/sh -c #\\(nop\\)  CMD \\[\"sh\"\\]                   0B        \n"
                 "<missing>      [0-9] years ago   /bin/sh -c #\\(nop\\) ADD file:0123456789abcdef0…   0B        \n")))
      << result;

  RunResult quiet = ch10({"history", "-q", "app:1"});
  EXPECT_EQ(quiet.out, id.substr(7, 12) + "\n<missing>\n<missing>\n<missing>\n") << quiet;
  RunResult full = ch10({"history", "--no-trunc", "-q", id.substr(7, 8)});
  EXPECT_EQ(full.out, id + "\n<missing>\n<missing>\n<missing>\n") << full;
  RunResult no_trunc = ch10({"history", "--no-trunc", "app:1"});
  EXPECT_NE(no_trunc.out.find("ADD file:0123456789abcdef0123456789abcdef in / "), std::string::npos) << no_trunc;

  RunResult formatted = ch10({"history", "--format", "{{.ID}}|{{.CreatedAt}}|{{.Size}}|{{.Comment}}", "app:1"});
  EXPECT_TRUE(std::regex_match(formatted.out,
                               std::regex(id.substr(7, 12) + "\\|2020-01-02T0[0-9:]+(Z|[+-][0-9:]+)\\|0B\\|\n"
                                          "(<missing>\\|[^\n]*\n){3}")))
      << formatted;

  RunResult missing = ch10({"history", "nosuch"});
  EXPECT_EQ(missing.exit_code, 1) << missing;
  EXPECT_EQ(missing.err, "ch10-images: No such image: nosuch:latest\n");
}

TEST_F(InspectCommands, ImagesFormat) {
  std::string id = craft_built("app:1");
  RunResult result = ch10({"images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}} {{.CreatedSince}}"});
  ASSERT_EQ(result.exit_code, 0) << result;
  EXPECT_TRUE(std::regex_match(result.out, std::regex("app:1 " + id.substr(7, 12) + " 0B [0-9]+ years ago\n"))) << result;
  RunResult json = ch10({"images", "--no-trunc", "--format", "{{json .}}"});
  nlohmann::json row = nlohmann::json::parse(json.out);
  EXPECT_EQ(row["ID"], id);
  EXPECT_TRUE(std::regex_match(row["Digest"].get<std::string>(), std::regex("sha256:[0-9a-f]{64}")));
  EXPECT_EQ(row["Containers"], "N/A");
  EXPECT_TRUE(std::regex_match(row["CreatedAt"].get<std::string>(), std::regex("2020-01-0[1-3] [0-9:]+ [+-][0-9]{4} .+")))
      << json;
  // -q wins over --format, as docker's.
  EXPECT_EQ(ch10({"images", "-q", "--format", "{{.Tag}}"}).out, id.substr(7, 12) + "\n");
}

// The config docker 20.10's classic builder wrote for
//   FROM <busybox imported>; RUN echo hi > /x && echo "a long …" > /y; ENV A=b; LABEL team=a; CMD ["sh"]
// (docker save), and what docker printed for it.
constexpr const char* kDockerBuiltConfig = R"json({"architecture":"amd64","config":{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","A=b"],"Cmd":["sh"],"Image":"sha256:6421866d80bd2468a1d67b7171da2bccbd085260eecdbaa655547bfd5cab8dc7","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{"team":"a"}},"container":"02c0c64c271c68f1545ede07f94b2d7c3b45c0550545c24fc8b8b8260f1bcc01","container_config":{"Hostname":"02c0c64c271c","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","A=b"],"Cmd":["/bin/sh","-c","#(nop) ","CMD [\"sh\"]"],"Image":"sha256:6421866d80bd2468a1d67b7171da2bccbd085260eecdbaa655547bfd5cab8dc7","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{"team":"a"}},"created":"2026-11-30T11:34:03.439470046Z","docker_version":"20.10.24+dfsg1","history":[{"created":"2026-11-30T11:34:01.09350816Z","comment":"Imported from -"},{"created":"2026-11-30T11:34:02.580706152Z","created_by":"/bin/sh -c echo hi \u003e /x \u0026\u0026 echo \"a long command line that goes on and on and on\" \u003e /y"},{"created":"2026-11-30T11:34:02.872904941Z","created_by":"/bin/sh -c #(nop)  ENV A=b","empty_layer":true},{"created":"2026-11-30T11:34:03.163945563Z","created_by":"/bin/sh -c #(nop)  LABEL team=a","empty_layer":true},{"created":"2026-11-30T11:34:03.439470046Z","created_by":"/bin/sh -c #(nop)  CMD [\"sh\"]","empty_layer":true}],"os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:8c1c75e6cfb31b84f2abd3f2f7b6faecbc09cc9e898cdffb66be4a6416c26ace","sha256:eb1e297583caad2b641857d5231c39bb30b06dfa154a82a04f65da2afd85386e"]}})json";

TEST_F(InspectCommands, ADockerBuiltImageInspectsAsInDocker) {
  std::string id = craft("builtinsp:1", kDockerBuiltConfig);  // the same bytes: the same id
  EXPECT_EQ(id, "sha256:2ce21d23d60e1d18eb3db4d6b52e203537b5c8059e9d5a0ed747c87bcba4ea29");
  RunResult config = ch10({"inspect", "-f", "{{json .ContainerConfig}}", "builtinsp:1"});
  EXPECT_EQ(config.out,
            R"({"Hostname":"02c0c64c271c","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,)"
            R"("AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,)"
            R"("Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","A=b"],)"
            R"("Cmd":["/bin/sh","-c","#(nop) ","CMD [\"sh\"]"],)"
            R"("Image":"sha256:6421866d80bd2468a1d67b7171da2bccbd085260eecdbaa655547bfd5cab8dc7","Volumes":null,)"
            R"("WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{"team":"a"}})"
            "\n")
      << config;
  RunResult fields = ch10({"inspect", "-f", "{{.Container}}|{{.DockerVersion}}|{{.Created}}|{{len .RootFS.Layers}}", id});
  EXPECT_EQ(fields.out,
            "02c0c64c271c68f1545ede07f94b2d7c3b45c0550545c24fc8b8b8260f1bcc01|20.10.24+dfsg1|2026-11-30T11:34:03.439470046Z|2\n")
      << fields;
  RunResult history = ch10({"history", "--format", "{{.CreatedBy}}|{{.Comment}}", "builtinsp:1"});
  EXPECT_EQ(history.out,
            "/bin/sh -c #(nop)  CMD [\"sh\"]|\n"
            "/bin/sh -c #(nop)  LABEL team=a|\n"
            "/bin/sh -c #(nop)  ENV A=b|\n"
            "/bin/sh -c echo hi > /x && echo \"a long comm…|\n"
            "|Imported from -\n")
      << history;
}

TEST_F(InspectCommands, ImportChangesTheConfig) {
  DOCKLING_REQUIRE_ROOT();
  std::string tarball = (tmp.path() / "rootfs.tar").string();
  write_file(tarball, make_tar({file("hello", "hi\n")}));
  RunResult imported = ch10({"import", "-c", "CMD echo hi", "--change", "ENV a=b", "-c", "WORKDIR /w", "-c",
                             "ENTRYPOINT [\"/bin/sh\"]", "-c", "EXPOSE 80", "-c", "LABEL x=y", "-c", "VOLUME /data",
                             "-c", "USER nobody", tarball, "changed:1"});
  ASSERT_EQ(imported.exit_code, 0) << imported;
  RunResult config = ch10({"inspect", "-f", "{{json .Config}}", "changed:1"});
  EXPECT_EQ(config.out,
            R"({"Hostname":"","Domainname":"","User":"nobody","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,)"
            R"("ExposedPorts":{"80/tcp":{}},"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":["a=b"],)"
            R"("Cmd":["/bin/sh","-c","echo hi"],"Image":"","Volumes":{"/data":{}},"WorkingDir":"/w",)"
            R"("Entrypoint":["/bin/sh"],"OnBuild":null,"Labels":{"x":"y"}})"
            "\n")
      << config;
  RunResult history = ch10({"history", "--format", "{{.Comment}}|{{.Size}}", "changed:1"});
  EXPECT_EQ(history.out, "Imported from -|3B\n") << history;

  RunResult refused = ch10({"import", "-c", "STOPSIGNAL SIGTERM", tarball, "refused"});
  EXPECT_EQ(refused.exit_code, 1) << refused;
  EXPECT_EQ(refused.err, "ch10-images: stopsignal is not a valid change command\n");
  EXPECT_EQ(ch10({"images", "-q", "refused"}).out, "");
}

}  // namespace
}  // namespace dockling::ch10
