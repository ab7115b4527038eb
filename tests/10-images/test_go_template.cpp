// The Go template subset of --format: each feature, and each error with Go's own words
// (the expected strings are what docker 20.10 printed for the same template).
#include <gtest/gtest.h>

#include "dockling/error.hpp"
#include "go_template.hpp"

namespace dockling::ch10 {
namespace {

using ojson = nlohmann::ordered_json;

ojson image() {
  return ojson::parse(R"({
    "Id": "sha256:be0b",
    "RepoTags": ["insptest:4", "x:1"],
    "RepoDigests": [],
    "Size": 3,
    "Ratio": 1.5,
    "Config": {"User": "", "Tty": false, "Env": ["a=b c", "x y=1"], "Cmd": null,
               "Labels": {"d": "e", "a b": "c"}, "ExposedPorts": {"80/udp": {}, "100/tcp": {}}},
    "ContainerConfig": {"Env": null},
    "Os": "linux"
  })");
}

std::string render(const std::string& text, const TemplateOptions& options = {}) {
  return render_template(text, image(), options);
}

/// The message of the Error the template throws, with its exit code; "" when none.
std::pair<std::string, int> error_of(const std::string& text, const TemplateOptions& options = {}) {
  try {
    render(text, options);
  } catch (const Error& e) {
    return {e.what(), e.exit_code()};
  }
  return {"", 0};
}

TEST(GoTemplate, FieldsAndDot) {
  EXPECT_EQ(render("id={{.Id}} os={{.Os}}"), "id=sha256:be0b os=linux");
  EXPECT_EQ(render("{{.Config.User}}|{{.Config.Tty}}|{{.Size}}|{{.Ratio}}"), "|false|3|1.5");
  EXPECT_EQ(render_template("{{.}}", ojson("plain")), "plain");
  EXPECT_EQ(render("no template here"), "no template here");
  EXPECT_EQ(render("{{ .Os }}"), "linux");
}

TEST(GoTemplate, PrintsValuesAsGo) {
  EXPECT_EQ(render("{{.Config.Env}}"), "[a=b c x y=1]");
  EXPECT_EQ(render("{{.Config.Labels}}"), "map[a b:c d:e]");  // sorted keys
  EXPECT_EQ(render("{{.Config.ExposedPorts}}"), "map[100/tcp:map[] 80/udp:map[]]");
  EXPECT_EQ(render("{{.RepoDigests}}"), "[]");
  EXPECT_EQ(render("{{.Config.Cmd}}"), "<no value>");  // null
  EXPECT_EQ(render("{{.Nope}}"), "<no value>");        // a missing key
  EXPECT_EQ(go_format(ojson::parse(R"([1, null, true, {"b": [2]}])")), "[1 <nil> true map[b:[2]]]");
  EXPECT_EQ(go_format(ojson(12345678.0)), "12345678");
}

TEST(GoTemplate, Json) {
  EXPECT_EQ(render("{{json .Config.Env}}"), R"(["a=b c","x y=1"])");
  EXPECT_EQ(render("{{json .Config.Labels}}"), R"({"d":"e","a b":"c"})");  // the data's order
  EXPECT_EQ(render("{{json .Config.Cmd}}"), "null");
  EXPECT_EQ(render_template("{{json .}}", ojson{{"a", "<&>"}}), R"({"a":"<&>"})");  // no HTML escaping
}

TEST(GoTemplate, Range) {
  EXPECT_EQ(render("{{range .Config.Env}}[{{.}}]{{end}}"), "[a=b c][x y=1]");
  EXPECT_EQ(render("{{range .Config.Labels}}{{.}};{{end}}"), "c;e;");  // values, by sorted key
  EXPECT_EQ(render("{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}"), "a b=c;d=e;");
  EXPECT_EQ(render("{{range $i, $e := .RepoTags}}{{$i}}:{{$e}} {{end}}"), "0:insptest:4 1:x:1 ");
  EXPECT_EQ(render("{{range .RepoDigests}}x{{else}}none{{end}}"), "none");
  EXPECT_EQ(render("{{range .Config.Cmd}}x{{end}}."), ".");
  EXPECT_EQ(render("{{range .RepoTags}}{{$.Os}} {{end}}"), "linux linux ");
}

TEST(GoTemplate, Index) {
  EXPECT_EQ(render(R"({{index .Config.Labels "d"}})"), "e");
  EXPECT_EQ(render(R"({{index .Config.Labels "a b"}})"), "c");
  EXPECT_EQ(render(R"({{index .Config.Labels "zz"}}.)"), ".");  // docker: a missing label is ""
  EXPECT_EQ(render("{{index .Config.Env 1}}"), "x y=1");
  EXPECT_EQ(render(R"({{index . "Config" "Env" 0}})"), "a=b c");
}

TEST(GoTemplate, IfElseAndWith) {
  EXPECT_EQ(render("{{if .Config.Env}}yes{{else}}no{{end}}"), "yes");
  EXPECT_EQ(render("{{if .ContainerConfig.Env}}yes{{else}}no{{end}}"), "no");
  EXPECT_EQ(render("{{if .Config.Tty}}a{{else if .Size}}b{{else}}c{{end}}"), "b");
  EXPECT_EQ(render("{{if .Config.User}}user{{end}}."), ".");
  EXPECT_EQ(render("{{with .Config}}{{.Env}}{{end}}"), "[a=b c x y=1]");
  EXPECT_EQ(render("{{with .Config.Cmd}}x{{else}}no cmd{{end}}"), "no cmd");
}

TEST(GoTemplate, Functions) {
  EXPECT_EQ(render(R"({{join .Config.Env ","}})"), "a=b c,x y=1");
  EXPECT_EQ(render(R"({{upper .Os}} {{lower "AB"}} {{title "hello world"}})"), "LINUX ab Hello World");
  EXPECT_EQ(render("{{.Os | upper}}"), "LINUX");
  EXPECT_EQ(render(R"({{split "a:b" ":"}})"), "[a b]");
  EXPECT_EQ(render(R"({{len .Config.Env}} {{eq .Os "linux"}} {{ne .Size 3}} {{lt 1 2}} {{not true}})"),
            "2 true false true false");
  EXPECT_EQ(render(R"({{print 1 2 "a" "b" 3}})"), "1 2ab3");
  EXPECT_EQ(render(R"({{println "a" 1}})"), "a 1\n");
  EXPECT_EQ(render(R"({{and .Size .Os}} {{or .Config.User "none"}})"), "linux none");
  EXPECT_EQ(render(R"({{pad .Os 1 2}}|{{truncate .Os 3}})"), " linux  |lin");
  EXPECT_EQ(render(R"({{json (index .Config.Env 0)}})"), R"("a=b c")");
  EXPECT_EQ(render(R"({{printf "%s=%d %q %v%%" .Os .Size .Os .Config.Env}})"), R"(linux=3 "linux" [a=b c x y=1]%)");
  EXPECT_EQ(render(R"({{printf "[%-7s|%7s|%03d|%.2s]" .Os .Os .Size .Os}})"), "[linux  |  linux|003|li]");
  EXPECT_EQ(render(R"({{.Os | printf "%s %s"}})"), "linux %!s(MISSING)");
}

TEST(GoTemplate, VariablesTrimAndComments) {
  EXPECT_EQ(render("{{$os := .Os}}{{$os}}"), "linux");
  EXPECT_EQ(render("a  {{- .Os -}}  b"), "alinuxb");
  EXPECT_EQ(render("{{/* a comment */}}y"), "y");
  EXPECT_EQ(render("{{`raw\\n`}}"), "raw\\n");
  EXPECT_EQ(render(R"({{"quoted\tTAB"}})"), "quoted\tTAB");
}

TEST(GoTemplate, ParseErrorsAreDockersAndExit64) {
  auto parse_error = [](const std::string& message) {
    return std::pair<std::string, int>("template parsing error: template: " + message, 64);
  };
  EXPECT_EQ(error_of("{{.Id"), parse_error(":1: unclosed action"));
  EXPECT_EQ(error_of("line1\n{{.Id"), parse_error(":2: unclosed action"));
  EXPECT_EQ(error_of("{{foo .Id}}"), parse_error(":1: function \"foo\" not defined"));
  EXPECT_EQ(error_of("{{.Id}}{{end}}"), parse_error(":1: unexpected {{end}}"));
  EXPECT_EQ(error_of("a{{else}}"), parse_error(":1: unexpected {{else}}"));
  EXPECT_EQ(error_of("{{if .Id}}x"), parse_error(":1: unexpected EOF"));
  EXPECT_EQ(error_of("{{range .Config.Env}}{{else}}{{else}}{{end}}"), parse_error(":1: expected end; found {{else}}"));
  EXPECT_EQ(error_of("{{}}"), parse_error(":1: missing value for command"));
  EXPECT_EQ(error_of("{{if}}{{end}}"), parse_error(":1: missing value for if"));
  EXPECT_EQ(error_of("{{range}}{{end}}"), parse_error(":1: missing value for range"));
  EXPECT_EQ(error_of("{{.X @}}"), parse_error(":1: unexpected \"@\" in operand"));
  EXPECT_EQ(error_of("{{index .X \"a}}"), parse_error(":1: unterminated quoted string"));
  EXPECT_EQ(error_of("{{$x}}"), parse_error(":1: undefined variable \"$x\""));
  EXPECT_EQ(error_of("{{.Id}"), parse_error(":1: bad character U+007D '}'"));
  EXPECT_EQ(error_of("{{/* x }}"), parse_error(":1: unclosed comment"));
}

TEST(GoTemplate, ExecutionErrorsNameTheNodeAndExit1) {
  auto exec_error = [](const std::string& message) {
    return std::pair<std::string, int>("template parsing error: template: " + message, 1);
  };
  TemplateOptions strict;
  strict.missing_key_error = true;
  EXPECT_EQ(error_of("{{.Nope}}", strict), exec_error(":1:2: executing \"\" at <.Nope>: map has no entry for key \"Nope\""));
  EXPECT_EQ(error_of("{{.Config.Nope.X}}", strict),
            exec_error(":1:9: executing \"\" at <.Config.Nope.X>: map has no entry for key \"Nope\""));
  EXPECT_EQ(error_of("{{.Id.X}}"), exec_error(":1:5: executing \"\" at <.Id.X>: can't evaluate field X in type interface {}"));
  EXPECT_EQ(error_of("{{.ContainerConfig.Env.X}}"),
            exec_error(":1:18: executing \"\" at <.ContainerConfig.Env.X>: nil pointer evaluating interface {}.X"));
  EXPECT_EQ(error_of("{{index .Config.Env 9}}"),
            exec_error(":1:2: executing \"\" at <index .Config.Env 9>: error calling index: index out of range: 9"));
  EXPECT_EQ(error_of("{{index .Config.Labels 1}}"),
            exec_error(":1:2: executing \"\" at <index .Config.Labels 1>: error calling index: value has type int; should be string"));
  EXPECT_EQ(error_of("{{json}}"), exec_error(":1:2: executing \"\" at <json>: wrong number of args for json: want 1 got 0"));
  EXPECT_EQ(error_of("{{upper .Size}}"),
            exec_error(":1:8: executing \"\" at <.Size>: wrong type for value; expected string; got json.Number"));
  EXPECT_EQ(error_of("{{range .Size}}x{{end}}"), exec_error(":1:8: executing \"\" at <.Size>: range can't iterate over 3"));
  EXPECT_EQ(error_of("{{.Config.Env 1}}"), exec_error(":1:9: executing \"\" at <.Config.Env>: Env is not a method but has arguments"));
  EXPECT_EQ(error_of("{{len (index .Config.Env 0 | upper) .Os}}"),
            exec_error(":1:2: executing \"\" at <len>: wrong number of args for len: want 1 got 2"));
  TemplateOptions context;
  context.root_type = "*formatter.imageContext";
  EXPECT_EQ(error_of("{{.Nope}}", context),
            exec_error(":1:2: executing \"\" at <.Nope>: can't evaluate field Nope in type *formatter.imageContext"));
}

TEST(GoTemplate, ParsesOnceRendersMany) {
  Template tmpl("{{.Id}}\n");
  EXPECT_EQ(tmpl.render(ojson{{"Id", "a"}}), "a\n");
  EXPECT_EQ(tmpl.render(ojson{{"Id", "b"}}), "b\n");
}

}  // namespace
}  // namespace dockling::ch10
