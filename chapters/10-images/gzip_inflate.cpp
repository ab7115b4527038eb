#include "gzip_inflate.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "digest.hpp"
#include "dockling/error.hpp"
#include "dockling/shared_library.hpp"

// Built without ISA-L's header (libisal-dev), gzip layers always go through libarchive.
#if __has_include(<isa-l/igzip_lib.h>)
#include <isa-l/igzip_lib.h>
#define DOCKLING_HAVE_ISAL 1
#else
#define DOCKLING_HAVE_ISAL 0
#endif

namespace dockling::ch10 {

namespace {

constexpr size_t kPieceSize = 512 * 1024;
constexpr size_t kPieces = 8;
constexpr size_t kInputSize = 256 * 1024;

#if DOCKLING_HAVE_ISAL
/// The igzip functions a gzip stream needs, from libisal.so.2 loaded on the first gzip layer.
struct LibIsal {
  decltype(&isal_inflate_init) inflate_init;
  decltype(&isal_inflate_reset) inflate_reset;
  decltype(&isal_inflate) inflate;
};

/// The functions, or nullptr when libisal is not installed (checked once).
const LibIsal* libisal() {
  static const std::unique_ptr<LibIsal> lib = []() -> std::unique_ptr<LibIsal> {
    try {
      SharedLibrary library("libisal.so.2", "libisal2");
      auto f = std::make_unique<LibIsal>();
      library.load("isal_inflate_init", f->inflate_init);
      library.load("isal_inflate_reset", f->inflate_reset);
      library.load("isal_inflate", f->inflate);
      return f;
    } catch (const Error&) {
      return nullptr;  // libarchive's gzip does the work
    }
  }();
  return lib.get();
}

std::string isal_error(int code) {
  switch (code) {
    case ISAL_INVALID_BLOCK: return "gzip: invalid deflate block";
    case ISAL_INVALID_SYMBOL: return "gzip: invalid deflate symbol";
    case ISAL_INVALID_LOOKBACK: return "gzip: invalid lookback distance";
    case ISAL_INVALID_WRAPPER: return "gzip: invalid gzip header";
    case ISAL_UNSUPPORTED_METHOD: return "gzip: unsupported compression method";
    case ISAL_INCORRECT_CHECKSUM: return "gzip: CRC mismatch (damaged stream)";
    case ISAL_NEED_DICT: return "gzip: the stream needs a preset dictionary";
    default: return fmt::format("gzip: isal_inflate failed ({})", code);
  }
}
#endif

}  // namespace

struct GzipInflater::Piece {
  unsigned char data[kPieceSize];
  size_t size = 0;
};

bool gzip_inflater_available() {
#if DOCKLING_HAVE_ISAL
  const char* off = std::getenv("DOCKLING_NO_ISAL");
  return (off == nullptr || *off == '\0') && libisal() != nullptr;
#else
  return false;
#endif
}

GzipInflater::GzipInflater(int in_fd, std::string head) : in_fd_(in_fd), head_(std::move(head)) {
  if (!gzip_inflater_available()) throw Error("gzip: libisal.so.2 is not available (install libisal2)");
  for (size_t i = 0; i < kPieces; ++i) {
    pieces_.push_back(std::make_unique<Piece>());
    free_.push_back(pieces_.back().get());
  }
  thread_ = std::thread([this] { produce(); });
}

GzipInflater::~GzipInflater() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

ssize_t GzipInflater::read(const void** data) {
  std::unique_lock lock(mutex_);
  if (current_ != nullptr) {
    free_.push_back(current_);  // the reader is done with it (libarchive's read callback contract)
    current_ = nullptr;
    changed_.notify_all();
  }
  changed_.wait(lock, [this] { return !full_.empty() || finished_; });
  if (!full_.empty()) {
    current_ = full_.front();
    full_.pop_front();
    *data = current_->data;
    return static_cast<ssize_t>(current_->size);
  }
  return error_.empty() ? 0 : -1;
}

GzipInflater::Piece* GzipInflater::take_free() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return !free_.empty() || stopping_; });
  if (stopping_) return nullptr;
  Piece* piece = free_.back();
  free_.pop_back();
  return piece;
}

void GzipInflater::push_full(Piece* piece) {
  {
    std::lock_guard lock(mutex_);
    full_.push_back(piece);
  }
  changed_.notify_all();
}

void GzipInflater::produce() {
  std::string error;
  try {
    inflate_all();
  } catch (const std::exception& e) {
    error = e.what();
  }
  {
    std::lock_guard lock(mutex_);  // read() reads error_ under it
    error_ = error;
    if (error_.empty() && diff_id_.empty()) error_ = "gzip: stopped before the end";
    finished_ = true;
  }
  changed_.notify_all();
}

void GzipInflater::inflate_all() {
#if DOCKLING_HAVE_ISAL
  const LibIsal& isal = *libisal();
  // inflate_state holds igzip's tables and its 32 KiB window: ~40 KiB, not for the stack.
  auto state = std::make_unique<inflate_state>();
  isal.inflate_init(state.get());
  state->crc_flag = ISAL_GZIP;  // parse each member's header, check its CRC
  std::vector<unsigned char> input(std::max(kInputSize, head_.size()));
  std::memcpy(input.data(), head_.data(), head_.size());
  state->next_in = input.data();
  state->avail_in = static_cast<uint32_t>(head_.size());
  bool at_eof = false;
  auto refill = [&] {
    ssize_t n;
    do n = ::read(in_fd_, input.data(), kInputSize);
    while (n < 0 && errno == EINTR);
    if (n < 0) throw SysError("read", "gzip layer", errno);
    at_eof = n == 0;
    state->next_in = input.data();
    state->avail_in = static_cast<uint32_t>(n);
  };
  Sha256 hash;
  bool done = false;
  while (!done) {
    Piece* piece = take_free();
    if (piece == nullptr) return;  // the reader gave up
    piece->size = 0;
    while (piece->size < kPieceSize && !done) {
      if (state->avail_in == 0 && !at_eof) refill();
      state->next_out = piece->data + piece->size;
      state->avail_out = static_cast<uint32_t>(kPieceSize - piece->size);
      uint32_t room = state->avail_out;
      int rc = isal.inflate(state.get());
      size_t produced = room - state->avail_out;
      piece->size += produced;
      if (rc < 0 || rc == ISAL_NEED_DICT) throw Error(isal_error(rc));
      if (state->block_state == ISAL_BLOCK_FINISH) {
        // One member ended (its CRC checked): another may follow, as in `cat a.gz b.gz`.
        if (state->avail_in == 0 && !at_eof) refill();
        if (state->avail_in > 0 && state->next_in[0] == 0x1f) {
          unsigned char* next = state->next_in;
          uint32_t left = state->avail_in;
          isal.inflate_reset(state.get());
          state->crc_flag = ISAL_GZIP;
          state->next_in = next;
          state->avail_in = left;
        } else {
          done = true;
        }
      } else if (produced == 0 && state->avail_in == 0 && at_eof) {
        throw Error("gzip: unexpected end of the stream (truncated layer)");
      }
    }
    hash.update(piece->data, piece->size);
    if (piece->size > 0) {
      push_full(piece);
    } else {
      std::lock_guard lock(mutex_);
      free_.push_back(piece);
    }
  }
  diff_id_ = hash.digest();
#else
  throw Error("gzip: built without ISA-L");
#endif
}

}  // namespace dockling::ch10
