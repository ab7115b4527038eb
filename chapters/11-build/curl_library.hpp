/// @file curl_library.hpp
/// @brief libcurl, loaded when first used (SharedLibrary), not linked: it brings libssl,
/// libnghttp2, libssh2, libldap, libkrb5 ... that every container start of the chapters'
/// binaries would load. ADD's URLs (chapter 11) and the registry client (chapter 12) use it.
#pragma once

#include <curl/curl.h>

namespace dockling::ch11 {

/// The libcurl functions the course uses, named as libcurl names them without `curl_`.
struct LibCurl {
  decltype(&curl_global_init) global_init;        ///< curl_global_init
  decltype(&curl_easy_init) easy_init;            ///< curl_easy_init
  decltype(&curl_easy_cleanup) easy_cleanup;      ///< curl_easy_cleanup
  decltype(&curl_easy_reset) easy_reset;          ///< curl_easy_reset
  decltype(&curl_easy_setopt) easy_setopt;        ///< curl_easy_setopt
  decltype(&curl_easy_perform) easy_perform;      ///< curl_easy_perform
  decltype(&curl_easy_getinfo) easy_getinfo;      ///< curl_easy_getinfo
  decltype(&curl_easy_strerror) easy_strerror;    ///< curl_easy_strerror
  decltype(&curl_slist_append) slist_append;      ///< curl_slist_append
  decltype(&curl_slist_free_all) slist_free_all;  ///< curl_slist_free_all
};

/// libcurl.so.4, loaded and initialised (curl_global_init) once, on the first call.
/// @throws Error naming the package to install (libcurl4) when it cannot be loaded.
const LibCurl& libcurl();

}  // namespace dockling::ch11
