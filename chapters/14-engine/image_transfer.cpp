#include "image_transfer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <ostream>
#include <streambuf>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api_response.hpp"
#include "distribution_client.hpp"
#include "dockling/error.hpp"
#include "dockling/fd.hpp"
#include "dockling/tempdir.hpp"
#include "engine_events.hpp"
#include "image_store.hpp"
#include "reference.hpp"

namespace dockling::ch14 {

namespace http = ch12::http;
using json = nlohmann::json;

namespace {

/// The stream chapter 12's client prints its lines to: each line goes to the client as one
/// of docker's progress messages, as it is printed.
class ProgressMessages : public std::streambuf {
 public:
  explicit ProgressMessages(int fd) : fd_(fd) {}
  ~ProgressMessages() override { flush_line(); }

  /// docker's message for one line: "ID: STATUS" (a layer's or a tag's line) or a status.
  static json message(const std::string& line) {
    size_t colon = line.find(": ");
    std::string id = colon == std::string::npos ? "" : line.substr(0, colon);
    if (!id.empty() && id.size() <= 64 && id.find(' ') == std::string::npos && id != "Digest" && id != "Status")
      return {{"status", line.substr(colon + 2)}, {"progressDetail", json::object()}, {"id", id}};
    return {{"status", line}};
  }
  /// Sends an error message (the CLI prints it and exits 1).
  void error(const std::string& text) {
    flush_line();
    send_text(fd_, json{{"errorDetail", {{"message", text}}}, {"error", text}}.dump() + "\r\n");
  }

 protected:
  int overflow(int c) override {
    if (c == '\n') flush_line();
    else if (c != traits_type::eof()) line_ += static_cast<char>(c);
    return c;
  }
  std::streamsize xsputn(const char* text, std::streamsize count) override {
    for (std::streamsize i = 0; i < count; ++i) overflow(static_cast<unsigned char>(text[i]));
    return count;
  }

 private:
  void flush_line() {
    if (line_.empty()) return;
    send_text(fd_, message(line_).dump() + "\r\n");
    line_.clear();
  }
  int fd_;
  std::string line_;
};

http::Response progress_response(std::function<void(std::ostream&, ProgressMessages&)> work) {
  http::Response response;
  response.headers.set("Content-Type", "application/json");
  response.stream = [work = std::move(work)](int fd) {
    ProgressMessages messages(fd);
    std::ostream out(&messages);
    try {
      work(out, messages);
    } catch (const std::exception& e) {
      out.flush();
      messages.error(e.what());
    }
  };
  return response;
}

/// The client options of the daemon: logins kept under ROOT/engine (docker's /auth later).
ch12::ClientOptions client_options(const StateRoot& root, std::ostream& out, const RegistrySettings& registry) {
  ch12::ClientOptions options;
  options.registry_mirrors = registry.mirrors;
  options.insecure_registries = registry.insecure;
  options.out = &out;
  options.name_line = false;  // the CLI prints the name itself
  options.config_dir = (root.dir() / "engine").string();
  return options;
}

/// NAME with its tag or digest as the API splits them (fromImage=busybox&tag=latest).
std::string joined(const std::string& name, const std::string& tag) {
  if (tag.empty()) return name;
  return name + (tag.rfind("sha256:", 0) == 0 ? "@" : ":") + tag;
}

}  // namespace

http::Response create_image(const StateRoot& root, http::Request& request, const RegistrySettings& registry) {
  std::string tag = request.query_param("tag").value_or("");
  if (auto from = request.query_param("fromImage"); from && !from->empty()) {
    std::string reference = joined(*from, tag);
    try {
      ch10::parse_reference(reference);
    } catch (const Error& e) {
      throw ApiError(400, e.what());
    }
    return progress_response([&root, reference, registry](std::ostream& out, ProgressMessages& messages) {
      int code = ch12::pull_image(root, reference, client_options(root, out, registry));
      out.flush();
      if (code != 0) messages.error(fmt::format("pull of {} failed (exit code {})", reference, code));
      else record_event(root, "image", "pull", reference, {{"name", reference}});
    });
  }
  if (request.query_param("fromSrc").value_or("") != "-")
    throw ApiError(400, "fromImage or fromSrc=- is required (URLs as sources are not supported)");
  std::optional<ch10::Reference> name;
  if (std::string repo = request.query_param("repo").value_or(""); !repo.empty()) {
    try {
      name = ch10::parse_reference(joined(repo, tag));
    } catch (const Error& e) {
      throw ApiError(400, e.what());
    }
  }
  // The body (the tarball) first to a file: the store reads it from a file descriptor.
  TempDir tmp("dockling-import");
  std::string path = (tmp.path() / "layer.tar").string();
  {
    UniqueFd file = open_fd(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    char buffer[65536];
    for (size_t n; (n = request.body.read(buffer, sizeof buffer)) > 0;) write_all(file.get(), std::string_view(buffer, n));
  }
  UniqueFd file = open_fd(path, O_RDONLY | O_CLOEXEC);
  std::string comment = request.query_param("message").value_or("");
  std::string id;
  try {
    id = ch10::ImageStore(root).import_tarball(file.get(), name, comment.empty() ? "Imported from -" : comment);
  } catch (const Error& e) {
    throw ApiError(400, e.what());
  }
  record_event(root, "image", "import", id, {});
  return json_response(200, json{{"status", id}});
}

http::Response push_image(const StateRoot& root, http::Request& request, const std::string& name,
                          const RegistrySettings& registry) {
  std::string reference = joined(name, request.query_param("tag").value_or(""));
  try {
    ch10::ImageStore(root).find(reference);
  } catch (const Error& e) {
    throw ApiError(404, fmt::format("An image does not exist locally with the tag: {}", name));
  }
  return progress_response([&root, reference, registry](std::ostream& out, ProgressMessages& messages) {
    int code = ch12::push_image(root, reference, client_options(root, out, registry));
    out.flush();
    if (code != 0) messages.error(fmt::format("push of {} failed (exit code {})", reference, code));
    else record_event(root, "image", "push", reference, {{"name", reference}});
  });
}

}  // namespace dockling::ch14
