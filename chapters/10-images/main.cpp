// ch10-images: chapter 09's runtime, plus an image store: import, images, tag, rmi.
#include "images_step.hpp"
#include "oci_exec.hpp"

int main(int argc, char** argv) {
  return dockling::ch09::sealed_runtime_main("ch10-images", "Chapter 10: images: an OCI image store and its layers.",
                                             argc, argv, dockling::ch10::steps());
}
