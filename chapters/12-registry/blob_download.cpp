#include "blob_download.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "blob_verifier.hpp"
#include "dockling/error.hpp"
#include "dockling/fd.hpp"
#include "dockling/fs.hpp"

namespace dockling::ch12 {

namespace fs = std::filesystem;

namespace {

/// A file named .tmp-… beside the store's blobs (the store's garbage collection removes such
/// leftovers after a crash), unlinked when it goes out of scope unless kept.
struct TemporaryBlob {
  fs::path path;
  ~TemporaryBlob() {
    if (!path.empty()) ::unlink(path.c_str());
  }
};

}  // namespace

void download_blob(RegistryClient& client, ch10::ImageStore& store, const ch10::Descriptor& blob, ch10::Changes& changes) {
  fs::path final_path = store.blob_path(blob.digest);
  if (path_exists(final_path.string())) return;
  std::string what =
      fmt::format("blob {} of {}/{}", blob.digest, client.repository().domain, client.repository().repository);

  TemporaryBlob temporary{final_path.parent_path() / (".tmp-pull-" + random_hex(8))};
  UniqueFd out = open_fd(temporary.path.string(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  BlobVerifier verifier(blob.digest, blob.size, what);
  client.fetch_blob(blob.digest, [&](std::string_view piece) {
    verifier.feed(piece);  // first: a piece it refuses is not written
    write_all(out.get(), piece);
  });
  verifier.finish();
  check(::fsync(out.get()), "fsync", temporary.path.string());
  out.reset();
  check(::rename(temporary.path.c_str(), final_path.c_str()), "rename", final_path.string());
  temporary.path.clear();
  changes.created(final_path);
}

}  // namespace dockling::ch12
