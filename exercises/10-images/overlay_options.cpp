#include <stdexcept>
#include <string>
#include <vector>

#include "dockling/error.hpp"
#include "images.hpp"

namespace dockling::ch10 {

std::string overlay_mount_options(const std::vector<std::string>& layers, const std::string& upper,
                                  const std::string& work) {
  (void)layers;
  (void)upper;
  (void)work;
  // TODO 1: which way round does overlay stack its lower directories, and which way round
  //         does the image list its layers? The contract in images.hpp says; the lesson's
  //         "Layers become one root" part draws it.
  // TODO 2: a path may hold a character that overlay's option parser takes as a separator.
  //         Which ones, and what does the kernel accept instead? (Documentation/filesystems/
  //         overlayfs.rst, "Multiple lower layers"; the contract in images.hpp.)
  // TODO 3: what should happen when there is nothing to stack?
  // Check: `ctest --test-dir build-ex -L ch10 -L exercise` and `run IMAGE` from the lesson.
  throw NotImplemented("ch10::overlay_mount_options", "exercises/10-images/overlay_options.cpp");
}

}  // namespace dockling::ch10
