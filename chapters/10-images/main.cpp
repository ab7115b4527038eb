// ch10-images: chapter 09's runtime, plus an image store: import, images, tag, rmi.
#include <cstdio>
#include <exception>
#include <string_view>

#include "images_step.hpp"
#include "oci_exec.hpp"
#include "runtime_main.hpp"

int main(int argc, char** argv) {
  // As chapter 09: `oci exec` first becomes a sealed copy of this binary (CVE-2019-5736).
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string_view(argv[i]) == "oci" && std::string_view(argv[i + 1]) == "exec") {
      try {
        dockling::ch09::reexec_from_sealed_copy(argv);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "ch10-images: %s\n", e.what());
        return 125;
      }
      break;
    }
  }
  return dockling::runtime_main("ch10-images", "Chapter 10: images: an OCI image store and its layers.", argc, argv,
                                dockling::ch10::steps());
}
