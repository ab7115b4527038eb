#include "url_fetch.hpp"

#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <memory>

#include <fmt/format.h>

#include "curl_library.hpp"
#include "digest.hpp"
#include "dockling/error.hpp"

namespace dockling::ch11 {

namespace {


std::string scheme_of(const std::string& url) {
  size_t end = url.find("://");
  std::string scheme = end == std::string::npos ? "" : url.substr(0, end);
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return scheme;
}

/// Where the body goes: the file and the running digest.
struct Sink {
  explicit Sink(int out) : fd(out) {}
  int fd;
  ch10::Sha256 hash;
  unsigned long long size = 0;
  int error = 0;  ///< errno of a failed write
};

/// CURLOPT_WRITEFUNCTION: called with each piece of the body as it arrives. Returning less
/// than it was given ends the transfer (CURLE_WRITE_ERROR); nothing may throw through libcurl.
size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  size_t total = size * count;
  try {
    size_t done = 0;
    while (done < total) {
      ssize_t n = ::write(sink->fd, data + done, total - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        sink->error = n < 0 ? errno : EIO;
        return 0;
      }
      done += static_cast<size_t>(n);
    }
    sink->hash.update(data, total);
  } catch (...) {
    sink->error = EIO;
    return 0;
  }
  sink->size += total;
  return total;
}

}  // namespace

bool is_url(const std::string& source) {
  size_t end = source.find("://");
  if (end == std::string::npos || end == 0) return false;
  for (size_t i = 0; i < end; ++i) {
    char c = source[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

std::string url_file_name(const std::string& url) {
  std::string rest = url.substr(url.find("://") + 3);
  rest = rest.substr(0, rest.find_first_of("?#"));
  size_t slash = rest.find('/');
  std::string path = slash == std::string::npos ? "" : rest.substr(slash);
  while (!path.empty() && path.back() == '/') path.pop_back();
  std::string name = path.substr(path.rfind('/') + 1);
  return name.empty() || name == "." || name == ".." ? "__unnamed__" : name;
}

FetchResult fetch_url(const std::string& url, int fd, const FetchLimits& limits) {
  std::string scheme = scheme_of(url);
  if (scheme != "http" && scheme != "https")
    throw Error(fmt::format("{}: unsupported URL scheme \"{}\": ADD fetches http and https URLs only", url, scheme), 1);
  const LibCurl& curl = libcurl();
  std::unique_ptr<CURL, void (*)(CURL*)> handle(curl.easy_init(), curl.easy_cleanup);
  if (!handle) throw Error(fmt::format("{}: curl_easy_init failed", url), 1);
  Sink sink(fd);
  char reason[CURL_ERROR_SIZE] = {};
  CURL* h = handle.get();
  curl.easy_setopt(h, CURLOPT_URL, url.c_str());
  curl.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl.easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
  curl.easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
  curl.easy_setopt(h, CURLOPT_CONNECTTIMEOUT, static_cast<long>(limits.connect.count()));
  // A download may take long; one that receives nothing for `stalled` seconds is dead.
  curl.easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl.easy_setopt(h, CURLOPT_LOW_SPEED_TIME, static_cast<long>(limits.stalled.count()));
  curl.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl.easy_setopt(h, CURLOPT_FILETIME, 1L);  // Last-Modified, as a time
  curl.easy_setopt(h, CURLOPT_USERAGENT, "dockling");
  curl.easy_setopt(h, CURLOPT_ERRORBUFFER, reason);
  curl.easy_setopt(h, CURLOPT_WRITEFUNCTION, &on_body);
  curl.easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  CURLcode code = curl.easy_perform(h);
  if (code != CURLE_OK) {
    if (code == CURLE_WRITE_ERROR && sink.error != 0) throw SysError("write", "the download of " + url, sink.error);
    throw Error(fmt::format("failed to fetch {}: {}", url, reason[0] != '\0' ? reason : curl.easy_strerror(code)), 1);
  }
  FetchResult result;
  curl.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &result.status);
  curl_off_t filetime = -1;
  if (curl.easy_getinfo(h, CURLINFO_FILETIME_T, &filetime) == CURLE_OK && filetime >= 0)
    result.mtime = static_cast<std::time_t>(filetime);
  result.digest = sink.hash.digest();
  result.size = sink.size;
  return result;
}

}  // namespace dockling::ch11
