#include "registry_http.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>

#include <fmt/format.h>

#include "curl_library.hpp"
#include "dockling/error.hpp"
#include "dockling/text.hpp"

namespace dockling::ch12 {

namespace {

using ch11::LibCurl;
using ch11::libcurl;

/// Bytes libcurl hands over per callback.
constexpr long kPieceSize = 512 * 1024;


std::string trim(std::string_view text) {
  size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return "";
  size_t end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(start, end - start + 1));
}

/// What the callbacks of one transfer share. Nothing may throw through libcurl: an exception
/// is kept here, the callback returns a value that ends the transfer, and send() rethrows it.
struct Transfer {
  const HttpRequest* request = nullptr;
  const BodySink* sink = nullptr;
  HttpResponse* response = nullptr;
  std::size_t body_offset = 0;      ///< of a body in memory, sent so far
  std::int64_t body_left = 0;       ///< of a body from a file, still to send
  std::exception_ptr failure;       ///< what a callback threw, or an error it found
};

/// CURLOPT_HEADERFUNCTION: one header line at a time. Each response of a redirect chain
/// starts with its status line: headers and kept body start over there.
size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    transfer->response->headers.clear();
    transfer->response->body.clear();
    size_t space = line.find(' ');
    transfer->response->status = space == std::string_view::npos ? 0 : std::atol(std::string(line.substr(space + 1, 3)).c_str());
    return size * count;
  }
  size_t colon = line.find(':');
  if (colon != std::string_view::npos)
    transfer->response->headers.emplace(ascii_lower(trim(line.substr(0, colon))), trim(line.substr(colon + 1)));
  return size * count;
}

/// CURLOPT_WRITEFUNCTION: the response body, to the sink (2xx) or into memory.
size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  size_t total = size * count;
  try {
    std::string_view piece(data, total);
    if (transfer->response->ok() && transfer->sink != nullptr && *transfer->sink) {
      (*transfer->sink)(piece);
    } else {
      if (transfer->response->body.size() + total > HttpResponse::kMaxBody)
        throw Error(fmt::format("{} {}: the response is larger than {} bytes", transfer->request->method,
                                transfer->request->url, HttpResponse::kMaxBody),
                    1);
      transfer->response->body.append(piece);
    }
  } catch (...) {
    transfer->failure = std::current_exception();
    return 0;  // less than given: the transfer ends (CURLE_WRITE_ERROR)
  }
  return total;
}

/// CURLOPT_READFUNCTION: the request body, from memory or from the file.
size_t on_read(char* buffer, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  size_t room = size * count;
  if (!transfer->request->has_body) return 0;
  const RequestBody& body = transfer->request->body;
  if (body.fd < 0) {
    size_t n = std::min(room, body.data.size() - transfer->body_offset);
    std::memcpy(buffer, body.data.data() + transfer->body_offset, n);
    transfer->body_offset += n;
    return n;
  }
  if (transfer->body_left <= 0) return 0;
  size_t want = std::min(room, static_cast<size_t>(transfer->body_left));
  while (true) {
    ssize_t n = ::read(body.fd, buffer, want);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      transfer->failure = std::make_exception_ptr(SysError("read", "the body of " + transfer->request->url, errno));
      return CURL_READFUNC_ABORT;
    }
    if (n == 0) {  // the file is shorter than the size promised in Content-Length
      transfer->failure = std::make_exception_ptr(
          Error(fmt::format("{}: the file ended {} bytes early", transfer->request->url, transfer->body_left), 1));
      return CURL_READFUNC_ABORT;
    }
    transfer->body_left -= n;
    return static_cast<size_t>(n);
  }
}

/// A curl_slist freed when it goes out of scope.
class HeaderList {
 public:
  explicit HeaderList(const LibCurl& curl) : curl_(curl) {}
  ~HeaderList() { curl_.slist_free_all(list_); }
  HeaderList(const HeaderList&) = delete;
  HeaderList& operator=(const HeaderList&) = delete;
  void add(const std::string& line) {
    curl_slist* longer = curl_.slist_append(list_, line.c_str());
    if (longer == nullptr) throw Error("curl_slist_append: out of memory");
    list_ = longer;
  }
  curl_slist* get() const { return list_; }

 private:
  const LibCurl& curl_;
  curl_slist* list_ = nullptr;
};

}  // namespace

std::string method_word(const std::string& method) {
  std::string word = ascii_lower(method);
  if (!word.empty()) word[0] = static_cast<char>(word[0] - 'a' + 'A');
  return word;
}

std::string HttpResponse::header(const std::string& name) const {
  auto found = headers.find(name);
  return found == headers.end() ? "" : found->second;
}

struct HttpSession::Handle {
  CURL* curl = nullptr;
};

HttpSession::HttpSession() : handle_(std::make_unique<Handle>()) {
  handle_->curl = libcurl().easy_init();
  if (handle_->curl == nullptr) throw Error("curl_easy_init failed", 1);
}

HttpSession::~HttpSession() { libcurl().easy_cleanup(handle_->curl); }

HttpResponse HttpSession::send(const HttpRequest& request, const BodySink& sink) {
  const LibCurl& curl = libcurl();
  CURL* h = handle_->curl;
  curl.easy_reset(h);  // the options of the last request go; its open connections stay

  HttpResponse response;
  Transfer transfer;
  transfer.request = &request;
  transfer.sink = &sink;
  transfer.response = &response;
  transfer.body_left = request.body.size;

  HeaderList headers(curl);
  for (const auto& line : request.headers) headers.add(line);
  headers.add("Expect:");  // no 100-continue round trip before an upload's body

  char reason[CURL_ERROR_SIZE] = {};
  curl.easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl.easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
  // A transfer may take long; one that moves nothing for a minute is dead.
  curl.easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl.easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
  curl.easy_setopt(h, CURLOPT_USERAGENT, "dockling");
  // Larger pieces than the default 16 KiB / 64 KiB: fewer calls per blob (layers are large).
  curl.easy_setopt(h, CURLOPT_BUFFERSIZE, kPieceSize);
  curl.easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, kPieceSize);
  curl.easy_setopt(h, CURLOPT_ERRORBUFFER, reason);
  curl.easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl.easy_setopt(h, CURLOPT_HEADERFUNCTION, &on_header);
  curl.easy_setopt(h, CURLOPT_HEADERDATA, &transfer);
  curl.easy_setopt(h, CURLOPT_WRITEFUNCTION, &on_body);
  curl.easy_setopt(h, CURLOPT_WRITEDATA, &transfer);

  if (request.method == "GET" || request.method == "HEAD") {
    if (request.method == "HEAD") curl.easy_setopt(h, CURLOPT_NOBODY, 1L);
    curl.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl.easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
    curl.easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  } else {
    // PUT, POST, PATCH: an "upload" whose size is known, the method named as asked.
    curl_off_t size = !request.has_body             ? 0
                      : request.body.fd < 0         ? static_cast<curl_off_t>(request.body.data.size())
                                                    : static_cast<curl_off_t>(request.body.size);
    curl.easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl.easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl.easy_setopt(h, CURLOPT_INFILESIZE_LARGE, size);
    curl.easy_setopt(h, CURLOPT_READFUNCTION, &on_read);
    curl.easy_setopt(h, CURLOPT_READDATA, &transfer);
  }

  CURLcode code = curl.easy_perform(h);
  if (transfer.failure) std::rethrow_exception(transfer.failure);
  if (code != CURLE_OK)
    throw Error(fmt::format("{} \"{}\": {}", method_word(request.method), request.url,
                            reason[0] != '\0' ? reason : curl.easy_strerror(code)),
                1);
  return response;
}

}  // namespace dockling::ch12
