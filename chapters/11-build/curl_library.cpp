#include "curl_library.hpp"

#include "dockling/error.hpp"
#include "dockling/shared_library.hpp"

namespace dockling::ch11 {

const LibCurl& libcurl() {
  static const LibCurl lib = [] {
    SharedLibrary library("libcurl.so.4", "libcurl4");
    LibCurl f{};
    library.load("curl_global_init", f.global_init);
    library.load("curl_easy_init", f.easy_init);
    library.load("curl_easy_cleanup", f.easy_cleanup);
    library.load("curl_easy_reset", f.easy_reset);
    library.load("curl_easy_setopt", f.easy_setopt);
    library.load("curl_easy_perform", f.easy_perform);
    library.load("curl_easy_getinfo", f.easy_getinfo);
    library.load("curl_easy_strerror", f.easy_strerror);
    library.load("curl_slist_append", f.slist_append);
    library.load("curl_slist_free_all", f.slist_free_all);
    // Once, before any handle: curl_easy_init would do it too, but not thread-safely.
    if (f.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw Error("curl_global_init failed");
    return f;
  }();
  return lib;
}

}  // namespace dockling::ch11
