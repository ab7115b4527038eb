/// @file search.hpp
/// @brief `search [REGISTRY/]TERM`: docker's search of a registry's v1 search endpoint
/// (GET /v1/search?q=TERM&n=LIMIT), printed as docker's table or through a Go template.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dockling::ch12 {

/// The flags of `search`.
struct SearchOptions {
  int limit = 25;                                ///< --limit: results asked for, 1 to 100
  bool no_trunc = false;                         ///< --no-trunc: whole descriptions
  std::string format;                            ///< --format: a Go template ("table …" for a table)
  std::vector<std::string> insecure_registries;  ///< HOST[:PORT] spoken to over plain http
  std::string config_dir;                        ///< --config: where config.json keeps logins
};

/// `term` split as docker does: "127.0.0.1:5000/busy" is {"127.0.0.1:5000", "busy"}; a
/// first part that is no host name (no '.', no ':', not localhost) means Docker Hub.
/// @returns {registry domain, the term to send}.
std::pair<std::string, std::string> split_search_term(const std::string& term);

/// The lines `search` prints for the registry's answer `body` ({"results": [{name,
/// description, star_count, is_official, is_automated}]}): docker's table (NAME DESCRIPTION
/// STARS OFFICIAL AUTOMATED, descriptions cut to 45 characters unless `no_trunc`) or `format`.
/// @throws Error for a template that does not parse or render.
std::string format_search_results(const nlohmann::json& body, const SearchOptions& options);

/// `search TERM`: asks the registry and prints the results. @returns the exit code.
/// @throws Error in docker's words ("Limit 0 is outside the range of [1, 100]"), or the
/// registry's refusal.
int search(const std::string& term, const SearchOptions& options);

}  // namespace dockling::ch12
