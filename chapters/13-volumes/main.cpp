// ch13-volumes: chapter 12's images, builds and registries, plus volumes: `run -v`,
// `--mount` and `--volumes-from`, and `volume create|ls|inspect|rm|prune`.
#include "oci_exec.hpp"
#include "volume_step.hpp"

int main(int argc, char** argv) {
  return dockling::ch09::sealed_runtime_main("ch13-volumes", "Chapter 13: volumes.", argc, argv,
                                             dockling::ch13::steps());
}
