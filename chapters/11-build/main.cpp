// ch11-build: chapter 10's images and containers, plus `build`: a Dockerfile made an image.
#include "build_step.hpp"
#include "oci_exec.hpp"

int main(int argc, char** argv) {
  return dockling::ch09::sealed_runtime_main("ch11-build", "Chapter 11: Dockerfile builds.", argc, argv,
                                             dockling::ch11::steps());
}
