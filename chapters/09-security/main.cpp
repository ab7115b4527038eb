// ch09-security: run a container with docker's capabilities and seccomp profile; run OCI bundles.
#include <cstdio>
#include <exception>
#include <string_view>

#include "oci_exec.hpp"
#include "runtime_main.hpp"
#include "security_step.hpp"

int main(int argc, char** argv) {
  // `oci exec` joins a running container: it first becomes a sealed copy of this binary, so
  // that nothing inside can write to the binary through /proc/PID/exe (CVE-2019-5736).
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string_view(argv[i]) == "oci" && std::string_view(argv[i + 1]) == "exec") {
      try {
        dockling::ch09::reexec_from_sealed_copy(argv);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "ch09-security: %s\n", e.what());
        return 125;
      }
      break;
    }
  }
  return dockling::runtime_main("ch09-security", "Chapter 09: capabilities, seccomp and OCI bundles.", argc, argv,
                                dockling::ch09::steps());
}
