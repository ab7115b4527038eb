// ch12-registry: chapter 11's images, containers and builds, plus a registry: `registry serve`
// (the OCI distribution API), the client's `pull`, `push`, `login` and `logout`, and `run`
// pulling the images it does not find.
#include "oci_exec.hpp"
#include "registry_step.hpp"

int main(int argc, char** argv) {
  return dockling::ch09::sealed_runtime_main("ch12-registry", "Chapter 12: registries.", argc, argv,
                                             dockling::ch12::steps());
}
