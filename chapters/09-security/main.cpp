// ch09-security: run a container with docker's capabilities and seccomp profile; run OCI bundles.
#include "oci_exec.hpp"
#include "security_step.hpp"

int main(int argc, char** argv) {
  return dockling::ch09::sealed_runtime_main("ch09-security", "Chapter 09: capabilities, seccomp and OCI bundles.",
                                             argc, argv, dockling::ch09::steps());
}
