#include "reference.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

#include <fmt/format.h>

#include "dockling/error.hpp"
#include "dockling/text.hpp"

namespace dockling::ch10 {

namespace {

constexpr size_t kNameTotalLengthMax = 255;

[[noreturn]] void invalid(std::string_view detail = {}) {
  if (detail.empty()) throw Error("invalid reference format", 1);
  throw Error(fmt::format("invalid reference format: {}", detail), 1);
}

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool is_word(char c) { return is_alnum(c) || c == '_'; }
bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// path-component: [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)*
bool is_path_component(std::string_view part) {
  if (part.empty() || !is_lower_alnum(part.front()) || !is_lower_alnum(part.back())) return false;
  size_t i = 0;
  while (i < part.size()) {
    if (is_lower_alnum(part[i])) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < part.size() && !is_lower_alnum(part[end])) ++end;
    std::string_view separator = part.substr(i, end - i);
    bool dashes = std::all_of(separator.begin(), separator.end(), [](char c) { return c == '-'; });
    if (!(separator == "." || separator == "_" || separator == "__" || dashes)) return false;
    i = end;
  }
  return true;
}

// domain-component: [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool is_domain_component(std::string_view part) {
  if (part.empty() || !is_alnum(part.front()) || !is_alnum(part.back())) return false;
  return std::all_of(part.begin(), part.end(), [](char c) { return is_alnum(c) || c == '-'; });
}

// domain: domain-component ('.' domain-component)* (':' [0-9]+)?
bool is_domain(std::string_view domain) {
  size_t colon = domain.find(':');
  if (colon != std::string_view::npos) {
    std::string_view port = domain.substr(colon + 1);
    if (port.empty() || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return false;
    domain = domain.substr(0, colon);
  }
  size_t start = 0;
  while (true) {
    size_t dot = domain.find('.', start);
    if (!is_domain_component(domain.substr(start, dot == std::string_view::npos ? dot : dot - start))) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// tag: [\w][\w.-]{0,127}
bool is_tag(std::string_view tag) {
  if (tag.empty() || tag.size() > 128 || !is_word(tag.front())) return false;
  return std::all_of(tag.begin(), tag.end(), [](char c) { return is_word(c) || c == '.' || c == '-'; });
}

// The shape the reference grammar gives a digest: algorithm ':' [0-9a-fA-F]{32,}, where
// algorithm is [A-Za-z][A-Za-z0-9]* ([-_+.][A-Za-z][A-Za-z0-9]*)*.
bool looks_like_digest(std::string_view digest) {
  size_t colon = digest.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view algorithm = digest.substr(0, colon), hex = digest.substr(colon + 1);
  if (hex.size() < 32 || !std::all_of(hex.begin(), hex.end(), is_hex)) return false;
  bool component_start = true;
  for (char c : algorithm) {
    if (component_start) {
      if (!std::isalpha(static_cast<unsigned char>(c))) return false;
      component_start = false;
    } else if (c == '-' || c == '_' || c == '+' || c == '.') {
      component_start = true;
    } else if (!is_alnum(c)) {
      return false;
    }
  }
  return !component_start;
}

// A name as the grammar has it: [domain '/'] path-component ('/' path-component)*.
bool is_name(std::string_view name) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t slash = name.find('/', start);
    parts.push_back(name.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  for (size_t i = 1; i < parts.size(); ++i)
    if (!is_path_component(parts[i])) return false;
  return is_path_component(parts[0]) || (parts.size() > 1 && is_domain(parts[0]));
}

struct Split {
  std::string_view name, tag, digest;
  bool has_tag = false, has_digest = false;
};

// Splits along the grammar: name [':' tag] ['@' digest]; false when a part has the wrong shape.
bool split_reference(std::string_view text, Split& out) {
  size_t at = text.find('@');
  std::string_view rest = text;
  if (at != std::string_view::npos) {
    out.digest = text.substr(at + 1);
    out.has_digest = true;
    rest = text.substr(0, at);
    if (!looks_like_digest(out.digest)) return false;
  }
  size_t slash = rest.rfind('/');
  size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    out.tag = rest.substr(colon + 1);
    out.has_tag = true;
    rest = rest.substr(0, colon);
    if (!is_tag(out.tag)) return false;
  }
  out.name = rest;
  return is_name(out.name);
}

// go-digest's Validate, for a digest that already has the grammar's shape.
void validate_digest(std::string_view digest) {
  size_t colon = digest.find(':');
  std::string_view algorithm = digest.substr(0, colon), hex = digest.substr(colon + 1);
  size_t size = algorithm == "sha256" ? 64 : algorithm == "sha384" ? 96 : algorithm == "sha512" ? 128 : 0;
  if (size == 0) throw Error("unsupported digest algorithm", 1);
  if (hex.size() != size) throw Error("invalid checksum digest length", 1);
  if (!std::all_of(hex.begin(), hex.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }))
    throw Error("invalid checksum digest format", 1);
}

}  // namespace

bool is_full_hex_id(std::string_view text) {
  return text.size() == 64 &&
         std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Reference parse_reference(std::string_view text) {
  if (is_full_hex_id(text))
    throw Error(fmt::format("invalid repository name ({}), cannot specify 64-byte hexadecimal strings", text), 1);
  // Docker's splitDockerDomain: the part before the first '/' is a registry when it has a
  // '.' or a ':' or is "localhost"; otherwise the name is on Docker Hub, under library/ when
  // it has a single component.
  std::string domain, remainder;
  size_t slash = text.find('/');
  std::string_view first = slash == std::string_view::npos ? std::string_view{} : text.substr(0, slash);
  if (slash == std::string_view::npos ||
      (first.find_first_of(".:") == std::string_view::npos && first != "localhost")) {
    domain = kDefaultDomain;
    remainder = text;
  } else {
    domain = first;
    remainder = text.substr(slash + 1);
  }
  if (domain == "index.docker.io") domain = kDefaultDomain;
  if (domain == kDefaultDomain && remainder.find('/') == std::string::npos) remainder = "library/" + remainder;
  std::string remote_name = remainder.substr(0, remainder.find(':'));
  if (ascii_lower(remote_name) != remote_name) invalid("repository name must be lowercase");

  std::string whole = domain + "/" + remainder;
  Split split;
  if (text.empty() || !split_reference(whole, split)) {
    Split lowered;
    if (!text.empty() && split_reference(ascii_lower(whole), lowered)) invalid("repository name must be lowercase");
    invalid();
  }
  if (split.name.size() > kNameTotalLengthMax)
    invalid(fmt::format("repository name must not be more than {} characters", kNameTotalLengthMax));
  if (split.has_digest) validate_digest(split.digest);

  Reference ref;
  ref.domain = domain;
  ref.path = std::string(split.name.substr(domain.size() + 1));
  ref.tag = std::string(split.tag);
  ref.digest = std::string(split.digest);
  return ref;
}

std::string Reference::familiar_name() const {
  if (domain != kDefaultDomain) return name();
  constexpr std::string_view library = "library/";
  if (path.rfind(library, 0) == 0 && path.find('/', library.size()) == std::string::npos)
    return path.substr(library.size());
  return path;
}

std::string Reference::full() const {
  std::string text = name();
  if (!tag.empty()) text += ":" + tag;
  if (!digest.empty()) text += "@" + digest;
  return text;
}

std::string Reference::familiar() const {
  std::string text = familiar_name();
  if (!tag.empty()) text += ":" + tag;
  if (!digest.empty()) text += "@" + digest;
  return text;
}

Reference Reference::with_default_tag() const {
  Reference ref = *this;
  if (ref.tag.empty() && ref.digest.empty()) ref.tag = kDefaultTag;
  return ref;
}

}  // namespace dockling::ch10
