// ch03-mount-namespace: run a command in its own mount namespace, pivoted into ROOTFS.
#include "mount_step.hpp"
#include "runtime_main.hpp"

int main(int argc, char** argv) {
  return dockling::runtime_main("ch03-mount-namespace", "Chapter 03: run a command in its own mount namespace.",
                                argc, argv, dockling::ch03::steps());
}
