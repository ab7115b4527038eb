// ch04-network-namespace: run a command with its own network: lo, a veth to a bridge, NAT, ports.
#include "network_step.hpp"
#include "runtime_main.hpp"

int main(int argc, char** argv) {
  return dockling::runtime_main("ch04-network-namespace", "Chapter 04: run a command with its own network.", argc,
                                argv, dockling::ch04::steps());
}
