/// @file go_template.hpp
/// @brief A subset of Go's text/template, the language of docker's `--format`: `{{.Config.Env}}`,
/// `{{json .}}`, `{{range .RootFS.Layers}}{{.}} {{end}}`, `{{index .Config.Labels "a"}}`,
/// `{{if .X}}…{{else}}…{{end}}`, `{{join .X ","}}`, pipes (`{{.Os | upper}}`).
///
/// The data is JSON, as docker's inspect falls back to when its typed structs do not fit: an
/// object is Go's `map[string]interface{}`, so values print as Go prints them (`[a b]`,
/// `map[k:v]`, `<no value>` for a missing key). Used by `inspect`, `history` and `images`
/// here, by `ps --format` and the engine later.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace dockling::ch10 {

/// How a template reads its data.
struct TemplateOptions {
  /// A missing key is an error ("map has no entry for key") instead of `<no value>`: docker's
  /// inspect runs its templates with Go's `missingkey=error`.
  bool missing_key_error = false;
  /// When set, a missing field of the data itself is "can't evaluate field X in type ROOT"
  /// (docker's formatter contexts are structs: `*formatter.imageContext`).
  std::string root_type;
};

/// A parsed template: parse once, render it for each object.
class Template {
 public:
  /// Parses `text`.
  /// @throws Error (exit code 64, as docker's) "template parsing error: template: :1: unclosed action".
  explicit Template(const std::string& text, TemplateOptions options = {});
  ~Template();
  /// Moves the parsed template.
  Template(Template&&) noexcept;
  /// Moves the parsed template.
  Template& operator=(Template&&) noexcept;

  /// Renders the template with `data` as `.` and `$`.
  /// @throws Error (exit code 1) "template parsing error: template: :1:2: executing "" at
  /// <.Nope>: map has no entry for key "Nope"", docker's words for a failed execution.
  std::string render(const nlohmann::ordered_json& data) const;

 private:
  struct Parsed;
  std::unique_ptr<Parsed> parsed_;
  TemplateOptions options_;
};

/// Parses `text` and renders it once with `data` (keys in the order the data has them:
/// that is the order `{{json .}}` prints).
std::string render_template(const std::string& text, const nlohmann::ordered_json& data,
                            const TemplateOptions& options = {});
/// The same for data with sorted keys.
std::string render_template(const std::string& text, const nlohmann::json& data, const TemplateOptions& options = {});

/// A value as Go's fmt prints it with %v: strings raw, integral numbers as integers, `[a b]`,
/// `map[k:v]` (sorted keys), `<nil>` for null.
std::string go_format(const nlohmann::ordered_json& value);

}  // namespace dockling::ch10
