/// @file reference.hpp
/// @brief Image references with docker's rules: `busybox`, `busybox:1.36`,
/// `registry.example.com:5000/team/app:1.0`, `name@sha256:<64 hex>`.
#pragma once

#include <string>
#include <string_view>

namespace dockling::ch10 {

/// Docker Hub's registry, the domain of a name that names none.
inline constexpr std::string_view kDefaultDomain = "docker.io";
/// The tag of a reference that names neither a tag nor a digest.
inline constexpr std::string_view kDefaultTag = "latest";

/// A parsed, normalized image reference: `busybox` is docker.io/library/busybox.
struct Reference {
  std::string domain;  ///< "docker.io", "registry.example.com:5000", "localhost:5000" (as written)
  std::string path;    ///< "library/busybox", "team/app"
  std::string tag;     ///< "latest", "1.0"; empty when none was given
  std::string digest;  ///< "sha256:<64 hex>"; empty when none was given

  /// domain/path: "docker.io/library/busybox".
  std::string name() const { return domain + "/" + path; }
  /// The name as docker shows it: "busybox", "user/app", "registry.example.com:5000/team/app".
  std::string familiar_name() const;
  /// The whole reference: "docker.io/library/busybox:latest" (the store's ref.name).
  std::string full() const;
  /// The whole reference as docker shows it: "busybox:latest", "busybox@sha256:...".
  std::string familiar() const;
  /// The same reference with kDefaultTag when it names neither a tag nor a digest.
  Reference with_default_tag() const;
};

/// Parses `text` as docker does (ParseNormalizedNamed of distribution/reference): a name of
/// lowercase components separated by '/', maybe a registry host (with a '.' or a ':' port, or
/// `localhost`) first, an optional `:tag` of up to 128 characters and an optional
/// `@sha256:<64 lowercase hex>`. No default tag is added (see Reference::with_default_tag).
/// @throws Error (exit code 1) with docker's words: "invalid reference format",
/// "invalid reference format: repository name must be lowercase", "invalid checksum digest
/// length", "invalid repository name (…), cannot specify 64-byte hexadecimal strings", …
Reference parse_reference(std::string_view text);

/// True when `text` is 64 lowercase hex digits (an image id written without "sha256:").
bool is_full_hex_id(std::string_view text);

}  // namespace dockling::ch10
