#include "server_auth.hpp"

#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dockling/fs.hpp"
#include "dockling/text.hpp"
#include "registry_base64.hpp"
#include "registry_errors.hpp"

namespace dockling::ch12 {

namespace {

/// 32 random bytes: a key that lives as long as the server (its tokens die with it).
std::string random_key() {
  std::string key(32, '\0');
  std::size_t got = 0;
  while (got < key.size()) {
    ssize_t n = getrandom(key.data() + got, key.size() - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_sys("getrandom", "token key");
    got += static_cast<std::size_t>(n);
  }
  return key;
}

/// Every value of query parameter `name` (a client may send `scope` several times), decoded;
/// '+' is a space there, as in a form.
std::vector<std::string> query_values(const std::string& query, std::string_view name) {
  std::vector<std::string> values;
  for (std::size_t at = 0; at <= query.size();) {
    std::size_t amp = std::min(query.find('&', at), query.size());
    std::string_view pair = std::string_view(query).substr(at, amp - at);
    at = amp + 1;
    std::size_t equals = pair.find('=');
    if (pair.substr(0, equals) != name || equals == std::string_view::npos) continue;
    std::string raw(pair.substr(equals + 1));
    std::replace(raw.begin(), raw.end(), '+', ' ');
    if (std::optional<std::string> value = http::percent_decode(raw)) values.push_back(*value);
  }
  return values;
}

/// The scopes of the query's `scope` parameters (each may hold several, space-separated).
std::vector<ResourceAccess> requested_scopes(const http::Request& request) {
  std::vector<ResourceAccess> scopes;
  for (const std::string& value : query_values(request.query, "scope"))
    for (std::size_t at = 0; at <= value.size();) {
      std::size_t space = std::min(value.find(' ', at), value.size());
      if (std::optional<ResourceAccess> scope = parse_scope(std::string_view(value).substr(at, space - at)))
        scopes.push_back(*scope);
      at = space + 1;
    }
  return scopes;
}

std::string rfc3339(std::int64_t seconds) {
  std::time_t time = static_cast<std::time_t>(seconds);
  std::tm utc{};
  gmtime_r(&time, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::int64_t now_seconds() { return static_cast<std::int64_t>(std::time(nullptr)); }

/// The credentials of an "Authorization: Basic BASE64(user:password)" header.
std::optional<std::pair<std::string, std::string>> basic_credentials(const http::Request& request) {
  std::optional<std::string> header = request.headers.get("Authorization");
  if (!header || header->size() < 6 || ascii_lower(std::string_view(*header).substr(0, 6)) != "basic ") return std::nullopt;
  std::optional<std::string> decoded = decode_base64(std::string_view(*header).substr(6));
  if (!decoded) return std::nullopt;
  std::size_t colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return std::pair(decoded->substr(0, colon), decoded->substr(colon + 1));
}

}  // namespace

ServerAuth::ServerAuth(const AuthOptions& options, Log log)
    : options_(options),
      users_(options.htpasswd),
      read_only_(options.read_only_users.begin(), options.read_only_users.end()),
      log_(std::move(log)) {
  if (!options.token_issuer) return;
  if (options.token_key.empty()) {
    signer_.emplace(random_key(), options.service);
    return;
  }
  std::string key = read_file(options.token_key.string());
  if (key.size() < 32)
    throw Error(fmt::format("--token-key {}: {} bytes; a key needs 32 at least", options.token_key.string(), key.size()), 1);
  signer_.emplace(std::move(key), options.service);
}

bool ServerAuth::may(const std::string& user, const ResourceAccess& access) const {
  ResourceAccess granted = permitted(user, access);
  return std::all_of(access.actions.begin(), access.actions.end(), [&](const std::string& a) { return granted.allows(a); });
}

ResourceAccess ServerAuth::permitted(const std::string& user, const ResourceAccess& wanted) const {
  ResourceAccess granted{wanted.type, wanted.name, {}};
  std::vector<std::string> allowed;
  if (wanted.type == "repository")
    allowed = read_only_.contains(user) ? std::vector<std::string>{"pull"} : std::vector<std::string>{"pull", "push", "delete"};
  else if (wanted.type == "registry" && wanted.name == "catalog")
    allowed = {"*"};
  for (const std::string& action : wanted.actions)
    if (std::find(allowed.begin(), allowed.end(), action) != allowed.end()) granted.actions.push_back(action);
  return granted;
}

std::optional<std::string> ServerAuth::basic_user(const http::Request& request) const {
  auto credentials = basic_credentials(request);
  if (!credentials) return std::nullopt;
  if (!users_.verify(credentials->first, credentials->second)) {
    log_(fmt::format("{} auth: wrong password for user \"{}\" ({} {})", request.peer, credentials->first, request.method,
                     request.target));
    return std::nullopt;
  }
  return credentials->first;
}

void ServerAuth::challenge(const http::Request& request, const std::vector<ResourceAccess>& needed,
                             const std::string& message, const std::string& error) const {
  nlohmann::json detail = nlohmann::json::array();
  for (const ResourceAccess& access : needed)
    for (const std::string& action : access.actions)
      detail.push_back({{"Type", access.type}, {"Name", access.name}, {"Action", action}});
  ApiError refusal("UNAUTHORIZED", message, detail.empty() ? nlohmann::json(nullptr) : detail);
  if (!signer_) {
    refusal.headers.add("WWW-Authenticate", fmt::format("Basic realm=\"{}\"", options_.service));
    throw refusal;
  }
  // The realm is where this client reached us (its Host), so it is an address it can use.
  std::string host = request.headers.get("Host").value_or("127.0.0.1");
  std::string value = fmt::format("Bearer realm=\"http://{}/token\",service=\"{}\"", host, options_.service);
  std::string scopes;
  for (const ResourceAccess& access : needed) scopes += (scopes.empty() ? "" : " ") + access.scope();
  if (!scopes.empty()) value += fmt::format(",scope=\"{}\"", scopes);
  if (!error.empty()) value += fmt::format(",error=\"{}\"", error);
  refusal.headers.add("WWW-Authenticate", value);
  throw refusal;
}

Grant ServerAuth::authorize(const http::Request& request, const std::vector<ResourceAccess>& needed) const {
  auto denied = [&](const std::string& user) {
    log_(fmt::format("{} auth: user \"{}\" denied {} {}", request.peer, user, request.method, request.target));
    return ApiError("DENIED", "requested access to the resource is denied");
  };
  if (!signer_) {
    std::optional<std::string> user = basic_user(request);
    if (!user) challenge(request, needed, "authentication required");
    for (const ResourceAccess& access : needed)
      if (!may(*user, access)) throw denied(*user);
    return Grant(*user, [this, user = *user](const ResourceAccess& access) { return may(user, access); });
  }

  std::optional<std::string> header = request.headers.get("Authorization");
  if (!header || header->size() < 7 || ascii_lower(std::string_view(*header).substr(0, 7)) != "bearer ")
    challenge(request, needed, "authentication required");
  TokenClaims claims;
  try {
    claims = signer_->verify(std::string_view(*header).substr(7), options_.service, now_seconds());
  } catch (const TokenRefused& refused) {
    log_(fmt::format("{} auth: bearer token refused ({} {}): {}", request.peer, request.method, request.target,
                     refused.what()));
    challenge(request, needed, "invalid token", "invalid_token");
  }
  auto token_allows = [access = claims.access](const ResourceAccess& wanted) {
    for (const std::string& action : wanted.actions) {
      bool covered = std::any_of(access.begin(), access.end(), [&](const ResourceAccess& entry) {
        return entry.type == wanted.type && entry.name == wanted.name && entry.allows(action);
      });
      if (!covered) return false;
    }
    return true;
  };
  for (const ResourceAccess& access : needed) {
    if (token_allows(access)) continue;
    // A user who could have this scope asks again; one who never could is told so.
    if (users_.has_user(claims.subject) && may(claims.subject, access))
      challenge(request, needed, "the token does not cover this request", "insufficient_scope");
    throw denied(claims.subject);
  }
  return Grant(claims.subject, token_allows);
}

http::Response ServerAuth::issue_token(const http::Request& request) const {
  if (request.method != "GET") throw ApiError("UNSUPPORTED", "method " + request.method + " not allowed on /token");
  std::optional<std::string> user = basic_user(request);
  if (!user) {
    ApiError refusal("UNAUTHORIZED", "a token needs the user's Basic credentials");
    refusal.headers.add("WWW-Authenticate", fmt::format("Basic realm=\"{}\"", options_.service));
    throw refusal;
  }
  std::optional<std::string> service = request.query_param("service");
  if (service && *service != options_.service)
    throw ApiError(400, {{"UNSUPPORTED", "this server issues tokens for service \"" + options_.service + "\"", *service}});

  TokenClaims claims{*user, options_.service, now_seconds(), now_seconds() + options_.token_ttl, {}};
  for (const ResourceAccess& wanted : requested_scopes(request)) {
    ResourceAccess granted = permitted(*user, wanted);
    if (!granted.actions.empty()) claims.access.push_back(std::move(granted));
  }
  std::string token = signer_->sign(claims);
  nlohmann::json body{{"token", token},
                      {"access_token", token},
                      {"expires_in", options_.token_ttl},
                      {"issued_at", rfc3339(claims.issued_at)}};
  return http::Response::text(200, body.dump() + "\n", "application/json; charset=utf-8");
}

}  // namespace dockling::ch12
