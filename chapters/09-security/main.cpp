// ch09-security: run a container with docker's capabilities and seccomp profile; run OCI bundles.
#include "runtime_main.hpp"
#include "security_step.hpp"

int main(int argc, char** argv) {
  return dockling::runtime_main("ch09-security", "Chapter 09: capabilities, seccomp and OCI bundles.", argc, argv,
                                dockling::ch09::steps());
}
