#include "registry_token.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "dockling/fs.hpp"
#include "hmac_sha256.hpp"
#include "registry_base64.hpp"

namespace dockling::ch12 {

bool ResourceAccess::allows(std::string_view action) const {
  return std::any_of(actions.begin(), actions.end(), [&](const std::string& a) { return a == action || a == "*"; });
}

std::string ResourceAccess::scope() const {
  std::string text = type + ":" + name + ":";
  for (std::size_t i = 0; i < actions.size(); ++i) text += (i ? "," : "") + actions[i];
  return text;
}

std::optional<ResourceAccess> parse_scope(std::string_view scope) {
  std::size_t first = scope.find(':');
  std::size_t last = scope.rfind(':');
  if (first == std::string_view::npos || first == last || first == 0 || last == first + 1) return std::nullopt;
  ResourceAccess access{std::string(scope.substr(0, first)), std::string(scope.substr(first + 1, last - first - 1)), {}};
  std::string_view actions = scope.substr(last + 1);
  for (std::size_t at = 0; at <= actions.size();) {
    std::size_t comma = std::min(actions.find(',', at), actions.size());
    if (comma > at) access.actions.emplace_back(actions.substr(at, comma - at));
    at = comma + 1;
  }
  return access;
}

TokenSigner::TokenSigner(std::string key, std::string issuer) : key_(std::move(key)), issuer_(std::move(issuer)) {
  if (key_.size() < 32) throw Error("a token key needs at least 32 bytes", 1);
}

std::string TokenSigner::sign(const TokenClaims& claims) const {
  nlohmann::json access = nlohmann::json::array();
  for (const ResourceAccess& entry : claims.access)
    access.push_back({{"type", entry.type}, {"name", entry.name}, {"actions", entry.actions}});
  nlohmann::json body{{"iss", issuer_},          {"sub", claims.subject},     {"aud", claims.audience},
                      {"iat", claims.issued_at}, {"nbf", claims.issued_at},   {"exp", claims.expires_at},
                      {"jti", random_hex(16)},   {"access", access}};
  std::string signed_part = encode_base64(R"({"alg":"HS256","typ":"JWT"})", Base64::url) + "." +
                            encode_base64(body.dump(), Base64::url);
  return signed_part + "." + encode_base64(hmac_sha256(key_, signed_part), Base64::url);
}

TokenClaims TokenSigner::verify(std::string_view token, std::string_view audience, std::int64_t now) const {
  std::size_t first = token.find('.');
  std::size_t last = token.rfind('.');
  if (first == std::string_view::npos || first == last) throw TokenRefused("not a JSON web token (three parts)");
  std::optional<std::string> signature = decode_base64(token.substr(last + 1), Base64::url);
  // The signature first: nothing of a token we did not sign is read.
  if (!signature || !equal_in_constant_time(*signature, hmac_sha256(key_, token.substr(0, last))))
    throw TokenRefused("the signature does not match");
  std::optional<std::string> header = decode_base64(token.substr(0, first), Base64::url);
  std::optional<std::string> payload = decode_base64(token.substr(first + 1, last - first - 1), Base64::url);
  nlohmann::json head = nlohmann::json::parse(header.value_or(""), nullptr, false);
  nlohmann::json body = nlohmann::json::parse(payload.value_or(""), nullptr, false);
  if (!head.is_object() || !body.is_object()) throw TokenRefused("its header or claims are not JSON objects");
  if (head.value("alg", "") != "HS256") throw TokenRefused("its algorithm is not HS256");
  try {
    if (body.at("iss").get<std::string>() != issuer_) throw TokenRefused("issued by someone else");
    if (body.at("aud").get<std::string>() != audience) throw TokenRefused("issued for another service");
    TokenClaims claims;
    claims.subject = body.at("sub").get<std::string>();
    claims.audience = std::string(audience);
    claims.issued_at = body.at("iat").get<std::int64_t>();
    claims.expires_at = body.at("exp").get<std::int64_t>();
    if (now >= claims.expires_at) throw TokenRefused("expired " + std::to_string(now - claims.expires_at) + " s ago");
    if (now < body.at("nbf").get<std::int64_t>()) throw TokenRefused("not valid yet");
    for (const auto& entry : body.at("access"))
      claims.access.push_back({entry.at("type").get<std::string>(), entry.at("name").get<std::string>(),
                               entry.at("actions").get<std::vector<std::string>>()});
    return claims;
  } catch (const nlohmann::json::exception& e) {
    throw TokenRefused(std::string("malformed claims: ") + e.what());
  }
}

}  // namespace dockling::ch12
