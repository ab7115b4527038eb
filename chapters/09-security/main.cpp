// ch09-security: run a container with docker's capabilities and seccomp profile; run OCI bundles.
#include "oci_command.hpp"

int main(int argc, char** argv) { return dockling::ch09::security_main(argc, argv); }
