// ch01-chroot: run a command with its root directory at ROOTFS.
#include "chroot_step.hpp"
#include "runtime_main.hpp"

int main(int argc, char** argv) {
  return dockling::runtime_main("ch01-chroot", "Chapter 01: run a command in a chroot.", argc, argv,
                                dockling::ch01::steps());
}
