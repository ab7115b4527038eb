/// @file url_fetch.hpp
/// @brief ADD's remote sources: an http(s) URL downloaded with libcurl into a file, its sha256
/// computed on the way. libcurl is loaded when the first URL is fetched (SharedLibrary), not
/// linked: it brings libssl, libnghttp2, libssh2, libldap, libkrb5 ... that every container
/// start of this binary would load.
#pragma once

#include <chrono>
#include <ctime>
#include <optional>
#include <string>

namespace dockling::ch11 {

/// True when `source` is an ADD source fetched over the network: it names a scheme ("x://").
/// Whether the scheme is one we speak (http, https) is fetch_url's to say.
bool is_url(const std::string& source);

/// The name ADD gives a download in a destination directory, as BuildKit does: the last
/// component of the URL's path, "__unnamed__" when it has none (`http://host/`).
std::string url_file_name(const std::string& url);

/// What a fetch brought.
struct FetchResult {
  long status = 0;                   ///< the final response's HTTP status (after redirects)
  std::optional<std::time_t> mtime;  ///< its Last-Modified header, when it had one
  std::string digest;                ///< "sha256:<hex>" of the body written
  unsigned long long size = 0;       ///< bytes written
};

/// How long a fetch may wait.
struct FetchLimits {
  std::chrono::seconds connect{30};  ///< to connect (each redirect's host too)
  std::chrono::seconds stalled{60};  ///< with no byte received: a stalled download fails
};

/// Downloads `url` (http or https; redirects followed, to http or https only) and writes its
/// body to `fd` as it arrives, never whole in memory. A status other than 2xx is returned,
/// not thrown: the caller names it (the body written then is the error page).
/// @throws Error for another scheme, or when the transfer fails (DNS, refused, TLS, time-out),
/// naming the URL and curl's reason.
FetchResult fetch_url(const std::string& url, int fd, const FetchLimits& limits = {});

}  // namespace dockling::ch11
