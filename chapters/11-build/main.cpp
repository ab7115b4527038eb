// ch11-build: chapter 10's images and containers, plus the Dockerfile parser that `build`
// (the next stage of the chapter) stands on.
#include "images_step.hpp"
#include "oci_exec.hpp"

int main(int argc, char** argv) {
  return dockling::ch09::sealed_runtime_main("ch11-build", "Chapter 11: Dockerfile builds.", argc, argv,
                                             dockling::ch10::steps());
}
