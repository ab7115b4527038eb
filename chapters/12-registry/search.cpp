// `search`: GET /v1/search on the registry the term names, the answer as docker prints it.
#include "search.hpp"

#include <iostream>

#include <fmt/format.h>

#include "credential_store.hpp"
#include "dockling/error.hpp"
#include "go_template.hpp"
#include "images_step.hpp"
#include "reference.hpp"
#include "registry_client.hpp"
#include "registry_url.hpp"

namespace dockling::ch12 {

namespace {

/// docker's default: "table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}\t{{.IsAutomated}}".
const char* const kDefaultFormat = "{{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}\t{{.IsAutomated}}";
/// How many characters of a description the table shows (then "…").
constexpr std::size_t kDescriptionWidth = 45;

/// `text` cut to `width` UTF-8 characters, the last one "…", as docker's Ellipsis does.
std::string ellipsis(const std::string& text, std::size_t width) {
  std::vector<std::size_t> starts;  // where each character begins
  for (std::size_t i = 0; i < text.size(); ++i)
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) starts.push_back(i);
  if (starts.size() <= width) return text;
  return text.substr(0, starts[width - 1]) + "…";
}

std::string string_field(const nlohmann::json& result, const char* name) {
  return result.contains(name) && result[name].is_string() ? result[name].get<std::string>() : "";
}

/// One result as docker's formatter context shows it: every field a string.
nlohmann::ordered_json search_context(const nlohmann::json& result, bool no_trunc) {
  std::string description = string_field(result, "description");
  for (char& c : description)
    if (c == '\n' || c == '\r') c = ' ';
  if (!no_trunc) description = ellipsis(description, kDescriptionWidth);
  auto flag = [&](const char* name) { return result.value(name, false) == true ? "[OK]" : ""; };
  std::int64_t stars = result.contains("star_count") && result["star_count"].is_number_integer()
                           ? result["star_count"].get<std::int64_t>()
                           : 0;
  return {{"Name", string_field(result, "name")},
          {"Description", description},
          {"StarCount", std::to_string(stars)},
          {"IsOfficial", flag("is_official")},
          {"IsAutomated", flag("is_automated")}};
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size()) text.replace(at, from.size(), to);
  return text;
}

std::string trim_spaces(const std::string& text) {
  std::size_t first = text.find_first_not_of(' ');
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(' ') - first + 1);
}

bool is_host(const std::string& part) {
  return part.find_first_of(".:") != std::string::npos || part == "localhost";
}

}  // namespace

std::pair<std::string, std::string> split_search_term(const std::string& term) {
  std::size_t slash = term.find('/');
  if (slash != std::string::npos && is_host(term.substr(0, slash))) return {term.substr(0, slash), term.substr(slash + 1)};
  return {"docker.io", term};
}

std::string format_search_results(const nlohmann::json& body, const SearchOptions& options) {
  // docker: a format that starts with "table" is a table, its header the template rendered
  // with the column names; another is one rendered line per result.
  // Like docker's, a format may spell tabs and newlines \t and \n.
  std::string format = options.format;
  bool table = format.empty() || format.starts_with("table");
  if (table) format = format.substr(std::min<std::size_t>(format.size(), 5));
  format = replace_all(replace_all(trim_spaces(format), "\\t", "\t"), "\\n", "\n");
  if (format.empty()) format = kDefaultFormat;
  ch10::Template tmpl(format, ch10::TemplateOptions{false, "*formatter.searchContext"});
  std::vector<std::string> lines;
  if (table)
    lines.push_back(tmpl.render(nlohmann::ordered_json{{"Name", "NAME"},
                                                       {"Description", "DESCRIPTION"},
                                                       {"StarCount", "STARS"},
                                                       {"IsOfficial", "OFFICIAL"},
                                                       {"IsAutomated", "AUTOMATED"}}));
  if (body.is_object() && body.contains("results") && body["results"].is_array())
    for (const auto& result : body["results"])
      if (result.is_object()) lines.push_back(tmpl.render(search_context(result, options.no_trunc)));
  std::string text;
  if (!table) {
    for (const auto& line : lines) text += line + "\n";
    return text;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& line : lines) {
    std::vector<std::string> cells;
    std::size_t start = 0;
    for (std::size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1)
      cells.push_back(line.substr(start, tab - start));
    cells.push_back(line.substr(start));
    rows.push_back(std::move(cells));
  }
  return ch10::format_table(rows);
}

int search(const std::string& term, const SearchOptions& options) {
  if (options.limit < 1 || options.limit > 100)
    throw Error(fmt::format("Limit {} is outside the range of [1, 100]", options.limit), 1);
  auto [domain, query] = split_search_term(term);
  ch10::Reference where{domain, "library/search", "", ""};  // only its registry is used
  RegistryRepository repository = registry_repository(where, options.insecure_registries);
  // Docker Hub's search is on its index, not on its registry's host.
  if (domain == "docker.io") repository.base_url = "https://index.docker.io";
  RegistryClient client(repository, CredentialStore(config_dir(options.config_dir)).find(domain));
  nlohmann::json body = client.search(query, options.limit);
  std::cout << format_search_results(body, options) << std::flush;
  return 0;
}

}  // namespace dockling::ch12
