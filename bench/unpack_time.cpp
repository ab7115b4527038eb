// bench-unpack: chapter 10's unpack_layer() on one layer blob, as `pull`, `load` and `import`
// run it (ImageStore::unpack_layer without the store around it): the stream decompressed,
// the tar applied into DIR, the diff id computed on the way and compared with the one
// expected. The blob's copy into the store and its compressed digest are not counted: the
// store checks those when the blob enters it, before any unpacking.
//
//   bench-unpack LAYER DIR DIFF_ID    (DIR must exist and be empty)
//
// Prints the diff id; exits 1 (with the message) when unpacking fails or the diff id differs.
#include <fcntl.h>

#include <cstdio>
#include <string>

#include "dockling/error.hpp"
#include "dockling/fd.hpp"
#include "layer_unpack.hpp"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: bench-unpack LAYER DIR DIFF_ID\n");
    return 2;
  }
  try {
    dockling::UniqueFd in = dockling::open_fd(argv[1], O_RDONLY | O_CLOEXEC);
    dockling::UniqueFd dir = dockling::open_fd(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    dockling::ch10::UnpackedLayer layer = dockling::ch10::unpack_layer(in.get(), dir.get(), argv[1]);
    if (layer.diff_id != argv[3]) {
      std::fprintf(stderr, "bench-unpack: diff id mismatch: expected %s, got %s\n", argv[3], layer.diff_id.c_str());
      return 1;
    }
    std::printf("%s\n", layer.diff_id.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench-unpack: %s\n", e.what());
    return 1;
  }
  return 0;
}
